import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// `manufacturer_id` of `ipmi_bmc_info` is the text of bmc-info's "Manufacturer ID" line, which ipmi_exporter copies:
/// checked against bmc-info on ipmi_sim BMCs whose Get Device ID carries a sample of enterprise numbers (names with
/// backslashes and non-ASCII letters, numbers FreeIPMI has no name for, one past its table).
@Suite(
    .enabled(if: IPMISim.isAvailable && ExternalCommand.isAvailable("bmc-info"), "needs ipmi_sim and FreeIPMI"),
    .serialized)
struct ManufacturerNameTests {
    static let sample: [UInt32] = [0, 2, 247, 674, 1552, 2187, 4753, 10876, 36075, 39990, 47861, 47862, 0xF_FFFF]

    @Test func manufacturerIDIsWhatBMCInfoPrints() async throws {
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        var compared = 0
        for number in Self.sample {
            var configuration = IPMISim.Configuration()
            configuration.name = "iana\(number)"
            configuration.device = "0x20 no-device-sdrs 0x03 9 8 0x9f 0x\(String(number, radix: 16)) 0xf02"
            let bmc = try await IPMISim.start(configuration)
            let output = try await ExternalCommand.output(
                "bmc-info",
                [
                    "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", bmc.address, "-u", "admin", "-p",
                    "password", "--get-device-id",
                ])
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("Manufacturer ID") })
            // ipmi_exporter's regular expression: `^Manufacturer ID\s*:\s*(?P<value>.*)`.
            let theirs = line.split(separator: ":", maxSplits: 1)[1].drop { $0 == " " }
            let families = await harness.scrape(
                bmc, module: ScrapeAgainstLabBMCTests.module(collectors: [.bmc]))
            let info = families.first { $0.name == "ipmi_bmc_info" }?.samples.first
            let ours = info?.labels.first { $0.name == "manufacturer_id" }?.value
            #expect(ours == String(theirs), "manufacturer \(number)")
            compared += 1
            bmc.stop()
        }
        #expect(compared == Self.sample.count)
    }
}
