import ExporterScrape
import Foundation
import IPMITestSupport
import PrometheusText
import Testing

/// Graceful degradation against a third BMC implementation: `ipmi_sim` told it has no SDR repository (Get Device
/// ID additional device support 9Dh, bit 1 clear, which makes it answer the repository commands C1h), with the lab's
/// SDRs as device SDRs (`device_sdr_add`, IPMI v2.0 §35) or with none at all.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct DegradationLabTests {
    typealias Lab = ScrapeAgainstLabBMCTests

    /// The lab's SDRs as `device_sdr_add` commands. `sdrcomp` writes ipmi_sim's persist format: one record a line,
    /// `N:d:` then its bytes, each unprintable byte (and the backslash) as a backslash and two hex digits.
    static func deviceSDRCommands() throws -> [String] {
        let source = IPMISim.labConfiguration().sdrSource!
        let output = try ExternalCommand.output("sdrcomp", [source])
        var records: [(Int, [UInt8])] = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1] == "d", let number = Int(parts[0]) else { continue }
            var bytes: [UInt8] = []
            var rest = Array(parts[2].utf8)[...]
            while let byte = rest.popFirst() {
                if byte == UInt8(ascii: "\\"), rest.count >= 2,
                    let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16)
                {
                    bytes.append(value)
                    rest = rest.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            }
            records.append((number, bytes))
        }
        return records.sorted { $0.0 < $1.0 }.map { _, bytes in
            "device_sdr_add 0x20 0 " + bytes.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
        }
    }

    static func configuration(deviceSDRs: Bool) throws -> IPMISim.Configuration {
        var configuration = IPMISim.labConfiguration(name: deviceSDRs ? "devsdr" : "nosdr")
        configuration.sdrSource = nil
        configuration.device = "0x20 \(deviceSDRs ? "has" : "no")-device-sdrs 0x03 9 8 0x9d 0x1291 0xf02"
        if deviceSDRs { configuration.emuCommands = try deviceSDRCommands() }
        return configuration
    }

    /// Every sample but the scrape's duration as a line (NaN, which never equals itself, prints as "nan").
    static func lines(_ families: [MetricFamily]) -> [String] {
        families.filter { $0.name != "ipmi_scrape_duration_seconds" }.flatMap { family in
            family.samples.map { "\(family.name) \($0.labels.map { "\($0.name)=\($0.value)" }) \($0.value)" }
        }
    }

    @Test func theDeviceSDRsOfABMCWithoutARepositoryGiveWhatTheRepositoryGives() async throws {
        let commands = try Self.deviceSDRCommands()
        #expect(commands.count == 57)
        let withRepository = try await IPMISim.start(IPMISim.labConfiguration())
        let withDeviceSDRs = try await IPMISim.start(try Self.configuration(deviceSDRs: true))
        defer {
            withRepository.stop()
            withDeviceSDRs.stop()
        }
        let harness = try await Lab.Harness.make()
        let expected = await harness.scrape(withRepository)
        #expect(Lab.value(expected, "ipmi_up", ["collector": "ipmi"]) == 1)
        let expectedLines = Self.lines(expected)
        #expect(expectedLines.contains { $0.hasPrefix("ipmi_temperature_celsius ") })
        for _ in 0..<2 {
            let lines = Self.lines(await harness.scrape(withDeviceSDRs))
            #expect(lines.count == expectedLines.count)
            #expect(lines.filter { !expectedLines.contains($0) } == [])
        }
        // ipmitool gives up on this BMC: ipmi_sim has no Reserve Device SDR Repository (§35.4 is optional), which
        // ipmitool needs and our reader does without (reservation 0000h).
        let elist = try await ExternalCommand.run(
            "ipmitool",
            [
                "-I", "lanplus", "-C", "3", "-H", withDeviceSDRs.host, "-p", "\(withDeviceSDRs.port)", "-U", "admin",
                "-P",
                "password", "sdr", "elist",
            ])
        #expect(elist.status != 0)
        #expect(elist.stderr.contains("Unable to obtain SDR reservation"))
        await harness.shutdown()
    }

    @Test func withNeitherOnlyTheSensorCollectorIsDownAndTheRefusalIsCountedOnce() async throws {
        let bmc = try await IPMISim.start(try Self.configuration(deviceSDRs: false))
        defer { bmc.stop() }
        let harness = try await Lab.Harness.make()
        for _ in 0..<3 {
            let families = await harness.scrape(bmc)
            #expect(Lab.value(families, "ipmi_up", ["collector": "ipmi"]) == 0)
            for collector in ["bmc", "chassis", "sel"] {
                #expect(Lab.value(families, "ipmi_up", ["collector": collector]) == 1, "\(collector)")
            }
        }
        #expect(Lab.selfMetric(harness.metrics, "ipmi_exporter_errors_total", ["reason": "unsupported"]) == 1)
        // The oracle: ipmitool finds no SDRs either, and says why.
        let elist = try await ExternalCommand.run(
            "ipmitool",
            [
                "-I", "lanplus", "-C", "3", "-H", bmc.host, "-p", "\(bmc.port)", "-U", "admin", "-P", "password", "sdr",
                "elist",
            ])
        #expect(elist.status != 0)
        #expect(elist.stderr.contains("Error obtaining SDR info: Invalid command"))
        await harness.shutdown()
    }
}
