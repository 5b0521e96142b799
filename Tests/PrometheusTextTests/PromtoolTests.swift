import Foundation
import IPMITestSupport
import Testing

@testable import PrometheusText

/// Runs Prometheus' own linter on rendered output, so the format is checked by an independent parser.
@Suite struct PromtoolTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    /// In CI a missing promtool fails these tests instead of skipping them.
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(.enabled(if: promtool != nil || isCI, "promtool is not installed"))
    func promtoolAcceptsRenderedOutputWithOddValues() async throws {
        let families = [
            MetricFamily(
                name: "ipmi_temperature_celsius", help: "Temperature reading of a sensor \\ with\nodd help.",
                type: .gauge,
                samples: [
                    Sample(["id": "1", "name": "Quote \" and \\ and\nnewline"], 21),
                    Sample(["id": "2", "name": "Not a number"], .nan),
                    Sample(["id": "3", "name": "Up"], .infinity),
                    Sample(["id": "4", "name": "Down"], -.infinity),
                    Sample(["id": "5", "name": "Small"], 1.5e-7),
                    Sample(["id": "6", "name": "Ünïcödé"], 1e21),
                ]),
            MetricFamily(name: "bad name-with°", help: "Repaired.", type: .gauge, samples: [Sample(value: 1)]),
            MetricFamily(
                name: "requests_total", help: "Requests.", type: .counter,
                samples: [Sample(["code": "200"], 3), Sample(["code": "404"], 1)]),
            MetricFamily(
                name: "scrape_duration_seconds", help: "Durations.", type: .summary,
                samples: [
                    Sample(labels: [], value: 0.25, nameSuffix: "_sum"),
                    Sample(labels: [], value: 2, nameSuffix: "_count"),
                ]),
            MetricFamily(
                name: "requests_total", help: "Merged.", type: .counter, samples: [Sample(["code": "500"], 0)]),
        ]
        let text = PrometheusText.render(families)
        let (status, output) = try await Self.runPromtoolOffPool(on: text)
        #expect(status == 0, "promtool said: \(output)\n--- input ---\n\(text)")
        #expect(output.isEmpty, "promtool complained: \(output)")
    }

    @Test(.enabled(if: promtool != nil || isCI, "promtool is not installed"))
    func promtoolRejectsABrokenExposition() async throws {
        // Guards the check above: promtool must be able to fail at all.
        let (status, _) = try await Self.runPromtoolOffPool(on: "# TYPE x gauge\n# TYPE x gauge\nx{a=\"1} 1\n")
        #expect(status != 0)
    }

    /// Runs promtool on a Dispatch thread: a child process must not block Swift's cooperative pool.
    static func runPromtoolOffPool(on text: String) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try runPromtool(on: text) }) }
        }
    }

    static func runPromtool(on text: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(promtool, "promtool is not installed"))
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try ExternalCommand.launch(process)
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
