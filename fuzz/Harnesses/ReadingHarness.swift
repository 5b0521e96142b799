#if !FUZZ_STANDALONE
    import IPMI
    import IPMISensors
#endif

/// Feeds a sensor definition and a Get Sensor Reading answer (IPMI v2.0 section 35.14) to the reading decoder,
/// conversion (section 36.3) and interpretation, then formats the result as the CLI and the exporter do.
///
/// Input layout: byte 0 is the length N of an SDR record, the next N bytes are that record, byte N+1 is the
/// completion code and the rest is the reading's data.
public enum ReadingFuzzHarness {
    public static func run(_ bytes: [UInt8]) {
        guard let recordLength = bytes.first.map(Int.init) else { return }
        let recordEnd = min(bytes.count, 1 + recordLength)
        let recordBytes = Array(bytes[1..<recordEnd])
        let rest = Array(bytes[recordEnd...])
        let completionCode = CompletionCode(rawValue: rest.first ?? 0)
        let data = Array(rest.dropFirst())

        let records = (try? SDRRecord.decode(recordBytes)).map { [$0] } ?? []
        var sensors = SensorDefinition.sensors(in: records)
        if sensors.isEmpty {
            // Without a usable record, still read the answer as a threshold and a discrete sensor.
            let key = SensorKey(ownerID: 0x20, ownerLUN: 0, sensorNumber: 1)
            let units = SensorUnits(baseUnit: 1)
            sensors = [
                SensorDefinition(
                    recordID: 1, name: "t", key: key, sensorType: data.first ?? 1, eventReadingType: 0x01,
                    units: units),
                SensorDefinition(
                    recordID: 2, name: "d", key: key, sensorType: data.last ?? 0x07,
                    eventReadingType: data.count > 1 ? data[1] : 0x6F, units: units),
            ]
        }
        var readings: [SensorReading] = []
        for sensor in sensors.prefix(16) {
            let reading = sensor.reading(from: IPMIResponse(completionCode: completionCode, data: data))
            readings.append(reading)
            _ = reading.csvLine
            _ = reading.formattedValue
            _ = reading.eventText
            _ = reading.unit
            _ = reading.typeName
        }
        _ = SensorReport.csv(readings)
        _ = SensorReport.table(readings)
        _ = try? SensorReadingResponse(data: data)
    }
}
