import Foundation
import IPMI
import IPMIClient
import IPMIExporter
import IPMISimulator
import IPMITestSupport
import Logging
import PrometheusText
import Testing

@testable import ExporterCollectors

/// FreeIPMI's `ipmi-sel --interpret-oem-data` (as ipmi_exporter runs it) against our `sel-events` texts on Fujitsu
/// iRMC BMCs, at test time. ipmi_sim cannot answer Fujitsu's Get SEL Entry Long Text, so the iRMC that answers it is
/// our simulator configured with Fujitsu's IDs (FreeIPMI as its client is the oracle); ipmi_sim with Fujitsu's IDs
/// is the iRMC that refuses it.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sel"), "needs ipmi_sim and FreeIPMI"),
    .serialized)
struct SELOEMFujitsuAgainstIpmiSelTests {
    static let logger = Logger(label: "fujitsu-sel-test")
    static let options = [
        "--comma-separated-output", "--no-header-output", "--output-event-state", "--entity-sensor-names",
    ]

    static func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 6).map(String.init) }.filter {
            $0.count == 7
        }
    }

    /// Our entries and their Event texts and states, read through a SEL cache as the collector reads them.
    static func ours(
        _ session: any IPMIRequester, cache: SELCache = SELCache()
    ) async throws -> [(entry: SELEntry, text: String, state: String)] {
        let (entries, _, device) = try await cache.entries(from: session, logger: logger)
        let sensors = try await SDRCache(metrics: nil).sensors(from: session, logger: logger)
        let texts = await cache.texts(of: entries, sensors: SELEntry.sensorsByKey(sensors), device: device)
        return zip(entries, texts).map { ($0, $1, $0.state(device: device).rawValue) }
    }

    static func simulator(product: Int) async throws -> SimulatedBMCFleet {
        var configuration = SimulatorConfiguration.defaultServer
        configuration.device?.manufacturerID = 10368
        configuration.device?.productID = product
        return try await SimulatedBMCFleet.start(
            count: 1, basePort: 0, host: "127.0.0.1", configuration: configuration, logger: logger)
    }

    static func client(port: Int, privilege: IPMI.PrivilegeLevel = .administrator) async throws -> IPMIClient {
        let client = try IPMIClient(
            host: "127.0.0.1", port: port, username: "admin", password: "password", cipherSuite: .suite3,
            privilege: privilege, logger: logger)
        try await client.connect()
        return client
    }

    /// An iRMC S2 (TX200 S6, 0260h) and an S1 (TX200 S3, 0200h, its texts read 32 bytes at a time), read as
    /// administrator (FreeIPMI's default is operator, which an iRMC refuses the texts to): every entry
    /// reads as ipmi-sel prints it, the iRMC's texts and severities included; each entry's text is asked once, and
    /// a warm scrape of the unchanged log costs one request.
    @Test(arguments: [0x0260, 0x0200])
    func theIRMCsTextsReadAsIpmiSelPrintsThem(product: Int) async throws {
        let fleet = try await Self.simulator(product: product)
        defer { Task { await fleet.stop() } }
        let port = fleet.ports[0]
        let theirs: [[String]] = Self.rows(
            try await IPMISim.freeIPMI(
                "ipmi-sel", address: "127.0.0.1:\(port)", cipherSuite: 3,
                Self.options + ["--interpret-oem-data", "-l", "admin"]))
        let client = try await Self.client(port: port)
        let counting = CountingRequester(client)
        let cache = SELCache()
        let ours = try await Self.ours(counting, cache: cache)
        #expect(theirs.count == 4 && ours.count == theirs.count)
        for (row, mine) in zip(theirs, ours) {
            #expect(mine.text == row[6], "record \(row[0])")
            #expect(mine.state == row[5], "record \(row[0])")
        }
        // The iRMC's texts are in there: severities of OEM records, the CSS mark.
        #expect(
            theirs.contains { $0[6].hasPrefix("MINOR: ") } && theirs.contains { $0[6].hasSuffix("(CSS Component)") })
        let fujitsu = FujitsuGetSELEntryTextRequest.self
        // Texts of about 45 bytes: one request each from an S2, two from an S1.
        #expect(counting.count(fujitsu.netFn, fujitsu.command) == (product == 0x0200 ? 8 : 4))
        counting.reset()
        _ = try await cache.entries(from: counting, logger: Self.logger)
        #expect(counting.total == 1 && counting.count(NetFn.storage, GetSELInfoRequest.command) == 1)
        await client.close()
    }

    /// A session below administrator: the iRMC answers D4h, and ipmi-sel prints its note in place of each text;
    /// the iRMC is asked once in the session, the note stands for the other entries.
    @Test func belowAdministratorTheTextIsFreeIPMIsNote() async throws {
        let fleet = try await Self.simulator(product: 0x0260)
        defer { Task { await fleet.stop() } }
        let port = fleet.ports[0]
        let theirs: [[String]] = Self.rows(
            try await IPMISim.freeIPMI(
                "ipmi-sel", address: "127.0.0.1:\(port)", cipherSuite: 3,
                Self.options + ["--interpret-oem-data", "-l", "user"]))
        let client = try await Self.client(port: port, privilege: IPMI.PrivilegeLevel.user)
        let counting = CountingRequester(client)
        let ours = try await Self.ours(counting)
        #expect(theirs.count == 4 && ours.count == theirs.count)
        for (row, mine) in zip(theirs, ours) {
            #expect(mine.text == row[6], "record \(row[0])")
            #expect(mine.state == row[5], "record \(row[0])")
        }
        #expect(theirs.allSatisfy { $0[6].contains("[Fujitsu OEM decoding requires administrator privilege]") })
        let fujitsu = FujitsuGetSELEntryTextRequest.self
        #expect(counting.count(fujitsu.netFn, fujitsu.command) == 1)
        await client.close()
    }

    /// `sel_add` arguments (ipmi_sim_cmd(5)): entries without OEM codes (the last on Fujitsu's fan status sensor
    /// type E6h, offset 01h: "FAN failed"), one whose event data 2 and 3 hold OEM codes (ipmi-sel asks the iRMC about
    /// it), then more of both kinds (one on Fujitsu's power supply status, E8h) and an OEM record.
    static let entries = [
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x80 0x2A 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x01 0x2A 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0xE6 0x30 0x6F 0x01 0xFF 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA0 0x2A 0x01",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x00 0x2A 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA1 0x9B 0x03",
        "0x02 0 0 0 0 0x20 0x00 0x04 0xE8 0x31 0x6F 0xA2 0x10 0x20",
        "0xC1 0 0 0 0 0x80 0x28 0x00 1 2 3 4 5 6",
    ]

    /// ipmi_sim with Fujitsu's IDs refuses the command (C1h): ipmi-sel prints the entries before the first it asks
    /// about and stops there, failing; we print the same for those, and the generic text (ipmi-sel's without
    /// `--interpret-oem-data`) for the rest, having asked once.
    @Test(arguments: [0x0260, 0x0200])
    func anIRMCThatRefusesTheCommandReadsAsIpmiSelPrintsIt(product: Int) async throws {
        var configuration = IPMISim.labConfiguration(name: "selfujitsu\(product)")
        configuration.device = "0x20 no-device-sdrs 0x03 9 8 0x9f 10368 \(product)"
        configuration.emuCommands = Self.entries.map { "sel_add 0x20 " + $0 }
        let bmc = try await IPMISim.start(configuration)
        let cache = NSTemporaryDirectory() + "sel-fujitsu-\(bmc.port)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let base = [
            "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", bmc.address, "-u", "admin", "-p", "password",
            "--quiet-cache", "--sdr-cache-directory", cache, "--sdr-cache-recreate",
        ]
        let interpreted = try await ExternalCommand.run("ipmi-sel", base + Self.options + ["--interpret-oem-data"])
        #expect(interpreted.status != 0)
        let theirs = Self.rows(interpreted.stdout)
        #expect(theirs.count == 3 && theirs[2][6] == "FAN failed")
        let generic = Self.rows(try await ExternalCommand.output("ipmi-sel", base + Self.options))
        #expect(generic.count == Self.entries.count)

        let client = try IPMIClient(
            host: bmc.host, port: bmc.port, username: "admin", password: "password", cipherSuite: .suite3,
            logger: Self.logger)
        try await client.connect()
        let counting = CountingRequester(client)
        let ours = try await Self.ours(counting)
        #expect(ours.count == Self.entries.count)
        for (index, mine) in ours.enumerated() {
            let row = index < theirs.count ? theirs[index] : generic[index]
            #expect(mine.text == row[6], "record \(row[0])")
            #expect(mine.state == row[5], "record \(row[0])")
        }
        let fujitsu = FujitsuGetSELEntryTextRequest.self
        #expect(counting.count(fujitsu.netFn, fujitsu.command) == 1)
        await client.close()
    }
}
