import IPMI
import Logging
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

/// A BMC that misbehaves at random: wrong completion codes, short or long answers, next-record IDs that point
/// anywhere. The repository walk must always end, with records or with an error.
actor ChaoticBMC: IPMIRequester {
    struct TooManyRequests: Error {}

    let records: [[UInt8]]
    var rng: SplitMix64
    var requests = 0
    var reservation: UInt16 = 1

    init(records: [[UInt8]], seed: UInt64) {
        self.records = records
        self.rng = SplitMix64(state: seed)
    }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        requests += 1
        // A walk that needs this many requests for ten records is a walk that does not end.
        guard requests < 5_000 else { throw TooManyRequests() }
        let roll = rng.next() % 100
        switch command {
        case 0x20:
            return IPMIResponse(completionCode: .normal, data: [0x51, 10, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x02])
        case 0x22:
            if roll < 5 { return IPMIResponse(completionCode: .nodeBusy, data: []) }
            reservation &+= 1
            return IPMIResponse(completionCode: .normal, data: [UInt8(reservation & 0xFF), UInt8(reservation >> 8)])
        default:
            break
        }
        // Mostly the recoverable codes (cannot return that many bytes, reservation cancelled), rarely fatal ones.
        if roll < 6 { return IPMIResponse(completionCode: .cannotReturnRequestedBytes, data: []) }
        if roll < 12 { return IPMIResponse(completionCode: .reservationCancelled, data: []) }
        let fatal: [UInt8] = [0xCB, 0xC0, 0xFF, 0xCC]
        if roll < 13 {
            return IPMIResponse(completionCode: CompletionCode(rawValue: fatal[Int(rng.next() % 4)]), data: [])
        }
        if roll < 15 { return IPMIResponse(completionCode: .normal, data: []) }
        let id = Int(UInt16(data[2]) | UInt16(data[3]) << 8)
        let record = records[id % records.count]
        let offset = Int(data[4])
        let count = Int(data[5])
        var next = UInt16(id + 1 < records.count ? id + 1 : 0xFFFF)
        if roll < 20 { next = UInt16(truncatingIfNeeded: rng.next()) % 12 }
        var bytes = Array(record.dropFirst(min(offset, record.count)).prefix(count))
        if roll >= 20 && roll < 25 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1)))) }
        if roll >= 25 && roll < 28 { bytes += [0xEE, 0xEE] }
        if roll >= 28 && roll < 30 { return IPMIResponse(completionCode: .normal, data: [0x01]) }
        return IPMIResponse(completionCode: .normal, data: [UInt8(next & 0xFF), UInt8(next >> 8)] + bytes)
    }
}

@Suite struct RepositoryWalkFuzzTests {
    @Test func misbehavingBMCsNeverHangTheWalk() async throws {
        let records = [
            Fixtures.mcLocator, Fixtures.fruLocator, Fixtures.watchdogEventOnly, Fixtures.cpu1Temp,
            Fixtures.inletTemp, Fixtures.ambientTemp, Fixtures.lun1Temp, Fixtures.vcore, Fixtures.fan2,
            Fixtures.acpiState,
        ]
        var finished = 0
        var completeWalks = 0
        for seed in 1...1_000 as ClosedRange<UInt64> {
            let bmc = ChaoticBMC(records: records, seed: seed)
            do {
                let repository = try await SDRRepositoryReader(logger: Logger(label: "fuzz"), readSize: 16).read(
                    from: bmc)
                completeWalks += 1
                #expect(repository.records.count + repository.skippedRecords <= 12)
            } catch is ChaoticBMC.TooManyRequests {
                Issue.record("seed \(seed): the walk did not end")
            } catch {
                // Giving up with an error is a fine answer to a BMC like this.
            }
            finished += 1
        }
        #expect(finished == 1_000)
        #expect(completeWalks > 100)
    }

    @Test func batchReadsKeepTheOrder() async throws {
        let bmc = FakeBMC(records: labRecords)
        let sensors = SensorDefinition.sensors(in: labRecords.map { try! SDRRecord.decode($0) })
        await bmc.configure { bmc in
            var table: [UInt8: IPMIResponse] = [:]
            for (index, sensor) in sensors.enumerated() {
                table[sensor.key.sensorNumber] = IPMIResponse(
                    completionCode: .normal, data: [UInt8(10 + index), 0xC0, 0, 0])
            }
            bmc.readings = [0: table, 1: table]
        }
        let reader = SensorReader(logger: Logger(label: "test"))
        let batch = try await reader.readAll(sensors, from: bmc)
        var single: [SensorReading] = []
        for sensor in sensors { single.append(try await reader.read(sensor, from: bmc)) }
        #expect(batch == single)
        #expect(batch.map(\.raw) == sensors.indices.map { UInt8(10 + $0) })
    }
}
