import IPMIExporter
import PrometheusText
import Testing

@testable import ExporterCollectors

/// The `sel-events` families as ipmi_exporter 1.10 (FreeIPMI mode) builds them from `ipmi-sel` rows.
@Suite struct SELEventMetricsTests {
    /// A system event record (IPMI v2.0 §32.1): record ID, type 02h, timestamp, generator, EvM revision, sensor
    /// type, sensor number, event direction and type, event data 1-3.
    static func entry(id: UInt16, timestamp: UInt32, sensorType: UInt8, eventType: UInt8, offset: UInt8) -> SELEntry {
        let t = timestamp
        let record: [UInt8] = [
            UInt8(id & 0xFF), UInt8(id >> 8), 0x02, UInt8(t & 0xFF), UInt8(t >> 8 & 0xFF), UInt8(t >> 16 & 0xFF),
            UInt8(t >> 24), 0x20, 0x00, 0x04, sensorType, 0x01, eventType, offset, 0xFF, 0xFF,
        ]
        return SELEntry(record: record)!
    }

    static func samples(_ families: [MetricFamily], _ name: String) -> [String: Double] {
        Dictionary(
            uniqueKeysWithValues: (families.first { $0.name == name }?.samples ?? []).map {
                ($0.labels.map(\.value).joined(), $0.value)
            })
    }

    @Test func statesThatNoEntryHasAndRulesThatMatchNothing() async {
        // Memory (0Ch) offset 1, uncorrectable ECC: critical; an OEM sensor type (C0h) has no interpretation.
        let entries = [
            Self.entry(id: 1, timestamp: 0x6620_1000, sensorType: 0x0C, eventType: 0x6F, offset: 0x01),
            Self.entry(id: 2, timestamp: 0x6620_2000, sensorType: 0xC0, eventType: 0x70, offset: 0x00),
            // A time counted from the BMC's start: ipmi-sel prints "PostInit", ipmi_exporter counts 0.
            Self.entry(id: 3, timestamp: 0x0000_0100, sensorType: 0x0C, eventType: 0x6F, offset: 0x01),
        ]
        let rules = [
            SELEventRule(name: "nothing", pattern: "^no such event$"),
            SELEventRule(name: "everything", pattern: ".*"),
            SELEventRule(name: "everything", pattern: ".*"),
        ]
        // Texts rendered as the collector renders them, through the SEL cache.
        let texts = await SELCache().texts(of: entries, sensors: [:])
        let families = SELEventMetrics.families(entries: entries, texts: texts, rules: rules)
        #expect(Self.samples(families, "ipmi_sel_events_count_by_state") == ["Critical": 2, "N/A": 1])
        // Rules sharing a name are one series counting both rules' matches.
        #expect(Self.samples(families, "ipmi_sel_events_count_by_name") == ["nothing": 0, "everything": 6])
        #expect(
            Self.samples(families, "ipmi_sel_events_latest_timestamp") == ["nothing": 0, "everything": 0x6620_2000])
        // An empty SEL has no state series at all.
        let none = SELEventMetrics.families(entries: [], texts: [], rules: [])
        #expect(Self.samples(none, "ipmi_sel_events_count_by_state") == [:])
    }
}
