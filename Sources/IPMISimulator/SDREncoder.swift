import IPMI

/// Builds SDR bytes for simulated sensors: Full Sensor Records (type 01h, IPMI v2.0 section 43.1) and Compact
/// Sensor Records (type 02h, section 43.2), SDR version 51h. The IPMISensors decoders and ipmitool/FreeIPMI
/// read them back in the tests.
enum SDREncoder {
    static let sdrVersion: UInt8 = 0x51
    static let bmcOwnerID: UInt8 = 0x20

    static func record(for sensor: SimulatedSensor, recordID: UInt16) -> [UInt8] {
        let body: [UInt8]
        let type: UInt8
        switch sensor.recordKind {
        case .full:
            body = fullBody(sensor)
            type = 0x01
        case .compact:
            body = compactBody(sensor)
            type = 0x02
        }
        var writer = ByteWriter(capacity: 5 + body.count)
        writer.write(littleEndian: recordID)
        writer.write(sdrVersion)
        writer.write(type)
        writer.write(UInt8(body.count))
        writer.write(body)
        return writer.bytes
    }

    /// Record key and the fields both record kinds share up to the units (bytes 6-23 of either record).
    private static func commonPrefix(_ sensor: SimulatedSensor, into writer: inout ByteWriter) {
        writer.write(sensor.owner)
        writer.write(0x00)  // owner LUN 0, channel 0
        writer.write(sensor.number)
        writer.write(sensor.entityID)
        writer.write(sensor.entityInstance & 0x7F)
        // Sensor initialisation: scanning, events, thresholds, hysteresis, sensor type initialised; event
        // generation and scanning enabled by default.
        writer.write(sensor.isThreshold ? 0x7F : 0x67)
        // Capabilities: auto re-arm; threshold access "readable per reading mask" for threshold sensors.
        writer.write(sensor.isThreshold ? 0x44 : 0x40)
        writer.write(sensor.sensorType)
        writer.write(sensor.eventReadingType)
        if sensor.isThreshold {
            // Bits 14:12 of the assertion mask say which lower comparisons Get Sensor Reading returns, those of
            // the deassertion mask which upper ones; bits 5:0 of the reading mask which thresholds are readable.
            let mask = UInt16(sensor.thresholdMask)
            writer.write(littleEndian: (mask & 0x07) << 12)
            writer.write(littleEndian: (mask >> 3 & 0x07) << 12)
            writer.write(littleEndian: mask)
        } else {
            let supported = sensor.states | 0x0001
            writer.write(littleEndian: supported & 0x7FFF)
            writer.write(littleEndian: UInt16(0))
            writer.write(littleEndian: supported & 0x7FFF)
        }
        writer.write(sensor.unitsFlags)
        writer.write(sensor.baseUnit)
        writer.write(sensor.modifierUnit)
    }

    private static func idString(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8.prefix(16))
        return [0xC0 | UInt8(bytes.count)] + bytes
    }

    private static func tenBits(_ value: Int) -> (low: UInt8, high: UInt8) {
        let v = UInt16(bitPattern: Int16(clamping: value)) & 0x03FF
        return (UInt8(v & 0xFF), UInt8(v >> 8))
    }

    private static func fourBits(_ value: Int) -> UInt8 {
        UInt8(bitPattern: Int8(clamping: value)) & 0x0F
    }

    static func fullBody(_ sensor: SimulatedSensor) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        commonPrefix(sensor, into: &writer)
        writer.write(0x00)  // linear
        let m = tenBits(sensor.conversion.m)
        let b = tenBits(sensor.conversion.b)
        writer.write(m.low)
        writer.write(m.high << 6)  // tolerance 0
        writer.write(b.low)
        writer.write(b.high << 6)  // accuracy 0
        writer.write(0x00)  // accuracy MS, accuracy exponent, sensor direction unspecified
        writer.write(fourBits(sensor.conversion.rExponent) << 4 | fourBits(sensor.conversion.bExponent))
        let conversion = sensor.conversion
        if sensor.isThreshold {
            writer.write(0x01)  // nominal reading specified
            writer.write(conversion.raw(for: sensor.nominal))
        } else {
            writer.write(0x00)
            writer.write(0x00)
        }
        writer.write(0xFF)  // normal maximum
        writer.write(0x00)  // normal minimum
        writer.write(0xFF)  // sensor maximum reading
        writer.write(0x00)  // sensor minimum reading
        let raw = sensor.rawThresholds
        // Bytes 37-42: UNR, UC, UNC, LNR, LC, LNC.
        for index in [5, 4, 3, 2, 1, 0] { writer.write(raw[index] ?? 0) }
        writer.write(0x00)  // positive-going hysteresis
        writer.write(0x00)  // negative-going hysteresis
        writer.write([0x00, 0x00])  // reserved
        writer.write(0x00)  // OEM
        writer.write(idString(sensor.name))
        return writer.bytes
    }

    static func compactBody(_ sensor: SimulatedSensor) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        commonPrefix(sensor, into: &writer)
        writer.write(0x01)  // record sharing: one sensor, numeric ID modifier
        writer.write(0x00)
        writer.write(0x00)  // positive-going hysteresis
        writer.write(0x00)  // negative-going hysteresis
        writer.write([0x00, 0x00, 0x00])  // reserved
        writer.write(0x00)  // OEM
        writer.write(idString(sensor.name))
        return writer.bytes
    }
}
