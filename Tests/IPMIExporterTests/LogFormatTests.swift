import Foundation
import Logging
import Testing

@testable import IPMIExporter

@Suite struct LogFormatTests {
    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        let log = CapturedLog()
        let logger = log.logger(level: .info)
        logger.debug("hidden")
        logger.info("Scrape done", metadata: ["target": "10.0.0.1:623", "error": "said \"no\"\nthen=left", "n": "3"])
        let line = log.text
        #expect(line.hasPrefix("time="))
        #expect(line.hasSuffix("\n"))
        #expect(!line.contains("hidden"))
        let afterTime = line.drop { $0 != " " }
        #expect(
            afterTime
                == " level=info source=test msg=\"Scrape done\" error=\"said \\\"no\\\"\\nthen=left\" n=3 target=10.0.0.1:623\n"
        )
    }

    @Test func jsonLinesParse() throws {
        let log = CapturedLog()
        let logger = log.logger(level: .debug, format: .json)
        logger.warning("Odd \"BMC\"", metadata: ["reason": "tab\there"])
        let object = try JSONSerialization.jsonObject(with: Data(log.text.utf8)) as? [String: String]
        #expect(object?["level"] == "warn")
        #expect(object?["msg"] == "Odd \"BMC\"")
        #expect(object?["reason"] == "tab\there")
        #expect(object?["time"]?.hasSuffix("Z") == true)
    }

    @Test func levelsMapLikePrometheusExporters() {
        #expect(LogLevelOption(rawValue: "warn")?.level == .warning)
        #expect(LogLevelOption(rawValue: "warning") == nil)
        #expect(StructuredLogHandler.levelName(.critical) == "error")
        #expect(StructuredLogHandler.levelName(.trace) == "debug")
    }

    @Test func timestampsAreRFC3339WithMilliseconds() throws {
        let stamp = StructuredLogHandler.timestamp()
        let regex = try Regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")
        #expect(stamp.wholeMatch(of: regex) != nil, "\(stamp)")
    }
}
