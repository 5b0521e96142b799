import IPMI
import Logging
import Testing

@testable import IPMISensors

/// A BMC that serves an SDR repository and sensor readings the way the spec describes (§33.9–33.12, §35.14),
/// with knobs for the awkward behaviour of real ones.
actor FakeBMC: IPMIRequester {
    struct Request: Sendable, Equatable {
        var netFn: NetFn
        var command: UInt8
        var data: [UInt8]
        var lun: UInt8
    }

    /// Records in repository order; the record ID is taken from each record's first two bytes.
    var records: [[UInt8]]
    /// Get SDR asking for more bytes than this fails with 0xCA.
    var maximumReadSize = 255
    /// When set, Get SDR with "bytes to read" FFh (the entire record) fails with this code.
    var wholeRecordRefusal: CompletionCode?
    /// When set, answers carry at most this many record bytes, whatever was asked (a BMC that answers short).
    var maximumAnswerSize: Int?
    /// Get SDR requests (counted from 1) before which the reservation is cancelled, as when the repository changes.
    var cancelReservationBefore: Set<Int> = []
    /// Records for which the BMC returns only this many bytes in total, whatever the header says.
    var truncateRecords: [UInt16: Int] = [:]
    /// Overrides of the "next record ID" a record reports.
    var nextIDOverrides: [UInt16: UInt16] = [:]
    /// Get Sensor Reading answers by (LUN, sensor number).
    var readings: [UInt8: [UInt8: IPMIResponse]] = [:]
    var thresholds: [UInt8: [UInt8]] = [:]
    /// Get SDR requests (counted from 1) that go unanswered: the requester throws ``LostAnswer`` for them.
    var loseGetSDR: Set<Int> = []
    /// Get SDR requests (counted from 1) answered as if they had asked for this record instead, as a late answer
    /// to an earlier request would be.
    var strayGetSDR: [Int: UInt16] = [:]

    /// No SDR repository (its commands answer C1h); the same records are served as device SDRs (§35.2–35.4), with
    /// Get Device SDR Info answering this change indicator.
    var deviceSDRsOnly = false
    var populationChangeIndicator: UInt32 = 0x0102_0304
    /// With ``deviceSDRsOnly``: the device SDR commands answer C1h too (a BMC with no SDRs at all).
    var refuseDeviceSDRs = false

    private(set) var requests: [Request] = []
    private(set) var reservation: UInt16 = 0
    private(set) var reservations = 0
    private var getSDRCount = 0

    init(records: [[UInt8]]) {
        self.records = records
    }

    func configure(_ change: @Sendable (isolated FakeBMC) -> Void) {
        change(self)
    }

    var getSDRRequests: [Request] { requests.filter { $0.netFn == .storage && $0.command == 0x23 } }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        requests.append(Request(netFn: netFn, command: command, data: data, lun: lun))
        switch (netFn, command) {
        case (.storage, 0x20...0x23) where deviceSDRsOnly, (.sensorEvent, 0x20...0x22) where refuseDeviceSDRs:
            return IPMIResponse(completionCode: .invalidCommand, data: [])
        case (.sensorEvent, 0x20) where deviceSDRsOnly:
            // SDR count when request byte 1 bit 0 is set, else the sensor count; dynamic, LUN 0; change indicator.
            let count = data.first.map { $0 & 1 == 1 } == true ? records.count : 1
            let indicator = populationChangeIndicator
            return IPMIResponse(
                completionCode: .normal,
                data: [UInt8(count), 0x81] + (0..<4).map { UInt8(truncatingIfNeeded: indicator >> (8 * $0)) })
        case (.sensorEvent, 0x22) where deviceSDRsOnly:
            reservation &+= 1
            reservations += 1
            return IPMIResponse(completionCode: .normal, data: [UInt8(reservation & 0xFF), UInt8(reservation >> 8)])
        case (.sensorEvent, 0x21) where deviceSDRsOnly:
            return try getSDR(data)
        case (.storage, 0x20):
            // Version 51h, record count, free space FFFFh, addition 0x5F5E1000, erase 0x12345678, reserve supported.
            let count = UInt16(records.count)
            return IPMIResponse(
                completionCode: .normal,
                data: [
                    0x51, UInt8(count & 0xFF), UInt8(count >> 8), 0xFF, 0xFF, 0x00, 0x10, 0x5E, 0x5F, 0x78, 0x56, 0x34,
                    0x12, 0x02,
                ])
        case (.storage, 0x22):
            reservation &+= 1
            reservations += 1
            return IPMIResponse(completionCode: .normal, data: [UInt8(reservation & 0xFF), UInt8(reservation >> 8)])
        case (.storage, 0x23):
            return try getSDR(data)
        case (.sensorEvent, 0x2D):
            return readings[lun]?[data[0]] ?? IPMIResponse(completionCode: .invalidDataField, data: [])
        case (.sensorEvent, 0x27):
            guard let t = thresholds[data[0]] else { return IPMIResponse(completionCode: .invalidDataField, data: []) }
            return IPMIResponse(completionCode: .normal, data: t)
        default:
            return IPMIResponse(completionCode: .invalidCommand, data: [])
        }
    }

    struct LostAnswer: Error {}

    private func getSDR(_ data: [UInt8]) throws -> IPMIResponse {
        getSDRCount += 1
        if loseGetSDR.contains(getSDRCount) { throw LostAnswer() }
        if cancelReservationBefore.contains(getSDRCount) { reservation &+= 1 }
        guard data.count == 6 else { return IPMIResponse(completionCode: .requestDataLengthInvalid, data: []) }
        let requestedReservation = UInt16(data[0]) | UInt16(data[1]) << 8
        guard requestedReservation == reservation else {
            return IPMIResponse(completionCode: .reservationCancelled, data: [])
        }
        let id = strayGetSDR[getSDRCount] ?? UInt16(data[2]) | UInt16(data[3]) << 8
        let offset = Int(data[4])
        let count = Int(data[5])
        let index = id == 0 ? 0 : records.firstIndex { UInt16($0[0]) | UInt16($0[1]) << 8 == id }
        guard let index else { return IPMIResponse(completionCode: .requestedDataNotPresent, data: []) }
        if count == 0xFF, let wholeRecordRefusal { return IPMIResponse(completionCode: wholeRecordRefusal, data: []) }
        guard count <= maximumReadSize else {
            return IPMIResponse(completionCode: .cannotReturnRequestedBytes, data: [])
        }
        var record = records[index]
        let recordID = UInt16(record[0]) | UInt16(record[1]) << 8
        if let limit = truncateRecords[recordID] { record = Array(record.prefix(limit)) }
        var next: UInt16 = 0xFFFF
        if index + 1 < records.count {
            next = UInt16(records[index + 1][0]) | UInt16(records[index + 1][1]) << 8
        }
        if let override = nextIDOverrides[recordID] { next = override }
        let start = min(offset, record.count)
        var end = min(offset + count, record.count)
        if let maximumAnswerSize { end = min(end, start + maximumAnswerSize) }
        return IPMIResponse(
            completionCode: .normal, data: [UInt8(next & 0xFF), UInt8(next >> 8)] + Array(record[start..<end]))
    }
}

let labRecords: [[UInt8]] = [
    Fixtures.mcLocator, Fixtures.fruLocator, Fixtures.watchdogEventOnly, Fixtures.cpu1Temp, Fixtures.inletTemp,
    Fixtures.ambientTemp, Fixtures.lun1Temp, Fixtures.vcore, Fixtures.fan2, Fixtures.acpiState,
]

@Suite struct RepositoryReaderTests {
    let logger = Logger(label: "test")

    @Test func readsEveryRecordInPartialReads() async throws {
        let bmc = FakeBMC(records: labRecords)
        let repository = try await SDRRepositoryReader(logger: logger, readSize: 16, wholeRecordReads: false).read(
            from: bmc)
        #expect(repository.records.count == labRecords.count)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        #expect(repository.skippedRecords == 0)
        // Header first (5 bytes at offset 0), then contiguous chunks of at most 16 bytes.
        let requests = await bmc.getSDRRequests
        for request in requests {
            #expect(request.data[5] <= 16)
        }
        let cpu1 = requests.filter { $0.data[2] == 4 && $0.data[3] == 0 }
        #expect(cpu1.map { $0.data[4] } == [0, 5, 21, 37, 53])
        #expect(cpu1.map { $0.data[5] } == [5, 16, 16, 16, 4])
    }

    @Test func repositoryInfoTimestamps() async throws {
        let bmc = FakeBMC(records: labRecords)
        let info = try await SDRRepositoryReader(logger: logger).readInfo(from: bmc)
        #expect(info.version == 0x51)
        #expect(info.recordCount == labRecords.count)
        #expect(info.additionTimestamp == 0x5F5E_1000)
        #expect(info.eraseTimestamp == 0x1234_5678)
        #expect(info.supportsReserve)
    }

    @Test func shrinksTheReadSizeOnCannotReturnRequestedBytes() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.maximumReadSize = 10 }
        let repository = try await SDRRepositoryReader(logger: logger, readSize: 32, wholeRecordReads: false).read(
            from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let sizes = await bmc.getSDRRequests.map { Int($0.data[5]) }
        // One request is refused; the smaller size is kept for the rest of the walk.
        #expect(sizes.filter { $0 > 10 }.count == 1)
        let afterShrink = sizes.drop { $0 <= 10 }.dropFirst()
        #expect(!afterShrink.isEmpty)
        #expect(afterShrink.allSatisfy { $0 <= 10 })
    }

    @Test func readsEachRecordWholeInOneGetSDR() async throws {
        let bmc = FakeBMC(records: labRecords)
        let repository = try await SDRRepositoryReader(logger: logger, firstReadSize: 0xFF).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let requests = await bmc.getSDRRequests
        #expect(requests.count == labRecords.count)
        // Reservation 0001h, record 0000h (the first), offset 0, FFh bytes: the entire record (§33.12).
        #expect(requests.first?.data == [0x01, 0x00, 0x00, 0x00, 0x00, 0xFF])
        #expect(
            requests.dropFirst().map(\.data) == labRecords.dropFirst().map { [0x01, 0x00, $0[0], $0[1], 0x00, 0xFF] })
    }

    @Test func byDefaultEveryRecordIsAskedForWhole() async throws {
        let bmc = FakeBMC(records: labRecords)
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let requests = await bmc.getSDRRequests
        #expect(requests.count == labRecords.count)
        #expect(requests.allSatisfy { $0.data[4] == 0 && $0.data[5] == 0xFF })
    }

    @Test func aFirstReadOf40BytesAndTheRestInOneChunk() async throws {
        let bmc = FakeBMC(records: labRecords)
        let repository = try await SDRRepositoryReader(logger: logger, firstReadSize: 40).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let requests = await bmc.getSDRRequests
        // One read per record of up to 40 bytes, two for longer ones (the rest is under 32 bytes here).
        let expected = labRecords.map { $0.count <= 40 ? 1 : 2 }.reduce(0, +)
        #expect(requests.count == expected)
        #expect(labRecords.contains { $0.count > 40 } && labRecords.contains { $0.count <= 40 })
        let cpu1 = requests.filter { $0.data[2] == 4 && $0.data[3] == 0 }
        #expect(cpu1.map(\.data) == [[0x01, 0x00, 0x04, 0x00, 0, 40], [0x01, 0x00, 0x04, 0x00, 40, 17]])
        // Every record starts with the 40-byte read: a record longer than it is not a short answer.
        #expect(requests.filter { $0.data[4] == 0 }.allSatisfy { $0.data[5] == 40 })
    }

    @Test(arguments: [CompletionCode.cannotReturnRequestedBytes, .unspecified, .invalidDataField])
    func fallsBackToHeaderAndChunksWhenWholeRecordsAreRefused(code: CompletionCode) async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.wholeRecordRefusal = code }
        let repository = try await SDRRepositoryReader(logger: logger, readSize: 16, firstReadSize: 0xFF).read(
            from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let requests = await bmc.getSDRRequests
        // Refused once, then remembered: the rest of the walk is header plus 16-byte chunks.
        #expect(requests.filter { $0.data[5] == 0xFF }.count == 1)
        #expect(requests.first?.data == [0x01, 0x00, 0x00, 0x00, 0x00, 0xFF])
        #expect(requests.dropFirst().first?.data == [0x01, 0x00, 0x00, 0x00, 0x00, 0x05])
        let cpu1 = requests.filter { $0.data[2] == 4 && $0.data[3] == 0 }
        #expect(cpu1.map { $0.data[4] } == [0, 5, 21, 37, 53])
        #expect(cpu1.map { $0.data[5] } == [5, 16, 16, 16, 4])
    }

    @Test func aShortWholeRecordAnswerIsCompletedInChunks() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.maximumAnswerSize = 20 }
        let repository = try await SDRRepositoryReader(logger: logger, readSize: 16, firstReadSize: 0xFF).read(
            from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        #expect(repository.skippedRecords == 0)
        let requests = await bmc.getSDRRequests
        #expect(requests.filter { $0.data[5] == 0xFF }.count == 1)
        // The first record's 20 bytes are kept; its rest is read from offset 20, 16 bytes at most.
        let first = labRecords[0]
        #expect(first.count > 20)
        #expect(requests[1].data == [0x01, 0x00, 0x00, 0x00, 20, UInt8(min(16, first.count - 20))])
    }

    @Test func aWholeRecordReadRestartsWhenTheReservationIsCancelled() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.cancelReservationBefore = [3] }
        let repository = try await SDRRepositoryReader(logger: logger, firstReadSize: 0xFF).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        #expect(await bmc.reservations == 2)
        let requests = await bmc.getSDRRequests
        #expect(requests.count == labRecords.count + 1)
        #expect(requests.allSatisfy { $0.data[4] == 0 && $0.data[5] == 0xFF })
        // The third request, refused (the fake moved its reservation to 0002h), and its repeat with the new
        // reservation 0003h.
        #expect(requests[2].data[0] == 0x01 && requests[3].data[0] == 0x03)
        #expect(requests[2].data[2...3] == requests[3].data[2...3])
    }

    @Test func reservesAgainWhenTheReservationIsCancelled() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.cancelReservationBefore = [7, 20] }
        let repository = try await SDRRepositoryReader(logger: logger, readSize: 16, wholeRecordReads: false).read(
            from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        #expect(await bmc.reservations == 3)
    }

    /// A read of `labRecords` whose Get SDR number `lost` goes unanswered, and what it read until then.
    private func readCutShort(
        losing lost: Int
    ) async throws -> (FakeBMC, SDRRepositoryReader, SDRDownloadProgress) {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.loseGetSDR = [lost] }
        let reader = SDRRepositoryReader(logger: logger)
        var progress = SDRDownloadProgress()
        await #expect(throws: FakeBMC.LostAnswer.self) { _ = try await reader.read(from: bmc, resuming: &progress) }
        #expect(progress.records.count == lost - 1)
        return (bmc, reader, progress)
    }

    @Test func aReadCutShortGoesOnWhereItStoppedNextTime() async throws {
        let (bmc, reader, cutShort) = try await readCutShort(losing: 6)
        var progress = cutShort
        let repository = try await reader.read(from: bmc, resuming: &progress)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        // One Get SDR per record, and the lost one once more; the first reservation still held.
        #expect(await bmc.getSDRRequests.count == labRecords.count + 1)
        #expect(await bmc.reservations == 1)
    }

    @Test func aReadOfAChangedRepositoryStartsOver() async throws {
        let (bmc, reader, cutShort) = try await readCutShort(losing: 4)
        var progress = cutShort
        // One record fewer: the record count in Get SDR Repository Info differs, so nothing read before is kept.
        await bmc.configure { $0.records.removeLast() }
        let repository = try await reader.read(from: bmc, resuming: &progress)
        #expect(repository.records == labRecords.dropLast().map { try! SDRRecord.decode($0) })
        #expect(await bmc.getSDRRequests.count == 4 + labRecords.count - 1)
    }

    @Test func anAnswerWithAnotherRecordIsAskedAgain() async throws {
        let bmc = FakeBMC(records: labRecords)
        // The third Get SDR (for the third record) is answered with the fifth record, as a stray answer would be.
        let fifth = UInt16(labRecords[4][0]) | UInt16(labRecords[4][1]) << 8
        await bmc.configure { $0.strayGetSDR = [3: fifth] }
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        let third = UInt16(labRecords[2][0]) | UInt16(labRecords[2][1]) << 8
        let asked = await bmc.getSDRRequests.map { UInt16($0.data[2]) | UInt16($0.data[3]) << 8 }
        #expect(asked.filter { $0 == third }.count == 2)
        #expect(asked.count == labRecords.count + 1)
    }

    @Test func aBMCThatAlwaysAnswersWithAnotherIDIsTakenAtItsWord() async throws {
        let bmc = FakeBMC(records: labRecords)
        let fifth = UInt16(labRecords[4][0]) | UInt16(labRecords[4][1]) << 8
        await bmc.configure { $0.strayGetSDR = [3: fifth, 4: fifth] }
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        // The third record's place holds what the BMC insisted on; the walk goes on from its next ID.
        #expect(repository.records.count >= 3)
        #expect(repository.records[2] == (try SDRRecord.decode(labRecords[4])))
    }

    @Test func givesUpWhenTheReservationKeepsBeingCancelled() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.cancelReservationBefore = Set(1...200) }
        await #expect(throws: SDRRepositoryError.self) {
            _ = try await SDRRepositoryReader(logger: logger, maximumReservationRetries: 3).read(from: bmc)
        }
    }

    @Test func truncatedRecordsAreSkippedAndCounted() async throws {
        let oem: [UInt8] = [0x0B, 0x00, 0x51, 0xC0, 0x05, 0x57, 0x01, 0x00, 0x12, 0x34]
        let bmc = FakeBMC(records: labRecords + [oem])
        // Record 4 (CPU1 Temp) says 52 body bytes but the BMC has only 30 bytes of it.
        await bmc.configure { $0.truncateRecords = [4: 30] }
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        #expect(repository.skippedRecords == 1)
        #expect(repository.records.count == labRecords.count)
        #expect(!repository.records.contains { $0.recordID == 4 })
        #expect(repository.otherRecordTypes == [0xC0: 1])
    }

    @Test func stopsWhenTheRecordChainLoops() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.nextIDOverrides = [3: 1] }
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        #expect(repository.records.map(\.recordID) == [1, 2, 3])
    }

    @Test func absentRecordIsAnError() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.nextIDOverrides = [2: 0x0999] }
        await #expect(throws: IPMICommandError.self) {
            _ = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        }
    }

    @Test func readsSensorsFromTheirOwnerLUN() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure {
            $0.readings = [
                0: [0x10: IPMIResponse(completionCode: .normal, data: [45, 0xC0, 0x00, 0x00])],
                1: [0x1B: IPMIResponse(completionCode: .normal, data: [33, 0xC0, 0x00, 0x00])],
            ]
        }
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        let sensors = SensorDefinition.sensors(in: repository.records)
        #expect(
            sensors.map(\.name) == [
                "CPU1 Temp", "Inlet Temp", "Ambient Temp", "LUN1 Temp", "Vcore", "Fan2", "ACPI State",
            ])
        let readings = try await SensorReader(logger: logger).readAll(sensors, from: bmc)
        #expect(readings[0].value == 45)
        #expect(readings[3].value == 33)
        // Sensors the fake does not know answer CCh: no reading, never zero.
        #expect(readings[1].value == nil)
        #expect(readings[1].availability == .failed(.invalidDataField))
        let lun1 = await bmc.requests.filter { $0.netFn == .sensorEvent && $0.data == [0x1B] }
        #expect(lun1.map(\.lun) == [1])
    }

    @Test func thresholdsAreConverted() async throws {
        let bmc = FakeBMC(records: labRecords)
        // Readable UNC, UC, UNR (38h); values 85, 95, 105 in raw units.
        await bmc.configure { $0.thresholds = [0x10: [0x38, 0, 0, 0, 85, 95, 105]] }
        let cpu1 = SensorDefinition.sensors(in: [try SDRRecord.decode(Fixtures.cpu1Temp)])[0]
        let t = try await SensorReader(logger: logger).thresholds(of: cpu1, from: bmc)
        #expect(t?.upperNonCritical == 85)
        #expect(t?.upperCritical == 95)
        #expect(t?.upperNonRecoverable == 105)
        #expect(t?.lowerCritical == nil)
        // Vcore has no thresholds in the fake: the BMC refuses and we report none.
        let vcore = SensorDefinition.sensors(in: [try SDRRecord.decode(Fixtures.vcore)])[0]
        #expect(try await SensorReader(logger: logger).thresholds(of: vcore, from: bmc) == nil)
    }

    @Test func softwareOwnedSensorsAreNotRead() async throws {
        let bmc = FakeBMC(records: [])
        var record = Fixtures.cpu1Temp
        record[5] = 0x41  // system software ID 20h
        let sensor = SensorDefinition.sensors(in: [try SDRRecord.decode(record)])[0]
        let reading = try await SensorReader(logger: logger).read(sensor, from: bmc)
        #expect(reading.availability == .notOwnedByBMC)
        #expect(reading.value == nil)
        #expect(await bmc.requests.isEmpty)
    }
}
