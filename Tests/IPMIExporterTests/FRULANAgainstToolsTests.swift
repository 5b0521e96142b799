import ExporterScrape
import Foundation
import IPMIExporter
import IPMISimulator
import IPMITestSupport
import Logging
import PrometheusText
import Testing

/// The `fru` and `lan` collectors against `ipmitool fru print` / `lan print` and FreeIPMI's `ipmi-fru` on the same
/// BMC: an ipmi_sim BMC with FRU devices of every kind (`Tests/Lab/sdrs/fru.sdrs`, data given here with
/// `mc_add_fru_data`) and LAN parameters from a `lan_config_program`, and our simulator as `make run` starts it.
/// Every label is compared with what the tools print at test time; the few places where the two tools disagree
/// follow FreeIPMI, and are listed in ``ipmitoolDifferences``.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmitool") && ExternalCommand.isAvailable("ipmi-fru"),
        "needs ipmi_sim, ipmitool and FreeIPMI"),
    .serialized)
struct FRULANAgainstToolsTests {
    /// FRU devices of the ipmi_sim BMC, by ID: device 0 with every area and every field encoding but BCD plus
    /// (FreeIPMI 1.6 rejects all BCD plus fields); device 1 with a BCD plus serial number and no manufacturing
    /// date; device 2 with a board area whose checksum is wrong; devices 10h-34h a chassis area of each type.
    static let devices: [Int: [UInt8]] = {
        var devices: [Int: [UInt8]] = [
            0: FRUImage.image(
                chassis: FRUImage.chassis(type: 0x17, [FRUImage.text("CH-PART-1"), FRUImage.sixBit("CHS0001")]),
                board: FRUImage.board(
                    minutes: 14_000_000,
                    [
                        FRUImage.text("Acme Boards Inc."), FRUImage.text("X11-Test Board"),
                        FRUImage.text("BRD-SN-0042"), FRUImage.sixBit("BRD PART 9"), FRUImage.text(""),
                        FRUImage.text("board custom"),
                    ]),
                product: FRUImage.product([
                    FRUImage.text("Acme Systems"), FRUImage.text("Server 9000"), FRUImage.text("P9000-01"),
                    FRUImage.text("v1.2"), FRUImage.text("PRODSERIAL42"), FRUImage.text("ASSET-0001"),
                    FRUImage.text("fileid"),
                ])),
            1: FRUImage.image(
                board: FRUImage.board(
                    minutes: 0,
                    [
                        FRUImage.text("Power Co"), FRUImage.text("PSU 800W"), FRUImage.bcdPlus("0815-4711"),
                        FRUImage.text("PSU-800"),
                    ]),
                product: FRUImage.product([
                    FRUImage.text("Power Co"), FRUImage.text("Supply"), FRUImage.text("PS-8"), FRUImage.text("B1"),
                    FRUImage.text("PS8SERIAL"), FRUImage.text(""),
                ])),
        ]
        var broken = FRUImage.image(
            board: FRUImage.board(minutes: 1, [FRUImage.text("Broken Inc"), FRUImage.text("Nothing")]),
            product: FRUImage.product([FRUImage.text("Still Fine"), FRUImage.text("Product")]))
        broken[8 + 7] ^= 0x20
        devices[2] = broken
        for type in 0...0x24 {
            devices[0x10 + type] = FRUImage.image(
                chassis: FRUImage.chassis(
                    type: UInt8(type), [FRUImage.text("CT-\(type)"), FRUImage.text("SN-\(type)")]))
        }
        return devices
    }()

    /// Where ipmitool's text differs from FreeIPMI's (which the exporter follows): its chassis type names.
    static let ipmitoolDifferences = [
        "Unspecified": "Unknown", "Multi-system Chassis": "Multi-system chassis", "CompactPCI": "Compact PCI",
        "AdvancedTCA": "Advanced TCA",
    ]

    /// The `ipmi_fru_info` labels and the lines of each tool that show them.
    static let fields: [(label: String, ipmitool: String, freeipmi: String)] = [
        ("chassis_type", "Chassis Type", "FRU Chassis Type"),
        ("chassis_part_number", "Chassis Part Number", "FRU Chassis Part Number"),
        ("chassis_serial_number", "Chassis Serial", "FRU Chassis Serial Number"),
        ("board_manufacturer", "Board Mfg", "FRU Board Manufacturer"),
        ("board_product_name", "Board Product", "FRU Board Product Name"),
        ("board_serial_number", "Board Serial", "FRU Board Serial Number"),
        ("board_part_number", "Board Part Number", "FRU Board Part Number"),
        ("product_manufacturer", "Product Manufacturer", "FRU Product Manufacturer Name"),
        ("product_name", "Product Name", "FRU Product Name"),
        ("product_part_number", "Product Part Number", "FRU Product Part/Model Number"),
        ("product_version", "Product Version", "FRU Product Version"),
        ("product_serial_number", "Product Serial", "FRU Product Serial Number"),
        ("product_asset_tag", "Product Asset Tag", "FRU Product Asset Tag"),
    ]

    static func labBMC(directory: URL) async throws -> IPMISim {
        // ipmi_sim asks this program for the LAN parameters it does not keep itself (ipmi_lan(5)
        // lan_config_program): "<parameter>:<value>" per parameter asked.
        let script = directory.appendingPathComponent("lancontrol.sh")
        try """
        #!/bin/sh
        shift 2
        for parameter in "$@"; do
          case $parameter in
            ip_addr) echo ip_addr:127.0.42.7 ;;
            ip_addr_src) echo ip_addr_src:dhcp ;;
            mac_addr) echo mac_addr:52:54:00:ab:cd:ef ;;
            subnet_mask) echo subnet_mask:255.255.255.0 ;;
            default_gw_ip_addr) echo default_gw_ip_addr:127.0.42.1 ;;
            default_gw_mac_addr) echo default_gw_mac_addr:52:54:00:00:00:01 ;;
            backup_gw_ip_addr) echo backup_gw_ip_addr:0.0.0.0 ;;
            backup_gw_mac_addr) echo backup_gw_mac_addr:00:00:00:00:00:00 ;;
          esac
        done

        """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        var configuration = IPMISim.Configuration()
        configuration.name = "fru"
        configuration.sdrSource = IPMISim.testsDirectory().appendingPathComponent("Lab/sdrs/fru.sdrs").path
        configuration.emuCommands = devices.keys.sorted().map { FRUImage.emu(id: $0, devices[$0] ?? []) }
        configuration.lanLines = ["lan_config_program \"\(script.path) eth0\""]
        return try await IPMISim.start(configuration)
    }

    @Test func fruAndLANOfAnIpmiSimBMCAreWhatIpmitoolAndFreeIPMIPrint() async throws {
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bmc = try await Self.labBMC(directory: directory)
        // ipmi_sim keeps the VLAN ID it is given (the other LAN parameters come from the lan_config_program).
        _ = try await ExternalCommand.output(
            "ipmitool", Self.ipmitool(bmc.host, bmc.port) + ["lan", "set", "1", "vlan", "id", "100"])
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        let module = ScrapeAgainstLabBMCTests.module(collectors: [.fru, .lan])
        let families = await harness.scrape(bmc, module: module)
        #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "fru"]) == 1)
        #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "lan"]) == 1)

        let ours = Self.fruInfo(families)
        // Every device with data, the broken one included (its header is fine); not the one without data.
        #expect(ours.keys.sorted() == Self.devices.keys.sorted())
        let tools = try await Self.toolOutputs(host: bmc.host, port: bmc.port, directory: directory)
        try Self.compare(ours, dates: Self.dates(families), tools, skipIpmitool: [2])
        // The broken board area is skipped, the product area of the same device is not.
        #expect(ours[2]?["board_manufacturer"] == "")
        #expect(ours[2]?["product_manufacturer"] == "Still Fine")
        // Device 1's BCD plus serial number, which FreeIPMI cannot decode, is ipmitool's.
        #expect(tools.freeipmi[1]?.fields["FRU Board Serial Number"]?.hasPrefix("Error") == true)
        #expect(ours[1]?["board_serial_number"] == tools.ipmitool[1]?.fields["Board Serial"])

        let lan = try await ExternalCommand.output(
            "ipmitool", Self.ipmitool(bmc.host, bmc.port) + ["lan", "print", "1"])
        try Self.compareLAN(families, ipmitool: lan)
        #expect(Self.lanLabels(families)?["ip_address"] == "127.0.42.7")
        #expect(Self.lanLabels(families)?["vlan_id"] == "100")

        // The inventory is kept with the session: a second scrape sends no FRU request at all.
        let before = ScrapeAgainstLabBMCTests.selfMetric(harness.metrics, "ipmi_exporter_packets_sent_total")
        let again = await harness.scrape(bmc, module: ScrapeAgainstLabBMCTests.module(collectors: [.fru]))
        let after = ScrapeAgainstLabBMCTests.selfMetric(harness.metrics, "ipmi_exporter_packets_sent_total")
        #expect(Self.fruInfo(again) == ours)
        #expect(after - before == 0, "\(after - before) packets for a cached inventory")
    }

    @Test func theSimulatorsFRUAndLANAreWhatIpmitoolAndFreeIPMIPrint() async throws {
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The second BMC of a fleet, so that its index shows in the texts.
        try await Self.onSimulatedBMC(count: 2) { harness, host, port in
            let families = await Self.scrape(
                harness, host, port, module: ScrapeAgainstLabBMCTests.module(collectors: [.fru, .lan]))
            #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "fru"]) == 1)
            #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "lan"]) == 1)
            let ours = Self.fruInfo(families)
            #expect(ours.keys.sorted() == [0])
            #expect(ours[0]?["product_serial_number"] == "SIMSRV1")
            let tools = try await Self.toolOutputs(host: host, port: port, directory: directory)
            try Self.compare(ours, dates: Self.dates(families), tools, skipIpmitool: [])
            let lan = try await ExternalCommand.output("ipmitool", Self.ipmitool(host, port) + ["lan", "print", "1"])
            try Self.compareLAN(families, ipmitool: lan)
        }
    }

    /// LAN parameters need Operator (IPMI v2.0 appendix G): a user-level module has `lan` down with D4h, counted as
    /// unsupported and remembered for the session, while `fru` (User) is up.
    @Test func aUserLevelModuleHasTheLANCollectorDownAndFRUUp() async throws {
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.fru, .lan], password: "reader")
        module.user = "reader"
        module.privilege = .user
        try await Self.onSimulatedBMC { harness, host, port in
            for _ in 0..<2 {
                let families = await Self.scrape(harness, host, port, module: module)
                #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "fru"]) == 1)
                #expect(ScrapeAgainstLabBMCTests.value(families, "ipmi_up", ["collector": "lan"]) == 0)
                #expect(Self.fruInfo(families)[0]?["board_manufacturer"] == "Simulated")
            }
            #expect(
                FaultToleranceTests.counter(
                    harness.metrics, "ipmi_exporter_errors_total", label: Label("reason", "unsupported")) == 1)
        }
    }

    /// Runs `body` against the last BMC of a simulated fleet of `count`, with a fresh scrape harness.
    static func onSimulatedBMC(
        count: Int = 1, _ body: (ScrapeAgainstLabBMCTests.Harness, String, Int) async throws -> Void
    ) async throws {
        let fleet = try await SimulatedBMCFleet.start(count: count, basePort: 0, logger: quietLogger)
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer {
            Task {
                await harness.shutdown()
                await fleet.stop()
            }
        }
        let parts = try #require(fleet.addresses.last).split(separator: ":")
        try await body(harness, String(parts[0]), try #require(Int(parts[1])))
    }

    static func scrape(
        _ harness: ScrapeAgainstLabBMCTests.Harness, _ host: String, _ port: Int, module: ModuleConfig
    ) async -> [MetricFamily] {
        await harness.scraper.scrape(
            ScrapeRequest(target: ScrapeTarget(host: host, port: port), module: module, deadline: .now + .seconds(60))
        ).exposition
    }

    // MARK: - Comparing with the tools

    struct Device {
        var name: String
        /// Each "key: value" line, the value as printed (trailing spaces kept).
        var fields: [String: String]
    }

    struct ToolOutputs {
        var ipmitool: [Int: Device]
        var freeipmi: [Int: Device]
    }

    static func ipmitool(_ host: String, _ port: Int) -> [String] {
        ["-I", "lanplus", "-C", "3", "-H", host, "-p", String(port), "-U", "admin", "-P", "password"]
    }

    static func toolOutputs(host: String, port: Int, directory: URL) async throws -> ToolOutputs {
        let utc = ["TZ": "UTC"]
        let ipmitool = try await ExternalCommand.output(
            "ipmitool", Self.ipmitool(host, port) + ["fru", "print"], environment: utc)
        let cache = directory.appendingPathComponent("sdr-\(port)").path
        try FileManager.default.createDirectory(
            atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let freeipmi = try await ExternalCommand.output(
            "ipmi-fru",
            [
                "-D", "LAN_2_0", "-I", "3", "-W", "opensesspriv", "-h", "\(host):\(port)", "-u", "admin", "-p",
                "password", "--quiet-cache", "--sdr-cache-directory", cache,
            ], environment: utc)
        return ToolOutputs(
            ipmitool: parse(ipmitool, heading: #/^FRU Device Description : (.*) \(ID (\d+)\)$/#, radix: 10),
            freeipmi: parse(freeipmi, heading: #/^FRU Inventory Device: (.*) \(ID ([0-9A-F]+)h\)$/#, radix: 16))
    }

    /// Devices by ID from a tool's output: a heading line per device, then "key: value" lines.
    static func parse(_ output: String, heading: Regex<(Substring, Substring, Substring)>, radix: Int) -> [Int: Device]
    {
        var devices: [Int: Device] = [:]
        var current: Int?
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            if let match = line.wholeMatch(of: heading), let id = Int(match.2, radix: radix) {
                current = id
                devices[id] = Device(name: String(match.1), fields: [:])
                continue
            }
            guard let current, let colon = line.firstRange(of: ": ") else { continue }
            let key = line[..<colon.lowerBound].trimmingCharacters(in: .whitespaces)
            // The first line of a key counts (ipmitool repeats "Chassis Extra" and the like).
            if devices[current]?.fields[key] == nil {
                devices[current]?.fields[key] = String(line[colon.upperBound...])
            }
        }
        return devices
    }

    /// Each of our devices against both tools: a label is the tool's line, or empty when the tool prints no line
    /// for it. FreeIPMI's names and chassis types are ours; ipmitool's names differ for device 0 ("Builtin FRU
    /// Device") and its chassis types as ``ipmitoolDifferences`` lists. A FreeIPMI "Error" line (BCD plus) is not
    /// compared; `skipIpmitool` lists devices ipmitool prints garbage for (it does not check area checksums).
    static func compare(
        _ ours: [Int: [String: String]], dates: [Int: Double], _ tools: ToolOutputs, skipIpmitool: Set<Int>
    ) throws {
        for (id, labels) in ours.sorted(by: { $0.key < $1.key }) {
            let freeipmi = try #require(tools.freeipmi[id], "ipmi-fru shows no device \(id)")
            #expect(labels["name"] == freeipmi.name, "device \(id)")
            for field in fields {
                let theirs = freeipmi.fields[field.freeipmi] ?? ""
                if theirs.hasPrefix("Error '") { continue }
                #expect(labels[field.label] == theirs, "device \(id) \(field.label) vs ipmi-fru")
            }
            if !skipIpmitool.contains(id) {
                let ipmitool = try #require(tools.ipmitool[id], "ipmitool shows no device \(id)")
                if id != 0 { #expect(labels["name"] == ipmitool.name, "device \(id)") }
                for field in fields {
                    let printed = ipmitool.fields[field.ipmitool] ?? ""
                    let theirs = field.label == "chassis_type" ? ipmitoolDifferences[printed] ?? printed : printed
                    #expect(labels[field.label] == theirs, "device \(id) \(field.label) vs ipmitool")
                }
                // ipmitool: "Unspecified" for no date, else asctime() in TZ=UTC.
                let date = ipmitool.fields["Board Mfg Date"]
                if date == nil || date == "Unspecified" {
                    #expect(dates[id] == nil, "device \(id) date")
                } else {
                    #expect(dates[id] != nil, "device \(id) date")
                }
            }
            // FreeIPMI: "08/14/22 - 05:20:00" (it shows the date 0 as 01/01/96, which we leave out).
            if let printed = freeipmi.fields["FRU Board Manufacturing Date/Time"], let ours = dates[id] {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "UTC")
                formatter.dateFormat = "MM/dd/yy - HH:mm:ss"
                let theirs = try #require(formatter.date(from: printed), "\(printed)")
                #expect(ours == theirs.timeIntervalSince1970, "device \(id) date")
            }
        }
    }

    /// Our one `ipmi_bmc_lan_info` sample against `ipmitool lan print 1`.
    static func compareLAN(_ families: [MetricFamily], ipmitool output: String) throws {
        var printed: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if printed[key] == nil {
                printed[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let labels = try #require(lanLabels(families))
        #expect(labels["channel"] == "1")
        let pairs = [
            ("ip_address", "IP Address"), ("ip_address_source", "IP Address Source"), ("subnet_mask", "Subnet Mask"),
            ("default_gateway", "Default Gateway IP"), ("mac_address", "MAC Address"), ("vlan_id", "802.1q VLAN ID"),
        ]
        for (label, key) in pairs {
            let theirs = try #require(printed[key], "ipmitool lan print has no \(key)")
            #expect(labels[label] == theirs, "\(label)")
        }
    }

    static func lanLabels(_ families: [MetricFamily]) -> [String: String]? {
        guard let family = families.first(where: { $0.name == "ipmi_bmc_lan_info" }), family.samples.count == 1 else {
            return nil
        }
        return Dictionary(uniqueKeysWithValues: family.samples[0].labels.map { ($0.name, $0.value) })
    }

    /// `ipmi_fru_info`'s labels by FRU ID.
    static func fruInfo(_ families: [MetricFamily]) -> [Int: [String: String]] {
        var devices: [Int: [String: String]] = [:]
        for sample in families.first(where: { $0.name == "ipmi_fru_info" })?.samples ?? [] {
            let labels = Dictionary(uniqueKeysWithValues: sample.labels.map { ($0.name, $0.value) })
            if let id = labels["fru_id"].flatMap({ Int($0) }) { devices[id] = labels }
        }
        return devices
    }

    static func dates(_ families: [MetricFamily]) -> [Int: Double] {
        var dates: [Int: Double] = [:]
        for sample in families.first(where: { $0.name == "ipmi_fru_board_manufacturing_date_seconds" })?.samples ?? [] {
            if let id = sample.labels.first(where: { $0.name == "fru_id" }).flatMap({ Int($0.value) }) {
                dates[id] = sample.value
            }
        }
        return dates
    }
}

/// FRU images encoded from the Platform Management FRU Information Storage Definition v1.0 for the tests, apart
/// from the decoder under test.
enum FRUImage {
    /// Type 11b, 8-bit ASCII (§13.1).
    static func text(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [0xC0 | UInt8(bytes.count)] + bytes
    }

    /// Type 10b, 6-bit ASCII packed (§13.1.2), padded with spaces to a multiple of four characters.
    static func sixBit(_ text: String) -> [UInt8] {
        var codes = text.uppercased().unicodeScalars.map { UInt32($0.value) - 0x20 }
        while codes.count % 4 != 0 { codes.append(0) }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: codes.count, by: 4) {
            let packed = codes[index] | codes[index + 1] << 6 | codes[index + 2] << 12 | codes[index + 3] << 18
            bytes += [UInt8(packed & 0xFF), UInt8(packed >> 8 & 0xFF), UInt8(packed >> 16 & 0xFF)]
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// Type 01b, BCD plus (§13.1.1), padded with a space to whole bytes.
    static func bcdPlus(_ text: String) -> [UInt8] {
        var digits: [UInt8] = text.map { character in
            switch character {
            case " ": 0xA
            case "-": 0xB
            case ".": 0xC
            default: UInt8(character.wholeNumberValue ?? 0)
            }
        }
        if digits.count % 2 != 0 { digits.append(0xA) }
        let bytes = stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
        return [0x40 | UInt8(bytes.count)] + bytes
    }

    /// An info area (§10-12): version 1, its length, `body`, the end-of-fields byte, padding to a multiple of 8
    /// bytes and a zero checksum.
    static func area(_ body: [UInt8]) -> [UInt8] {
        var area = [0x01, 0x00] + body + [0xC1]
        while (area.count + 1) % 8 != 0 { area.append(0) }
        area[1] = UInt8((area.count + 1) / 8)
        return area + [checksum(area)]
    }

    static func chassis(type: UInt8, _ fields: [[UInt8]]) -> [UInt8] { area([type] + fields.flatMap { $0 }) }

    static func board(minutes: UInt32, _ fields: [[UInt8]]) -> [UInt8] {
        area([0x00, UInt8(minutes & 0xFF), UInt8(minutes >> 8 & 0xFF), UInt8(minutes >> 16)] + fields.flatMap { $0 })
    }

    static func product(_ fields: [[UInt8]]) -> [UInt8] { area([0x00] + fields.flatMap { $0 }) }

    /// The common header (§8) and the areas given, in order.
    static func image(chassis: [UInt8]? = nil, board: [UInt8]? = nil, product: [UInt8]? = nil) -> [UInt8] {
        var header: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        var next = 1
        var body: [UInt8] = []
        for (slot, area) in [(2, chassis), (3, board), (4, product)] {
            guard let area else { continue }
            header[slot] = UInt8(next)
            next += area.count / 8
            body += area
        }
        return header + [checksum(header)] + body
    }

    static func checksum(_ bytes: [UInt8]) -> UInt8 { 0 &- bytes.reduce(0, &+) }

    /// The ipmi_sim_cmd(5) line that gives FRU device `id` of the BMC these bytes.
    static func emu(id: Int, _ bytes: [UInt8]) -> String {
        "mc_add_fru_data 0x20 \(id) \(bytes.count) data "
            + bytes.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
    }
}
