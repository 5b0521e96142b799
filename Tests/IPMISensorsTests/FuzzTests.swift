import IPMI
import Testing

@testable import IPMISensors

/// SplitMix64: a small seeded generator so that every run feeds the same inputs and a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FuzzTests {
    static let seeds: [[UInt8]] = [
        Fixtures.mcLocator, Fixtures.fruLocator, Fixtures.watchdogEventOnly, Fixtures.cpu1Temp, Fixtures.inletTemp,
        Fixtures.ambientTemp, Fixtures.lun1Temp, Fixtures.vcore, Fixtures.minus12VRail, Fixtures.vccSqrt,
        Fixtures.fan2, Fixtures.acpiState, Fixtures.dimmShared, Fixtures.sixBitName, Fixtures.bcdName,
    ]

    /// Random bytes, or a fixture with bytes flipped, cut, extended or its length field rewritten.
    static func input(_ rng: inout SplitMix64) -> [UInt8] {
        if rng.next() % 3 == 0 {
            let count = Int(rng.next() % 96)
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
        for _ in 0..<Int(1 + rng.next() % 4) {
            switch rng.next() % 5 {
            case 0 where !bytes.isEmpty:
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            case 1:
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            case 2:
                bytes += (0..<Int(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 3 where bytes.count > 4:
                bytes[4] = UInt8(truncatingIfNeeded: rng.next())
            default:
                // Record type and ID-string type/length bytes are where decoders branch.
                if bytes.count > 3 { bytes[3] = [0x01, 0x02, 0x03, 0x11, 0x12, 0xC0][Int(rng.next() % 6)] }
            }
        }
        return bytes
    }

    @Test func hundredThousandInputsDoNotCrashTheDecoders() {
        var rng = SplitMix64(state: 0x1BAD_5EED)
        var decoded = 0
        var rejected = 0
        for _ in 0..<100_000 {
            let bytes = Self.input(&rng)
            do {
                let record = try SDRRecord.decode(bytes)
                decoded += 1
                // A decoded record always carries the ID from its first two bytes.
                #expect(record.recordID == UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
                for sensor in SensorDefinition.sensors(in: [record]) {
                    let data = Array(Self.input(&rng).prefix(Int(rng.next() % 6)))
                    let reading = sensor.reading(from: IPMIResponse(completionCode: .normal, data: data))
                    // Whatever the bytes, there is never a value without a usable reading.
                    if reading.value != nil { #expect(reading.availability == .available) }
                    _ = reading.csvLine
                }
            } catch {
                rejected += 1
                #expect(bytes.count < 5 || bytes.count < 5 + Int(bytes[4]) || [1, 2, 3, 0x11, 0x12].contains(bytes[3]))
            }
            let response = Array(bytes.prefix(Int(rng.next() % 6)))
            if let decodedResponse = try? SensorReadingResponse(data: response) {
                #expect(response.count >= 2)
                #expect(decodedResponse.stateMask & 0x8000 == 0)
            } else {
                #expect(response.count < 2)
            }
            let mask = UInt16(truncatingIfNeeded: rng.next())
            let type = UInt8(truncatingIfNeeded: rng.next())
            let ert = [0x01, 0x02, 0x03, 0x07, 0x0B, 0x6F, 0x70, UInt8(truncatingIfNeeded: rng.next())][
                Int(rng.next() % 8)]
            _ = SensorInterpretation.state(eventReadingType: ert, sensorType: type, stateMask: mask)
            _ = SensorInterpretation.events(eventReadingType: ert, sensorType: type, stateMask: mask)
        }
        #expect(decoded + rejected == 100_000)
        // The mutations must exercise both paths, or the test proves little.
        #expect(decoded > 10_000)
        #expect(rejected > 10_000)
    }
}
