import ExporterScrape
import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// FreeIPMI's and ipmitool's view of an ipmi_sim SEL, the oracles of the SEL tests.
enum SELOracle {
    /// ipmitool's LAN arguments for `bmc`.
    static func ipmitool(_ bmc: IPMISim) -> [String] {
        ["-I", "lanplus", "-C", "3", "-H", bmc.host, "-p", "\(bmc.port)", "-U", "admin", "-P", "password"]
    }

    /// The rows of `ipmi-sel`, run with ipmi_exporter 1.10's arguments: ID, Date, Time, Name, Type, State, Event (the
    /// Event column may hold commas of its own).
    static func ipmiSelRows(_ bmc: IPMISim) async throws -> [[String]] {
        let csv = try await ipmiSel(
            bmc,
            [
                "--comma-separated-output", "--no-header-output", "--sdr-cache-recreate", "--output-event-state",
                "--interpret-oem-data", "--entity-sensor-names",
            ])
        return csv.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 6).map(String.init) }
            .filter { $0.count == 7 }
    }

    /// What `ipmi-sel` with `arguments` prints for `bmc`, its SDR cache in a directory of its own.
    static func ipmiSel(_ bmc: IPMISim, _ arguments: [String]) async throws -> String {
        let cache = NSTemporaryDirectory() + "sel-sdrcache-\(bmc.port)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: cache) }
        return try await ExternalCommand.output(
            "ipmi-sel",
            [
                "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", bmc.address, "-u", "admin", "-p",
                "password", "--quiet-cache", "--sdr-cache-directory", cache,
            ] + arguments)
    }

    /// The count of entries of `ipmitool sel info`.
    static func ipmitoolEntries(_ bmc: IPMISim) async throws -> Double? {
        let info = try await ExternalCommand.output("ipmitool", ipmitool(bmc) + ["sel", "info"])
        let line = info.split(separator: "\n").first { $0.hasPrefix("Entries") }
        return line.flatMap { $0.split(separator: ":").last }.flatMap {
            Double($0.trimmingCharacters(in: .whitespaces))
        }
    }
}

/// The SEL cache against ipmi_sim, counting the datagrams the exporter sends: a warm scrape of an unchanged SEL
/// sends one (Get SEL Info, shared by the `sel` and `sel-events` collectors), entries added with ipmitool are read
/// after the last one known, a cleared SEL is read again, and every scrape counts what ipmi-sel and ipmitool show.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sel") && ExternalCommand.isAvailable("ipmitool"),
        "needs ipmi_sim, FreeIPMI and ipmitool"),
    .serialized)
struct SELCacheAgainstIpmiSimTests {
    /// Add SEL Entry (IPMI v2.0 §31.6, NetFn 0Ah command 44h) of a system event record (§32.1): memory uncorrectable
    /// ECC (sensor type 0Ch, sensor-specific 6Fh, offset 1); ipmi_sim gives it its ID and timestamp.
    static func addEntries(_ count: Int, to bmc: IPMISim) async throws {
        for _ in 0..<count {
            _ = try await ExternalCommand.output(
                "ipmitool",
                SELOracle.ipmitool(bmc) + [
                    "raw", "0x0a", "0x44", "0", "0", "0x02", "0", "0", "0", "0", "0x20", "0", "0x04", "0x0C", "0x08",
                    "0x6F", "0x01", "0xFF", "0xFF",
                ])
        }
    }

    @Test func warmScrapesReadOnlyWhatChanged() async throws {
        var configuration = IPMISim.labConfiguration(name: "selcache")
        configuration.emuCommands = [
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x08 0x50 0x6F 0x01 0xFF 0xFF",
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x07 0x51 0x6F 0x00 0xFF 0xFF",
        ]
        let bmc = try await IPMISim.start(configuration)
        defer { bmc.stop() }
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.sel, .selEvents])
        module.selEvents = [SELEventRule(name: "all", pattern: ".*")]
        // No keep-alive between scrapes: the packets counted are the scrapes' own.
        var settings = SessionCache.Settings()
        settings.keepaliveInterval = .zero
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(settings: settings)
        func sent() -> Double {
            ScrapeAgainstLabBMCTests.selfMetric(harness.metrics, "ipmi_exporter_packets_sent_total")
        }
        /// One scrape: the datagrams it sent, after checking its counts against ipmi-sel and ipmitool.
        func scrape(_ what: String) async throws -> Double {
            let before = sent()
            let families = await harness.scrape(bmc, module: module)
            let packets = sent() - before
            let rows = try await SELOracle.ipmiSelRows(bmc)
            var states: [String: Double] = [:]
            for row in rows { states[row[5], default: 0] += 1 }
            let byState = (families.first { $0.name == "ipmi_sel_events_count_by_state" }?.samples ?? [])
                .map { ($0.labels[0].value, $0.value) }
            #expect(Dictionary(uniqueKeysWithValues: byState) == states, "\(what)")
            #expect(
                ScrapeAgainstLabBMCTests.value(families, "ipmi_sel_events_count_by_name", ["name": "all"])
                    == Double(rows.count), "\(what)")
            #expect(
                ScrapeAgainstLabBMCTests.value(families, "ipmi_sel_logs_count")
                    == (try await SELOracle.ipmitoolEntries(bmc)), "\(what)")
            return packets
        }
        // Cold: the session's handshake and a full read. Then warm and unchanged: Get SEL Info alone.
        #expect(try await scrape("cold") > 3)
        #expect(try await scrape("unchanged") == 1)
        #expect(try await scrape("unchanged again") == 1)
        // Four added: Get SEL Info, the last entry known (for its new "next"), the four.
        try await Self.addEntries(4, to: bmc)
        #expect(try await scrape("4 added") == 1 + 1 + 4)
        #expect(try await scrape("unchanged after the addition") == 1)
        // Cleared, then three added: Get SEL Info and the three, from the first.
        _ = try await ExternalCommand.output("ipmitool", SELOracle.ipmitool(bmc) + ["sel", "clear"])
        try await Self.addEntries(3, to: bmc)
        #expect(try await scrape("cleared and 3 added") == 1 + 3)
        // Cleared and left empty.
        _ = try await ExternalCommand.output("ipmitool", SELOracle.ipmitool(bmc) + ["sel", "clear"])
        #expect(try await scrape("cleared") == 1)
        await harness.shutdown()
    }

    /// A full SEL of 1,000 entries read under a scrape deadline that is a quarter of the time a whole read takes:
    /// each scrape goes on where the last one stopped, so a few scrapes read the log once (plus the last record of
    /// each cut read again), and the counts then equal ipmi-sel's. A reader that started over would never finish.
    @Test func aReadCutByTheDeadlineGoesOnAtTheNextScrape() async throws {
        var configuration = IPMISim.labConfiguration(name: "selresume")
        configuration.emuCommands = (0..<1000).map { i in
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F \(i % 2) 0xFF 0xFF"
        }
        let bmc = try await IPMISim.start(configuration)
        defer { bmc.stop() }
        // sel-events reads every entry (sel alone asks only Get SEL Info).
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.selEvents])
        module.selEvents = [SELEventRule(name: "all", pattern: ".*")]
        var settings = SessionCache.Settings()
        settings.keepaliveInterval = .zero
        func logsCount(_ families: [MetricFamily]) -> Double? {
            ScrapeAgainstLabBMCTests.value(families, "ipmi_sel_events_count_by_name", ["name": "all"])
        }
        // How long a whole read takes here and now, the session already open: the shorter of two.
        var whole = Duration.seconds(3600)
        for _ in 0..<2 {
            let timing = try await ScrapeAgainstLabBMCTests.Harness.make(settings: settings)
            _ = await timing.scrape(bmc, module: ScrapeAgainstLabBMCTests.module(collectors: [.bmc]))
            let start = ContinuousClock.now
            #expect(logsCount(await timing.scrape(bmc, module: module)) == 1000)
            whole = min(whole, ContinuousClock.now - start)
            await timing.shutdown()
        }

        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(settings: settings)
        _ = await harness.scrape(bmc, module: ScrapeAgainstLabBMCTests.module(collectors: [.bmc]))
        let sentBefore = ScrapeAgainstLabBMCTests.selfMetric(harness.metrics, "ipmi_exporter_packets_sent_total")
        var scrapes = 0
        var count: Double?
        while count == nil, scrapes < 200 {
            scrapes += 1
            count = logsCount(await harness.scrape(bmc, module: module, within: whole / 4))
        }
        let sent = ScrapeAgainstLabBMCTests.selfMetric(harness.metrics, "ipmi_exporter_packets_sent_total") - sentBefore
        await harness.shutdown()
        #expect(count == 1000, "read after \(scrapes) scrapes of \(whole / 4)")
        #expect(scrapes > 1, "the deadline (\(whole / 4)) did not cut the read")
        // Each scrape: Get SEL Info, the last record read again, the records, at most one request cut short (and a
        // retransmission of it); far below the 1,000 per scrape of a reader that starts over.
        #expect(sent <= 1000 + 4 * Double(scrapes), "\(sent) datagrams in \(scrapes) scrapes")
        let rows = try await SELOracle.ipmiSelRows(bmc)
        #expect(Double(rows.count) == count)
    }
}
