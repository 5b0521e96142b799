#if !FUZZ_STANDALONE
    import IPMI
    import IPMISensors
#endif

/// Feeds bytes a BMC returns from its SDR repository (IPMI v2.0 section 43) to the record decoder, then derives
/// sensor definitions and names from whatever decodes, as the exporter does before reading sensors.
public enum SDRFuzzHarness {
    public static func run(_ bytes: [UInt8]) {
        // The input is a repository: records back to back, each as long as its header says (section 33.2).
        var records: [SDRRecord] = []
        var offset = 0
        while offset < bytes.count, records.count < 512 {
            let rest = Array(bytes[offset...])
            if let record = try? SDRRecord.decode(rest) {
                records.append(record)
                _ = record.recordID
            }
            guard let header = SDRHeader(bytes: rest) else { break }
            offset += SDRHeader.size + header.bodyLength
        }
        let sensors = SensorDefinition.sensors(in: records)
        for sensor in sensors {
            _ = sensor.name
            _ = sensor.units.description
            for raw in [UInt8(0), 1, 0x7F, 0x80, 0xFE, 0xFF] {
                _ = sensor.convert(raw)
            }
            if let thresholds = sensor.recordThresholds {
                for raw in [
                    thresholds.lowerNonCritical, thresholds.lowerCritical, thresholds.lowerNonRecoverable,
                    thresholds.upperNonCritical, thresholds.upperCritical, thresholds.upperNonRecoverable,
                ] {
                    _ = raw.flatMap(sensor.convert)
                }
            }
        }
        // The other storage answers the repository walk decodes.
        _ = try? SDRRepositoryInfo(data: bytes)
        // Get Sensor Thresholds as the thresholds collector takes it, against every sensor read above.
        let answer = IPMIResponse(completionCode: .normal, data: bytes)
        for sensor in sensors {
            _ = sensor.thresholdSource()
            if let thresholds = sensor.thresholds(answer: answer) { _ = sensor.convert(thresholds) }
        }
    }
}
