import IPMI
import IPMIExporter
import IPMISensors
import Logging
import PrometheusText

/// The `sel-events` collector: reads the System Event Log and counts its entries by state and by the
/// configured `sel_events` rules (a name and a regular expression matched against the event text).
struct SELEventsCollector: Collector {
    var name: CollectorName { .selEvents }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let info = try await context.session.call(netFn: .storage, command: 0x40)
        guard let count = SELInfo(data: info)?.entries else { throw UnexpectedResponse(what: "Get SEL Info") }
        let entries = count == 0 ? [] : try await Self.readSEL(context.session, logger: context.logger)
        return SELEventMetrics.families(entries: entries, rules: context.module.selEvents)
    }

    /// More entries than a SEL can hold: its free space is a 16-bit byte count (§31.2) and entries take 16 bytes.
    static let maximumEntries = 4096

    /// Get SEL Entry (IPMI v2.0 §31.5) from the first record (0000h) until the last (FFFFh). A chain whose "next
    /// record ID" leads back to any record already read (A→B→A as well as A→A) is a BMC fault: like the SDR reader,
    /// the collector logs it and stops there, so every entry is counted once.
    static func readSEL(_ session: any IPMIRequester, logger: Logger) async throws -> [SELEntry] {
        var entries: [SELEntry] = []
        var seen: Set<UInt16> = []
        var recordID: UInt16 = 0x0000
        var reads = 0
        while recordID != 0xFFFF, reads < maximumEntries {
            reads += 1
            guard seen.insert(recordID).inserted else {
                logger.warning("SEL record chain loops; stopping", metadata: ["record": "\(recordID)"])
                break
            }
            let data = try await session.call(
                netFn: .storage, command: 0x43,
                data: [0x00, 0x00, UInt8(recordID & 0xFF), UInt8(recordID >> 8), 0x00, 0xFF])
            guard data.count >= 2 + 16 else { throw UnexpectedResponse(what: "Get SEL Entry") }
            let next = UInt16(data[0]) | UInt16(data[1]) << 8
            // The first entry is asked for as 0000h; its own ID (bytes 1-2 of the record, §32.1) is what a later
            // "next" points back to.
            seen.insert(UInt16(data[2]) | UInt16(data[3]) << 8)
            if let entry = SELEntry(record: Array(data[2..<18])) { entries.append(entry) }
            recordID = next
        }
        return entries
    }
}

/// One SEL record (IPMI v2.0 §32.1): system event records carry a sensor type and event offset.
struct SELEntry: Equatable, Sendable {
    var recordID: UInt16
    var timestamp: UInt32
    var sensorType: UInt8
    var eventReadingType: UInt8
    var offset: UInt8
    var isAssertion: Bool

    init?(record: [UInt8]) {
        guard record.count >= 16, record[2] == 0x02 else { return nil }
        recordID = UInt16(record[0]) | UInt16(record[1]) << 8
        timestamp = UInt32(record[3]) | UInt32(record[4]) << 8 | UInt32(record[5]) << 16 | UInt32(record[6]) << 24
        sensorType = record[10]
        eventReadingType = record[12] & 0x7F
        isAssertion = record[12] & 0x80 == 0
        offset = record[13] & 0x0F
    }

    var state: SensorState {
        if eventReadingType == 0x01 {
            // Threshold events: offsets 0-5 go low, 6-11 go high; critical and non-recoverable are critical.
            switch offset {
            case 0, 1, 6, 7: return .warning
            default: return .critical
            }
        }
        return SensorInterpretation.state(
            eventReadingType: eventReadingType, sensorType: sensorType, stateMask: 1 << UInt16(offset))
    }

    var text: String {
        SensorInterpretation.events(
            eventReadingType: eventReadingType, sensorType: sensorType, stateMask: 1 << UInt16(offset)
        ).first ?? "Unknown event"
    }
}

enum SELEventMetrics {
    static func families(entries: [SELEntry], rules: [SELEventRule]) -> [MetricFamily] {
        var byState: [SensorState: Int] = [:]
        for entry in entries { byState[entry.state, default: 0] += 1 }
        let stateFamily = MetricFamily(
            name: "ipmi_sel_events_count_by_state", help: "Number of SEL entries by their state.", type: .gauge,
            samples: [SensorState.nominal, .warning, .critical].map {
                Sample(labels: [Label("state", $0.rawValue)], value: Double(byState[$0] ?? 0))
            })
        var byName = MetricFamily(
            name: "ipmi_sel_events_count_by_name", help: "Number of SEL entries matching each configured rule.",
            type: .gauge)
        var latest = MetricFamily(
            name: "ipmi_sel_events_latest_timestamp",
            help: "Time of the newest SEL entry matching each configured rule, in seconds since the epoch.",
            type: .gauge)
        for rule in rules {
            let regex = try? Regex(rule.pattern)
            let matching = entries.filter { entry in
                guard let regex else { return false }
                return entry.text.contains(regex)
            }
            byName.samples.append(Sample(labels: [Label("name", rule.name)], value: Double(matching.count)))
            if let newest = matching.map(\.timestamp).max() {
                latest.samples.append(Sample(labels: [Label("name", rule.name)], value: Double(newest)))
            }
        }
        return [stateFamily, byName, latest]
    }
}
