import IPMI
import Testing

/// Get Sensor Thresholds (IPMI v2.0 §35.9) against the byte layout of the spec's table.
@Suite("Get Sensor Thresholds codec")
struct SensorThresholdsCodecTests {
    @Test func requestIsTheSensorNumber() throws {
        #expect(GetSensorThresholdsRequest.netFn.rawValue == 0x04)
        #expect(GetSensorThresholdsRequest.command == 0x27)
        #expect(GetSensorThresholdsRequest(sensorNumber: 0x2A).encode() == [0x2A])
        #expect(try GetSensorThresholdsRequest(decoding: [0x10]).sensorNumber == 0x10)
        #expect(throws: IPMIError.self) { try GetSensorThresholdsRequest(decoding: []) }
    }

    /// Upper non-critical, critical and non-recoverable readable (mask 38h): 85, 95, 105 raw; the lower bytes are
    /// sent but ignored.
    @Test func upperThresholdsOnly() throws {
        let response = try GetSensorThresholdsResponse(decoding: [0x38, 0x07, 0x08, 0x09, 0x55, 0x5F, 0x69])
        #expect(response.readableMask == 0x38)
        #expect(response.value(.lowerNonCritical) == nil)
        #expect(response.value(.lowerCritical) == nil)
        #expect(response.value(.lowerNonRecoverable) == nil)
        #expect(response.value(.upperNonCritical) == 0x55)
        #expect(response.value(.upperCritical) == 0x5F)
        #expect(response.value(.upperNonRecoverable) == 0x69)
        #expect(response.encode() == [0x38, 0x07, 0x08, 0x09, 0x55, 0x5F, 0x69])
    }

    @Test func eachBitSelectsItsByte() throws {
        for level in SensorThresholdLevel.allCases {
            var data: [UInt8] = [1 << UInt8(level.rawValue), 0, 0, 0, 0, 0, 0]
            data[1 + level.rawValue] = 0xA0 + UInt8(level.rawValue)
            let response = try GetSensorThresholdsResponse(decoding: data)
            for other in SensorThresholdLevel.allCases {
                #expect(response.value(other) == (other == level ? 0xA0 + UInt8(level.rawValue) : nil))
            }
        }
    }

    /// Bits 7:6 are reserved: a BMC that sets them marks nothing more readable.
    @Test func reservedBitsAreDropped() throws {
        let response = try GetSensorThresholdsResponse(decoding: [0xC1, 0x14, 0, 0, 0, 0, 0])
        #expect(response.readableMask == 0x01)
        #expect(response.value(.lowerNonCritical) == 0x14)
        #expect(response.encode() == [0x01, 0x14, 0, 0, 0, 0, 0])
    }

    @Test func encodesLowerThresholdsInMaskOrder() {
        let response = GetSensorThresholdsResponse(values: [
            .lowerNonRecoverable: 5, .lowerCritical: 10, .lowerNonCritical: 20,
        ])
        #expect(response.encode() == [0x07, 20, 10, 5, 0, 0, 0])
    }

    @Test func aShortValueListReadsAsNotReadable() {
        var response = GetSensorThresholdsResponse(values: [.upperNonRecoverable: 0x69])
        response.rawValues = [1, 2]
        #expect(response.value(.upperNonRecoverable) == nil)
    }

    @Test func shortAnswersAreMalformed() {
        for length in 0..<7 {
            #expect(throws: IPMIError.self) {
                try GetSensorThresholdsResponse(decoding: Array(repeating: 0x3F, count: length))
            }
        }
    }
}
