import Foundation
import IPMITestSupport
import Testing

/// Both exporters, ours and Debian's `prometheus-ipmi-exporter` (ipmi_exporter 1.6.1 running FreeIPMI), scrape the
/// same ipmi_sim BMCs with the same YAML, and their expositions are diffed series by series (name and label set)
/// and value by value. Only the differences the README lists as deliberate may remain; each is recognised from
/// what FreeIPMI itself says about the BMC (ipmi-sensors at test time), never from our own output.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("prometheus-ipmi-exporter")
            && ExternalCommand.isAvailable("ipmi-sensors") && ExternalCommand.isAvailable("curl"),
        "needs ipmi_sim, prometheus-ipmi-exporter, FreeIPMI and curl"),
    .serialized)
struct ReferenceExporterTests {
    /// One sample: a metric name and its labels, sorted.
    struct Series: Hashable, CustomStringConvertible {
        var name: String
        var labels: [String: String]
        var description: String {
            name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
                + "}"
        }
        func label(_ key: String) -> String { labels[key] ?? "" }
    }

    /// Parses the samples of a text exposition (version 0.0.4): `name{label="value",…} value`.
    static func parse(_ text: String) -> [Series: Double] {
        var samples: [Series: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let characters = Array(line)
            var index = 0
            var name = ""
            while index < characters.count, characters[index] != "{", characters[index] != " " {
                name.append(characters[index])
                index += 1
            }
            var labels: [String: String] = [:]
            if index < characters.count, characters[index] == "{" {
                index += 1
                while index < characters.count, characters[index] != "}" {
                    var key = ""
                    while characters[index] != "=" {
                        key.append(characters[index])
                        index += 1
                    }
                    index += 2  // ="
                    var value = ""
                    while characters[index] != "\"" {
                        if characters[index] == "\\" {
                            index += 1
                            value.append(characters[index] == "n" ? "\n" : characters[index])
                        } else {
                            value.append(characters[index])
                        }
                        index += 1
                    }
                    index += 1
                    if index < characters.count, characters[index] == "," { index += 1 }
                    labels[key] = value
                }
                index += 1
            }
            let value = String(characters[index...]).trimmingCharacters(in: .whitespaces)
            samples[Series(name: name, labels: labels)] = Double(value) ?? .nan
        }
        return samples
    }

    struct NotReady: Error { var program: String }

    /// A running exporter binary on a loopback port.
    final class Exporter: @unchecked Sendable {
        let process = Process()
        let port = FreePort.tcp()

        init(_ executable: String, config: String) throws {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "--config.file", config, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try ExternalCommand.launch(process)
        }

        func get(_ path: String) throws -> String {
            try ExternalCommand.output("curl", ["-sf", "--max-time", "60", "http://127.0.0.1:\(port)\(path)"])
        }

        /// Waits until it answers HTTP.
        func ready() async throws {
            for _ in 0..<200 {
                let probe = try? await ExternalCommand.run(
                    "curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"])
                if probe?.status == 0 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw NotReady(program: process.executableURL?.path ?? "")
        }

        /// SIGKILL and reap; also on deinit, but the tests call it in a `defer` so that no error path leaves the
        /// exporter running after the test process is gone.
        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }

        deinit { stop() }
    }

    /// What FreeIPMI says about a BMC's sensors: every row of `ipmi-sensors --shared-sensors` and the records
    /// owned by a LUN other than 0.
    struct FreeIPMIView {
        /// (record id, name) → (state, event column).
        var rows: [String: (id: String, name: String, state: String, event: String)] = [:]
        var sharedNames: [String: Set<String>] = [:]
        var otherLUNRecords: Set<String> = []

        init(_ bmc: IPMISim, cacheDirectory: String) throws {
            // FreeIPMI refuses an SDR cache directory others can write to.
            try FileManager.default.createDirectory(
                atPath: cacheDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let common = [
                "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", bmc.address, "-u", "admin", "-p",
                "password", "--quiet-cache", "--sdr-cache-recreate", "--sdr-cache-directory", cacheDirectory,
            ]
            let csv = try ExternalCommand.output(
                "ipmi-sensors",
                common + [
                    "--comma-separated-output", "--no-header-output", "--output-sensor-state", "--shared-sensors",
                ])
            var names: [String: [String]] = [:]
            for line in csv.split(separator: "\n") {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 7 else { continue }
                rows[fields[0] + "/" + fields[1]] = (fields[0], fields[1], fields[3], fields[6])
                names[fields[0], default: []].append(fields[1])
            }
            sharedNames = names.filter { $0.value.count > 1 }.mapValues(Set.init)
            var record = ""
            for line in try ExternalCommand.output("ipmi-sensors", common + ["-v"]).split(separator: "\n") {
                if line.hasPrefix("Record ID: ") { record = String(line.dropFirst("Record ID: ".count)) }
                if line.hasPrefix("Sensor Owner LUN: "), line != "Sensor Owner LUN: 0h" {
                    otherLUNRecords.insert(record)
                }
            }
        }

        func row(_ series: Series) -> (id: String, name: String, state: String, event: String)? {
            rows[series.label("id") + "/" + series.label("name")]
        }
    }

    static let stateFamilies: Set<String> = [
        "ipmi_temperature_state", "ipmi_fan_speed_state", "ipmi_voltage_state", "ipmi_current_state",
        "ipmi_power_state", "ipmi_sensor_state",
    ]

    /// ipmi_exporter's parse of bmc-info's firmware lines: the digits and dots at the start.
    static func leadingVersion(_ text: String) -> String {
        text == "N/A" ? text : String(text.prefix { $0.isNumber || $0 == "." })
    }

    /// Every difference between the two expositions that the README does not list, as text.
    static func unexplainedDifferences(
        ours: [Series: Double], reference: [Series: Double], freeIPMI: FreeIPMIView
    )
        -> [String]
    {
        var problems: [String] = []
        var ours = ours
        var reference = reference
        // Run time, not a property of the BMC.
        ours = ours.filter { $0.key.name != "ipmi_scrape_duration_seconds" }
        reference = reference.filter { $0.key.name != "ipmi_scrape_duration_seconds" }
        // ipmi_exporter 1.7 added the chassis fault gauges and 1.10 the bmc_url label; Debian's 1.6.1 predates them.
        ours = ours.filter {
            !["ipmi_chassis_drive_fault_state", "ipmi_chassis_cooling_fault_state"].contains($0.key.name)
        }
        ours = Dictionary(
            uniqueKeysWithValues: ours.map { series, value in
                guard series.name == "ipmi_bmc_info" else { return (series, value) }
                var labels = series.labels
                labels["bmc_url"] = nil
                // Firmware strings are verbatim; ipmi_exporter keeps the leading digits and dots.
                labels["system_firmware_version"] = leadingVersion(labels["system_firmware_version"] ?? "")
                labels["firmware_revision"] = leadingVersion(labels["firmware_revision"] ?? "")
                return (Series(name: series.name, labels: labels), value)
            })
        // Sensors owned by a LUN other than 0: FreeIPMI does not read them, so the reference has none; we do.
        for (series, _) in ours where freeIPMI.otherLUNRecords.contains(series.label("id")) {
            ours[series] = nil
            if reference.keys.contains(where: { $0.label("id") == series.label("id") }) {
                problems.append("the reference has LUN-1 sensor \(series)")
            }
        }
        // Shared compact records: the reference shows the first sensor under the record's bare ID string; we show
        // each sensor under the name `ipmi-sensors --shared-sensors` gives it.
        for (record, names) in freeIPMI.sharedNames {
            let ourNames = Set(ours.keys.filter { $0.label("id") == record }.map { $0.label("name") })
            if ourNames != names { problems.append("record \(record): ours \(ourNames), FreeIPMI \(names)") }
            for series in ours.keys where series.label("id") == record {
                if stateFamilies.contains(series.name), let row = freeIPMI.row(series),
                    let value = ours[series], !stateAgrees(ours: value, freeIPMIState: row.state, event: row.event)
                {
                    problems.append("shared \(series): \(value) vs FreeIPMI \(row.state)")
                }
                ours[series] = nil
            }
            reference = reference.filter { $0.key.label("id") != record }
        }
        for series in Set(ours.keys).union(reference.keys).sorted(by: { $0.description < $1.description }) {
            switch (ours[series], reference[series]) {
            case (nil, let theirs?): problems.append("missing \(series) \(theirs)")
            case (let mine?, nil): problems.append("extra \(series) \(mine)")
            case (let mine?, let theirs?):
                if mine == theirs || (mine.isNaN && theirs.isNaN) { continue }
                // Past a non-critical threshold: warning (1) for us, nominal (0) for FreeIPMI's default reading.
                if stateFamilies.contains(series.name), mine == 1, theirs == 0,
                    let row = freeIPMI.row(series), row.event.contains("Non-Critical")
                {
                    continue
                }
                problems.append("\(series): ours \(mine), reference \(theirs)")
            case (nil, nil): continue
            }
        }
        return problems
    }

    static func stateAgrees(ours: Double, freeIPMIState: String, event: String) -> Bool {
        switch freeIPMIState {
        case "Nominal": ours == 0 || (ours == 1 && event.contains("Non-Critical"))
        case "Warning": ours == 1
        case "Critical": ours == 2
        default: ours.isNaN
        }
    }

    /// The module both exporters read; FreeIPMI needs opensesspriv for ipmi_sim (ours accepts and ignores it).
    static let config =
        "modules: {default: {user: admin, pass: password, privilege: admin, driver: LAN_2_0, timeout: 30000,"
        + " collectors: [ipmi, dcmi, bmc, chassis, sel], workaround_flags: [opensesspriv]}}\n"

    /// The lab's sensors on a BMC of another manufacturer and firmware, with SEL entries.
    static func otherBMC() -> IPMISim.Configuration {
        var configuration = IPMISim.labConfiguration(name: "other")
        // Dell (674 = 2A2h), firmware 2.45.
        configuration.device = "0x20 no-device-sdrs 0x03 2 0x45 0x9f 0x2a2 0x100"
        configuration.emuCommands = [
            "sel_add 0x20 0x02 0x00 0x10 0x20 0x66 0x20 0x00 0x04 0x04 0x33 0x01 0x51 0xF0 0x05",
            "sel_add 0x20 0x02 0x00 0x20 0x20 0x66 0x20 0x00 0x04 0x0C 0x08 0x6F 0x01 0xFF 0xFF",
        ]
        return configuration
    }

    /// Our binary and the reference, both serving `config` from `directory`.
    static func startBoth(in directory: URL) async throws -> (ours: Exporter, reference: Exporter) {
        let ourBinary = try #require(ServeCommandTests.executable, "build the ipmi-exporter product first")
        let configFile = directory.appendingPathComponent("ipmi.yml").path
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        let reference = try Exporter(
            ExternalCommand.locate("prometheus-ipmi-exporter") ?? "/usr/bin/prometheus-ipmi-exporter",
            config: configFile)
        do {
            let ours = try Exporter(ourBinary.path, config: configFile)
            do {
                try await reference.ready()
                try await ours.ready()
            } catch {
                ours.stop()
                throw error
            }
            return (ours, reference)
        } catch {
            reference.stop()
            throw error
        }
    }

    @Test(arguments: ["lab", "other"])
    func theDefaultCollectorsExportWhatTheReferenceDoes(_ kind: String) async throws {
        let bmc = try await IPMISim.start(kind == "lab" ? IPMISim.labConfiguration() : Self.otherBMC())
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (ours, reference) = try await Self.startBoth(in: directory)
        defer {
            ours.stop()
            reference.stop()
        }

        let path = "/ipmi?target=\(bmc.address)&module=default"
        let (ourText, referenceText, freeIPMI) = try await offPool {
            (
                try ours.get(path), try reference.get(path),
                try FreeIPMIView(bmc, cacheDirectory: directory.appendingPathComponent("sdr").path)
            )
        }
        let ourSeries = Self.parse(ourText)
        let referenceSeries = Self.parse(referenceText)
        #expect(referenceSeries[Series(name: "ipmi_up", labels: ["collector": "ipmi"])] == 1, "\(referenceText)")
        #expect(referenceSeries[Series(name: "ipmi_up", labels: ["collector": "bmc"])] == 1)
        let problems = Self.unexplainedDifferences(ours: ourSeries, reference: referenceSeries, freeIPMI: freeIPMI)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // The comparison saw real data: the lab's sensors, and the other BMC's SEL entries and manufacturer.
        #expect(referenceSeries.count > 100)
        if kind == "other" {
            #expect(referenceSeries[Series(name: "ipmi_sel_logs_count", labels: [:])] == 2)
            #expect(referenceSeries.keys.contains { $0.label("manufacturer_id") == "Dell Inc. (674)" })
        }
    }

    /// `/metrics`: every `process_*` series of the reference, with its labels, is ours too (our self-metrics, Go's
    /// runtime and handler families aside).
    @Test func processFamiliesAreTheReferences() async throws {
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (ours, reference) = try await Self.startBoth(in: directory)
        defer {
            ours.stop()
            reference.stop()
        }
        let (ourText, referenceText) = try await offPool { (try ours.get("/metrics"), try reference.get("/metrics")) }
        let theirs = Set(Self.parse(referenceText).keys.filter { $0.name.hasPrefix("process_") })
        let mine = Set(Self.parse(ourText).keys.filter { $0.name.hasPrefix("process_") })
        #expect(theirs.count >= 6)
        #expect(theirs.subtracting(mine).isEmpty, "missing: \(theirs.subtracting(mine))")
        #expect(mine.subtracting(theirs).isEmpty, "extra: \(mine.subtracting(theirs))")
    }
}
