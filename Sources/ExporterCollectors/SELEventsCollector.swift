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
        let (entries, generation, device) = try await context.sel.entries(
            from: context.session, logger: context.logger)
        // Threshold entries' text carries the reading and threshold in the sensor's unit, converted with its SDR
        // (the cached repository); without it the text stops after the event.
        let hasThresholdEntries = entries.contains { $0.oemData == nil && $0.eventReadingType == 0x01 }
        // Intel's Node Manager events are named with the Node Manager's discovery record from the SDRs.
        let hasNodeManagerEntries =
            device.map { SELOEMIntel.nodeManagerTextDevices.contains($0) } == true
            && entries.contains { $0.oemData == nil && $0.sensorType == SELOEMIntelNodeManager.sensorType }
        let sensors =
            hasThresholdEntries || hasNodeManagerEntries
            ? (try? await context.sdr.sensors(from: context.session, logger: context.logger)) ?? [] : []
        let nodeManager = hasNodeManagerEntries ? await context.sdr.nodeManager : nil
        let key = SELFamiliesKey(
            generation: generation, rules: context.module.selEvents,
            sensors: hasThresholdEntries ? SELEntry.sensorsByKey(sensors) : [:], device: device,
            nodeManager: nodeManager)
        if let families = await context.sel.families(for: key) { return families }
        // Texts of entries rendered for an earlier scrape are kept: a log that grew renders only its new entries.
        let texts = await context.sel.texts(
            of: entries, sensors: key.sensors, device: device, nodeManager: nodeManager)
        let families = SELEventMetrics.families(entries: entries, texts: texts, rules: key.rules, device: device)
        await context.sel.keep(families, for: key)
        return families
    }
}

/// One SEL record (IPMI v2.0 §32.1): system event records carry a sensor type and event offset.
struct SELEntry: Equatable, Sendable {
    var recordID: UInt16
    /// Record type (byte 3): 02h system event, C0h-DFh timestamped OEM, E0h-FFh non-timestamped OEM (§32).
    var recordType: UInt8
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
    /// Event data 1 bits 7:6 and 5:4 are 10b: event data 2, or 3, holds an OEM code (§29.7, table 29-6).
    var eventData2IsOEMCode: Bool { eventData[0] >> 6 == 0b10 }
    var eventData3IsOEMCode: Bool { eventData[0] >> 4 & 0b11 == 0b10 }

    init?(record: [UInt8]) {
        guard record.count >= 16 else { return nil }
        recordID = UInt16(record[0]) | UInt16(record[1]) << 8
        recordType = record[2]
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

    /// The State column of `ipmi-sel --output-event-state`: FreeIPMI's default SEL interpretation
    /// (``freeIPMIThresholdStates``, ``freeIPMIDiscreteStates``, generated from the installed libfreeipmi), which
    /// differs by direction: a deasserted "Lower Critical - going low" is Warning, a deasserted "Lower Non-critical -
    /// going low" Nominal, a deasserted "Uncorrectable memory error" still Critical.
    var state: SensorState {
        // ipmi-sel has no state for OEM records ("N/A"), and ipmi_exporter counts them under it.
        if oemData != nil { return .unknown }
        let letters =
            eventReadingType == 0x01
            ? Self.freeIPMIThresholdStates
            : Self.freeIPMIDiscreteStates[UInt16(eventReadingType) << 8 | UInt16(sensorType)]
        guard let letters else { return .unknown }
        // 16 letters for the offsets asserted, then 16 deasserted; ASCII, so a UTF-8 index is a letter.
        let index = Int(offset) + (isAssertion ? 0 : 16)
        switch letters.utf8.dropFirst(index).first {
        case UInt8(ascii: "n"): return .nominal
        case UInt8(ascii: "w"): return .warning
        case UInt8(ascii: "c"): return .critical
        default: return .unknown
        }
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

    /// The Event column of `ipmi-sel --output-event-state`, which `sel_events` regexes are written against: the
    /// event, then what event data 2 and 3 hold, each after " ; " (``eventDataTexts(sensor:)``), e.g. "Lower Critical
    /// - going low ; Sensor Reading = 240.00 RPM ; Threshold = 720.00 RPM".
    func text(sensor: SensorDefinition?) -> String {
        guard oemData == nil else { return text }
        return ([text] + eventDataTexts(sensor: sensor)).joined(separator: " ; ")
    }

    /// The event alone: an OEM record's bytes, or the text of the event's offset.
    var text: String {
        if let oemData {
            // As ipmi-sel prints an OEM record it does not interpret: each byte as two upper-case hex digits and "h".
            return "OEM defined = " + oemData.map(Self.hexByte).joined(separator: " ")
        }
        switch eventReadingType {
        case 0x01:
            if Int(offset) < Self.thresholdEvents.count { return Self.thresholdEvents[Int(offset)] }
        // OEM event/reading types (70h-7Fh, §42.1): ipmi-sel names only the offset.
        case 0x70...0x7F:
            return "OEM Event Offset = " + Self.hexByte(offset)
        default:
            if eventReadingType == 0x6F && sensorType >= 0xC0 { break }
            if let text = SensorInterpretation.events(
                eventReadingType: eventReadingType, sensorType: sensorType, stateMask: 1 << UInt16(offset)
            ).first, !text.hasPrefix("Unrecognized Event"), !text.hasPrefix("OEM Event") {
                return text
            }
        }
        // An offset the tables do not name (or an OEM sensor type's), as ipmi-sel prints it.
        return "Event Offset = " + Self.hexByte(offset)
    }

    /// What ipmi-sel adds after the event for event data 2 and 3, as event data 1 bits 7:6 and 5:4 say what they
    /// hold (IPMI v2.0 §29.7, table 29-6). Threshold events: 01b the trigger reading and the threshold, converted
    /// with the sensor's SDR; discrete events: 01b in bits 7:6 the previous state and severity; 10b an OEM code; 11b a
    /// sensor-specific extension code, named as table 42-3 gives it for the sensor type (``SELEventData``) or shown
    /// as a byte. An OEM event/reading type's bytes are all OEM codes. An unspecified byte (FFh) is left out.
    func eventDataTexts(sensor: SensorDefinition?) -> [String] {
        let codes = (data2: eventData[0] >> 6, data3: eventData[0] >> 4 & 0b11)
        let (data2, data3) = (eventData[1], eventData[2])
        let extension2 = {
            SELEventData.data2Text(sensorType: sensorType, offset: offset, data2: data2)
                ?? "Event Data2 = " + Self.hexByte(data2)
        }
        let extension3 = {
            SELEventData.data3Text(sensorType: sensorType, offset: offset, data2: data2, data3: data3)
                ?? "Event Data3 = " + Self.hexByte(data3)
        }
        var texts: [String] = []
        switch eventReadingType {
        case 0x01:
            let unit = sensor.map { " " + $0.units.abbreviation } ?? ""
            // In the sensor's unit when its SDR is a threshold sensor's with conversion factors; otherwise (no SDR
            // for it, a compact or discrete sensor's) ipmi-sel prints the raw byte.
            func reading(_ label: String, _ byte: UInt8) {
                if let sensor, sensor.isThreshold, let value = sensor.convert(byte) {
                    texts.append("\(label) = \(formatTwoDecimals(value))\(unit)")
                } else {
                    texts.append("\(label) = " + Self.hexByte(byte))
                }
            }
            switch codes.data2 {
            case 0b01: reading("Sensor Reading", data2)
            case 0b10 where data2 != 0xFF: texts.append("OEM Event Data2 code = " + Self.hexByte(data2))
            case 0b11 where data2 != 0xFF: texts.append(extension2())
            default: break
            }
            switch codes.data3 {
            case 0b01: reading("Threshold", data3)
            case 0b10 where data3 != 0xFF: texts.append("OEM Event Data3 code = " + Self.hexByte(data3))
            case 0b11 where data3 != 0xFF: texts.append(extension3())
            default: break
            }
            return texts
        // OEM event/reading types (70h-7Fh): any byte said to be specified is an OEM code.
        case 0x70...0x7F:
            if codes.data2 != 0, data2 != 0xFF { texts.append("OEM Event Data2 code = " + Self.hexByte(data2)) }
            if codes.data3 != 0, data3 != 0xFF { texts.append("OEM Event Data3 code = " + Self.hexByte(data3)) }
            return texts
        // Generic (02h-0Ch) and sensor-specific (6Fh) types below.
        case 0x02...0x0C, 0x6F: break
        // A type §42.1 does not define: ipmi-sel prints both bytes, whatever event data 1 says (FFh too).
        default:
            return ["Event Data2 = " + Self.hexByte(data2), "Event Data3 = " + Self.hexByte(data3)]
        }
        // Event logging disabled, correctable machine check error logging disabled: event data 3 says what event
        // data 2 numbers, and ipmi-sel prints only event data 3's text, which names both.
        if sensorType == 0x10, offset == 0x06, eventReadingType == 0x6F, codes.data2 == 0b11, codes.data3 == 0b11 {
            return data3 == 0xFF ? [] : [extension3()]
        }
        // A Linux kernel panic (with --interpret-oem-data, not a manufacturer's): the panic string's first bytes.
        if let panic = SELEventData.linuxKernelPanicText(
            generator: sensorKey.ownerID, eventReadingType: eventReadingType, sensorType: sensorType,
            eventData: eventData, sensorNumber: sensorKey.sensorNumber)
        {
            return panic.isEmpty ? [] : [panic]
        }
        if data2 != 0xFF {
            switch codes.data2 {
            case 0b01:
                texts.append(
                    SELEventData.previousStateAndSeverity(
                        sensorType: sensorType, offset: offset, data2: data2, severityName: Self.severityName)
                        ?? "Event Data2 = " + Self.hexByte(data2))
            case 0b10: texts.append("OEM Event Data2 code = " + Self.hexByte(data2))
            case 0b11: texts.append(extension2())
            default: break
            }
        }
        if data3 != 0xFF {
            switch codes.data3 {
            case 0b10: texts.append("OEM Event Data3 code = " + Self.hexByte(data3))
            case 0b11: texts.append(extension3())
            default: break
            }
        }
        return texts
    }

    /// Generic type 07h's (severity, IPMI v2.0 table 42-2) short name of an offset, as ipmi-sel names a severity.
    static func severityName(_ offset: UInt8) -> String? {
        let names = SensorInterpretation.events(eventReadingType: 0x07, sensorType: 0, stateMask: 1 << UInt16(offset))
        return names.first.flatMap { $0.hasPrefix("Unrecognized") ? nil : $0 }
    }

    /// A byte as ipmi-sel prints it: two upper-case hex digits and "h".
    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)], "h"])
    }
}

/// The families of ipmi_exporter's `sel-events` collector (FreeIPMI mode), which counts the rows of `ipmi-sel`.
enum SELEventMetrics {
    /// The families of `entries` whose Event texts are `texts` (one each, in order); states as ipmi-sel gives them
    /// for `device`.
    static func families(
        entries: [SELEntry], texts: [String], rules: [SELEventRule], device: SELDeviceIdentity? = nil
    ) -> [MetricFamily] {
        // A state appears only when some entry has it, "N/A" (no interpretation) included, as ipmi_exporter counts
        // the State column.
        var byState: [SensorState: Int] = [:]
        for entry in entries { byState[entry.state(device: device), default: 0] += 1 }
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
