import Foundation
import IPMI
import IPMIClient
import IPMIExporter
import IPMISensors
import IPMISimulator
import IPMITestSupport
import Logging
import NIOConcurrencyHelpers
import PrometheusText
import Testing

@testable import ExporterCollectors

/// Forwards to a live session and counts the requests by command, to see what a scrape costs.
final class CountingRequester: IPMIRequester {
    let base: any IPMIRequester
    private let sent = NIOLockedValueBox<[String: Int]>([:])

    init(_ base: any IPMIRequester) {
        self.base = base
    }

    private static func key(_ netFn: NetFn, _ command: UInt8) -> String { "\(netFn.rawValue)/\(command)" }

    func count(_ netFn: NetFn, _ command: UInt8) -> Int { sent.withLockedValue { $0[Self.key(netFn, command)] ?? 0 } }
    var total: Int { sent.withLockedValue { $0.values.reduce(0, +) } }
    func reset() { sent.withLockedValue { $0 = [:] } }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        sent.withLockedValue { $0[Self.key(netFn, command), default: 0] += 1 }
        return try await base.request(netFn: netFn, command: command, data: data, lun: lun)
    }

    func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>] {
        sent.withLockedValue { counts in
            for request in batch { counts[Self.key(request.netFn, request.command), default: 0] += 1 }
        }
        return await base.requests(batch)
    }
}

/// True under CI=true whatever is installed: a missing tool fails there.
private let thresholdToolsInstalled = ["ipmi_sim", "sdrcomp", "ipmitool", "ipmi-sensors"].allSatisfy(
    ExternalCommand.isAvailable)

/// The `thresholds`, `chassis-details` and `dcmi-statistics` collectors against ipmitool and FreeIPMI on the same
/// BMC, at test time: the lab's ipmi_sim for thresholds and chassis status, our simulator (settable chassis bits,
/// DCMI, which ipmi_sim lacks) with ipmitool as the client that reads it.
@Suite(
    .enabled(if: thresholdToolsInstalled, "needs ipmi_sim, sdrcomp, ipmitool, ipmi-sensors"),
    .serialized)
struct ThresholdsAgainstToolsTests {
    static let logger = Logger(label: "thresholds-test")

    static func context(
        _ session: any IPMIRequester, _ sdr: SDRCache, _ collectors: [CollectorName]
    )
        -> CollectorContext
    {
        CollectorContext(
            session: session,
            module: ModuleConfig(
                name: "default", user: "admin", password: Secret("password"), privilege: .admin,
                timeout: .seconds(10), collectors: collectors),
            sdr: sdr, logger: logger)
    }

    static func connect(_ bmc: IPMISim) async throws -> IPMIClient {
        let client = try IPMIClient(
            host: bmc.host, port: bmc.port, username: "admin", password: "password", cipherSuite: .suite3,
            logger: logger)
        try await client.connect()
        return client
    }

    /// id → level label → value.
    static func thresholds(_ families: [MetricFamily]) -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for sample in families.first(where: { $0.name == "ipmi_sensor_threshold" })?.samples ?? [] {
            let labels = Dictionary(sample.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            result[labels["id"]!, default: [:]][labels["level"]!] = sample.value
        }
        return result
    }

    /// The column order of both tools: LNR, LC, LNC, UNC, UC, UNR.
    static let levels = [
        "lower_non_recoverable", "lower_critical", "lower_non_critical", "upper_non_critical", "upper_critical",
        "upper_non_recoverable",
    ]

    static func freeIPMIThresholds(_ bmc: IPMISim) async throws -> [[String]] {
        let output = try await bmc.freeIPMI(
            "ipmi-sensors",
            ["--output-sensor-thresholds", "--comma-separated-output", "--no-header-output", "--shared-sensors"])
        // id,name,type,reading,units,LNR,LC,LNC,UNC,UC,UNR,event
        return output.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .filter { $0.count >= 11 }.map { $0.map(String.init) }
    }

    /// `ipmitool sensor` rows by name, in repository order: name | reading | unit | status | LNR … UNR.
    static func ipmitoolRows(_ bmc: IPMISim) throws -> [String: [[String]]] {
        var rows: [String: [[String]]] = [:]
        for line in try bmc.ipmitool(["sensor"]).split(separator: "\n") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count == 10 else { continue }
            rows[columns[0], default: []].append(Array(columns[4...]))
        }
        return rows
    }

    @Test func thresholdsEqualIpmitoolAndFreeIPMI() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration(name: "thresholds"))
        let client = try await Self.connect(bmc)
        let sdr = SDRCache(metrics: nil)
        let families = try await ThresholdsCollector().collect(Self.context(client, sdr, [.thresholds]))
        let sensors = await sdr.cachedSensors ?? []
        await client.close()
        let ours = Self.thresholds(families)
        let freeIPMI = try await Self.freeIPMIThresholds(bmc)
        var ipmitool = try Self.ipmitoolRows(bmc)
        #expect(freeIPMI.count > 40)

        var compared = 0
        for row in freeIPMI {
            let (id, name) = (row[0], row[1])
            let theirs = Array(row[5...10])
            let tool = ipmitool[name]?.isEmpty == false ? ipmitool[name]!.removeFirst() : nil
            let sensor = sensors.first { String($0.recordID) == id }
            for (index, level) in Self.levels.enumerated() {
                let value = ours[id]?[level]
                let ipmitoolValue = tool.flatMap { Double($0[index]) }
                if name == "LUN1 Temp" {
                    // FreeIPMI does not read sensors on LUN 1 (documented); ipmitool does, as we do.
                    #expect(value == ipmitoolValue, "\(name) \(level)")
                    continue
                }
                guard theirs[index] != "N/A" else {
                    #expect(value == nil, "\(name) \(level): we have \(value ?? .nan), FreeIPMI N/A")
                    // ipmitool applies a non-linear (70h) sensor's record factors anyway; FreeIPMI and we do not.
                    if ipmitoolValue != nil {
                        #expect(sensor?.conversion?.isConvertible == false, "\(name) \(level): ipmitool has one")
                    }
                    continue
                }
                guard let value else {
                    Issue.record("\(name) \(level): FreeIPMI \(theirs[index]), we have none")
                    continue
                }
                #expect(formatTwoDecimals(value) == theirs[index], "\(name) \(level)")
                // ipmitool prints three decimals; FreeIPMI's two are within half a hundredth of them.
                #expect(ipmitoolValue.map { abs($0 - value) <= 0.005 + 1e-9 } == true, "\(name) \(level) ipmitool")
                compared += 1
            }
        }
        // 3 × 3 upper temperatures and the rest of the lab's (see Tests/Lab/sensors.emu): many, not a handful.
        #expect(compared >= 30)
        #expect(ours.values.reduce(0) { $0 + $1.count } == compared)
    }

    @Test func aWarmScrapeSendsNoThresholdRequests() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration(name: "thresholds-warm"))
        let client = try await Self.connect(bmc)
        defer { Task { await client.close() } }
        let session = CountingRequester(client)
        let sdr = SDRCache(metrics: nil)
        let getThresholds = { session.count(GetSensorThresholdsRequest.netFn, GetSensorThresholdsRequest.command) }

        let cold = try await ThresholdsCollector().collect(Self.context(session, sdr, [.thresholds]))
        let asked = getThresholds()
        // One request per threshold sensor whose record says its thresholds are readable, none for the others.
        let threshold = (await sdr.cachedSensors ?? []).filter { $0.isThreshold && $0.thresholdAccess != 0 }
        #expect(asked >= 10)
        #expect(asked <= threshold.count)

        session.reset()
        let warm = try await ThresholdsCollector().collect(Self.context(session, sdr, [.thresholds]))
        #expect(warm == cold)
        #expect(getThresholds() == 0)
        // Alone, the collector checks the repository: one Get SDR Repository Info.
        #expect(session.total == 1)

        session.reset()
        // Beside `ipmi`, which checks it each scrape, not even that.
        let beside = try await ThresholdsCollector().collect(Self.context(session, sdr, [.ipmi, .thresholds]))
        #expect(beside == cold)
        #expect(session.total == 0)

        // A new session reads them again.
        await sdr.sessionOpened()
        session.reset()
        #expect(try await ThresholdsCollector().collect(Self.context(session, sdr, [.thresholds])) == cold)
        #expect(getThresholds() == asked)
    }

    /// ipmitool's `chassis status` lines as key → value.
    static func chassisStatus(_ output: String) -> [String: String] {
        Dictionary(
            output.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (
                    line[..<colon].trimmingCharacters(in: .whitespaces),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                )
            }, uniquingKeysWith: { a, _ in a })
    }

    /// Our chassis-details gauges next to ipmitool's words for the same bits.
    static func expectChassisEqual(_ families: [MetricFamily], _ ipmitool: [String: String]) {
        func value(_ name: String) -> Double? { families.first { $0.name == name }?.samples.first?.value }
        // ipmitool: "true"/"false" for faults, "active"/"inactive" for the switches; our gauges are 0 when present.
        let pairs: [(String, String)] = [
            ("ipmi_chassis_power_overload_state", "Power Overload"),
            ("ipmi_chassis_power_interlock_state", "Power Interlock"),
            ("ipmi_chassis_main_power_fault_state", "Main Power Fault"),
            ("ipmi_chassis_power_control_fault_state", "Power Control Fault"),
            ("ipmi_chassis_intrusion_state", "Chassis Intrusion"),
            ("ipmi_chassis_front_panel_lockout_state", "Front-Panel Lockout"),
        ]
        for (metric, key) in pairs {
            let present = ["true", "active"].contains(ipmitool[key] ?? "?")
            #expect(["true", "false", "active", "inactive"].contains(ipmitool[key] ?? "?"), "\(key)")
            #expect(value(metric) == (present ? 0 : 1), "\(metric) vs \(key): \(ipmitool[key] ?? "none")")
        }
        let policy = families.first { $0.name == "ipmi_chassis_power_restore_policy" }?.samples
            .first { $0.value == 1 }?.labels.first { $0.name == "policy" }?.value
        #expect(policy == ipmitool["Power Restore Policy"])
    }

    @Test func chassisDetailsEqualIpmitoolOnIpmiSim() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration(name: "chassis"))
        let client = try await Self.connect(bmc)
        let families = try await SingleRequestCollector.chassisDetails.collect(
            Self.context(client, SDRCache(metrics: nil), [.chassisDetails]))
        await client.close()
        Self.expectChassisEqual(families, Self.chassisStatus(try bmc.ipmitool(["chassis", "status"])))
    }

    static func startSimulator(_ faults: BMCFaults) async throws -> SimulatedBMCFleet {
        try await SimulatedBMCFleet.start(
            count: 1, basePort: 0, host: "127.0.0.1", faults: faults, logger: Logger(label: "simulator"))
    }

    static func ipmitool(_ port: Int, _ arguments: [String]) async throws -> String {
        try await ExternalCommand.output(
            "ipmitool",
            ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "admin", "-E", "-C", "17"] + arguments,
            environment: ["IPMI_PASSWORD": "password"])
    }

    static func collect(_ collector: some Collector, port: Int) async throws -> [MetricFamily] {
        let client = try IPMIClient(
            host: "127.0.0.1", port: port, username: "admin", password: "password", cipherSuite: .suite17,
            logger: logger)
        try await client.connect()
        let families = try await collector.collect(context(client, SDRCache(metrics: nil), [collector.name]))
        await client.close()
        return families
    }

    /// Every bit once on (each alone, so a swapped pair shows), and every restore policy, on our simulator.
    @Test func chassisDetailsEqualIpmitoolOnTheSimulator() async throws {
        let settings: [(power: UInt8, misc: UInt8)] = [
            (0x02, 0), (0x04, 0), (0x08, 0), (0x10, 0), (0x00, 0x01), (0x00, 0x02), (0x20, 0x0F), (0x40, 0),
            (0x60, 0), (0x1E, 0x03),
        ]
        for (power, misc) in settings {
            var faults = BMCFaults()
            faults.chassisPowerFlags = power
            faults.chassisMiscState = misc
            let fleet = try await Self.startSimulator(faults)
            let port = fleet.ports[0]
            do {
                let families = try await Self.collect(SingleRequestCollector.chassisDetails, port: port)
                Self.expectChassisEqual(
                    families, Self.chassisStatus(try await Self.ipmitool(port, ["chassis", "status"])))
            } catch {
                Issue.record("power \(power) misc \(misc): \(error)")
            }
            await fleet.stop()
        }
    }

    /// The demo's simulated server answers Get Sensor Thresholds: what we export is what ipmitool shows for it.
    @Test func theSimulatorsThresholdsEqualIpmitool() async throws {
        let fleet = try await Self.startSimulator(BMCFaults())
        defer { Task { await fleet.stop() } }
        let port = fleet.ports[0]
        let families = try await Self.collect(ThresholdsCollector(), port: port)
        var names: [String: String] = [:]
        for sample in families.first(where: { $0.name == "ipmi_sensor_threshold" })?.samples ?? [] {
            let labels = Dictionary(sample.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            names[labels["id"]!] = labels["name"]!
        }
        let ours = Self.thresholds(families)
        var compared = 0
        for line in try await Self.ipmitool(port, ["sensor"]).split(separator: "\n") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count == 10 else { continue }
            let id = names.first { $0.value == columns[0] }?.key
            for (index, level) in Self.levels.enumerated() {
                let theirs = Double(columns[4 + index])
                let value = id.flatMap { ours[$0]?[level] }
                #expect((value == nil) == (theirs == nil), "\(columns[0]) \(level)")
                if let value, let theirs {
                    #expect(abs(value - theirs) <= 0.005 + 1e-9, "\(columns[0]) \(level)")
                    compared += 1
                }
            }
        }
        #expect(compared >= 20)
    }

    /// A BMC without Get Sensor Thresholds (C1h, an optional command): the thresholds come from the SDR, as
    /// FreeIPMI takes them; ipmitool shows none there.
    @Test func aBMCWithoutTheCommandHasTheRecordsThresholdsAsFreeIPMIShows() async throws {
        var faults = BMCFaults()
        faults.refusedCommands = [GetSensorThresholdsRequest.netFn.rawValue: [GetSensorThresholdsRequest.command]]
        let fleet = try await Self.startSimulator(faults)
        defer { Task { await fleet.stop() } }
        let port = fleet.ports[0]
        let ours = Self.thresholds(try await Self.collect(ThresholdsCollector(), port: port))
        let output = try await IPMISim.freeIPMI(
            "ipmi-sensors", address: "127.0.0.1:\(port)", cipherSuite: 17,
            ["--output-sensor-thresholds", "--comma-separated-output", "--no-header-output", "--shared-sensors"])
        var compared = 0
        for row in output.split(separator: "\n").map({ $0.split(separator: ",", omittingEmptySubsequences: false) })
        where row.count >= 11 {
            for (index, level) in Self.levels.enumerated() {
                let theirs = String(row[5 + index])
                let value = ours[String(row[0])]?[level]
                #expect(value.map(formatTwoDecimals) ?? "N/A" == theirs, "\(row[1]) \(level)")
                if value != nil { compared += 1 }
            }
        }
        #expect(compared >= 20)
        let ipmitool = try await Self.ipmitool(port, ["sensor"])
        #expect(ipmitool.contains("CPU1 Temp"))
        #expect(!ipmitool.contains("85.000"))
    }

    /// ipmi_sim has no DCMI: our simulator answers it, ipmitool reads it.
    @Test func dcmiStatisticsEqualIpmitool() async throws {
        let fleet = try await Self.startSimulator(BMCFaults())
        defer { Task { await fleet.stop() } }
        let port = fleet.ports[0]
        let families = try await Self.collect(SingleRequestCollector.dcmiStatistics, port: port)
        let output = try await Self.ipmitool(port, ["dcmi", "power", "reading"])
        // "    Minimum during sampling period:                 268 Watts"; ipmitool prints "Sampling period:
        // 00003600 Seconds." on the timestamp's line, so the label is looked for anywhere.
        func watts(_ label: String) -> Double? {
            guard let range = output.range(of: label + ":") else { return nil }
            return output[range.upperBound...].split(separator: " ", omittingEmptySubsequences: true).first
                .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        func value(_ name: String) -> Double? { families.first { $0.name == name }?.samples.first?.value }
        #expect(watts("Minimum during sampling period") != nil)
        #expect(value("ipmi_dcmi_power_minimum_watts") == watts("Minimum during sampling period"))
        #expect(value("ipmi_dcmi_power_maximum_watts") == watts("Maximum during sampling period"))
        #expect(value("ipmi_dcmi_power_average_watts") == watts("Average power reading over sample period"))
        #expect(value("ipmi_dcmi_power_reporting_period_seconds") == watts("Sampling period"))
    }
}
