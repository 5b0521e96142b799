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
        // Read as far as the log changed since the last scrape of this target (``SELCache``).
        let entries = try await context.sel.entries(from: context.session, logger: context.logger)
        // Threshold entries' text carries the reading and threshold in the sensor's unit, converted with its SDR
        // (the cached repository); without it the text stops after the event.
        let hasThresholdEntries = entries.contains { $0.oemData == nil && $0.eventReadingType == 0x01 }
        let sensors =
            hasThresholdEntries
            ? (try? await context.sdr.sensors(from: context.session, logger: context.logger)) ?? [] : []
        return SELEventMetrics.families(
            entries: entries, rules: context.module.selEvents, sensors: SELEntry.sensorsByKey(sensors))
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
    /// The OEM bytes of an OEM record (record types C0h-FFh, §32.2-32.3); nil for a system event record.
    var oemData: [UInt8]?
    /// Generator ID (bytes 8-9: slave address or software ID, then channel and LUN) and sensor number (byte 12).
    var sensorKey: SensorKey
    /// Event data 1-3 (bytes 14-16, §29.7).
    var eventData: [UInt8]

    init?(record: [UInt8]) {
        guard record.count >= 16 else { return nil }
        recordID = UInt16(record[0]) | UInt16(record[1]) << 8
        timestamp = UInt32(record[3]) | UInt32(record[4]) << 8 | UInt32(record[5]) << 16 | UInt32(record[6]) << 24
        sensorType = record[10]
        eventReadingType = record[12] & 0x7F
        isAssertion = record[12] & 0x80 == 0
        offset = record[13] & 0x0F
        sensorKey = SensorKey(
            ownerID: record[7], ownerLUN: record[8] & 0x03, channel: record[8] >> 4, sensorNumber: record[11])
        eventData = Array(record[13..<16])
        switch record[2] {
        case 0x02: oemData = nil
        // Timestamped OEM record: timestamp, manufacturer ID (bytes 8-10), six OEM bytes.
        case 0xC0...0xDF: oemData = Array(record[10..<16])
        // Non-timestamped OEM record: thirteen OEM bytes; ipmi-sel shows no date, which ipmi_exporter counts as 0.
        case 0xE0...0xFF:
            oemData = Array(record[3..<16])
            timestamp = 0
        default: return nil
        }
    }

    /// The timestamp as a time of day, 0 for one counted from the BMC's initialisation (00000000h-20000000h) or
    /// unspecified (FFFFFFFFh) (IPMI v2.0 §37.1): ipmi-sel prints those as "PostInit" and "Unspecified", which
    /// ipmi_exporter cannot parse and counts as 0.
    var absoluteTimestamp: UInt32 {
        timestamp <= 0x2000_0000 || timestamp == 0xFFFF_FFFF ? 0 : timestamp
    }

    var state: SensorState {
        // ipmi-sel has no state for OEM records ("N/A"), and ipmi_exporter counts them under it.
        if oemData != nil { return .unknown }
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

    /// Sensors by owner, LUN and number, for ``text(sensor:)``; the first of a key wins.
    static func sensorsByKey(_ sensors: [SensorDefinition]) -> [SensorKey: SensorDefinition] {
        var byKey: [SensorKey: SensorDefinition] = [:]
        for sensor in sensors where byKey[sensor.key] == nil {
            var key = sensor.key
            key.channel = 0
            byKey[key] = sensor
        }
        return byKey
    }

    /// The sensor that generated the entry, among `sensors` (keyed as ``sensorsByKey(_:)`` makes them).
    func sensor(in sensors: [SensorKey: SensorDefinition]) -> SensorDefinition? {
        var key = sensorKey
        key.channel = 0
        return sensors[key]
    }

    /// ipmi-sel's text of the generic threshold offsets (IPMI v2.0 table 42-2).
    static let thresholdEvents = [
        "Lower Non-critical - going low", "Lower Non-critical - going high", "Lower Critical - going low",
        "Lower Critical - going high", "Lower Non-recoverable - going low", "Lower Non-recoverable - going high",
        "Upper Non-critical - going low", "Upper Non-critical - going high", "Upper Critical - going low",
        "Upper Critical - going high", "Upper Non-recoverable - going low", "Upper Non-recoverable - going high",
    ]

    /// The Event column of `ipmi-sel --output-event-state`, which `sel_events` regexes are written against. A
    /// threshold entry whose event data 2 and 3 hold the trigger reading and the threshold (event data 1 bits 7:6
    /// and 5:4 both 01b, §29.7) adds both, converted with the sensor's SDR: "Lower Critical - going low ; Sensor
    /// Reading = 240.00 RPM ; Threshold = 720.00 RPM".
    func text(sensor: SensorDefinition?) -> String {
        guard oemData == nil, eventReadingType == 0x01, Int(offset) < Self.thresholdEvents.count else { return text }
        var text = Self.thresholdEvents[Int(offset)]
        if eventData[0] >> 6 == 0b01, eventData[0] >> 4 & 0b11 == 0b01, let sensor,
            let reading = sensor.convert(eventData[1]), let threshold = sensor.convert(eventData[2])
        {
            let unit = sensor.units.abbreviation
            text += " ; Sensor Reading = \(formatTwoDecimals(reading)) \(unit)"
            text += " ; Threshold = \(formatTwoDecimals(threshold)) \(unit)"
        }
        return text
    }

    var text: String {
        if let oemData {
            // As ipmi-sel prints an OEM record it does not interpret: each byte as two upper-case hex digits and "h".
            let digits = Array("0123456789ABCDEF")
            return "OEM defined = "
                + oemData.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0x0F)], "h"]) }.joined(separator: " ")
        }
        return SensorInterpretation.events(
            eventReadingType: eventReadingType, sensorType: sensorType, stateMask: 1 << UInt16(offset)
        ).first ?? "Unknown event"
    }
}

/// The families of ipmi_exporter's `sel-events` collector (FreeIPMI mode), which counts the rows of `ipmi-sel`.
enum SELEventMetrics {
    static func families(
        entries: [SELEntry], rules: [SELEventRule], sensors: [SensorKey: SensorDefinition] = [:]
    ) -> [MetricFamily] {
        let texts = entries.map { $0.text(sensor: $0.sensor(in: sensors)) }
        // A state appears only when some entry has it, "N/A" (no interpretation) included, as ipmi_exporter counts
        // the State column.
        var byState: [SensorState: Int] = [:]
        for entry in entries { byState[entry.state, default: 0] += 1 }
        let stateFamily = MetricFamily(
            name: "ipmi_sel_events_count_by_state", help: "Number of SEL entries by their state.", type: .gauge,
            samples: SensorState.allCases.compactMap { state in
                byState[state].map { Sample(labels: [Label("state", state.rawValue)], value: Double($0)) }
            })
        var byName = MetricFamily(
            name: "ipmi_sel_events_count_by_name", help: "Number of SEL entries matching each configured rule.",
            type: .gauge)
        var latest = MetricFamily(
            name: "ipmi_sel_events_latest_timestamp",
            help: "Time of the newest SEL entry matching each configured rule, in seconds since the epoch; 0 if none.",
            type: .gauge)
        // Rules sharing a name are one series, counting the entries of each, as ipmi_exporter keys them by name.
        var names: [String] = []
        var counts: [String: Int] = [:]
        var newest: [String: UInt32] = [:]
        for rule in rules {
            let matching = zip(entries, texts).filter { _, text in rule.regex?.matches(text) ?? false }.map(\.0)
            if counts[rule.name] == nil { names.append(rule.name) }
            counts[rule.name, default: 0] += matching.count
            newest[rule.name] = max(newest[rule.name] ?? 0, matching.map(\.absoluteTimestamp).max() ?? 0)
        }
        for name in names {
            byName.samples.append(Sample(labels: [Label("name", name)], value: Double(counts[name] ?? 0)))
            latest.samples.append(Sample(labels: [Label("name", name)], value: Double(newest[name] ?? 0)))
        }
        return [stateFamily, byName, latest]
    }
}
