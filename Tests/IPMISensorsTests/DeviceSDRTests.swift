import IPMI
import Logging
import Testing

@testable import IPMISensors

/// Device SDRs (IPMI v2.0 §35.2–35.4): the codec of Get Device SDR Info and the reader walking them with the
/// sensor/event commands instead of the storage ones.
@Suite struct DeviceSDRTests {
    let logger = Logger(label: "test")

    @Test func getDeviceSDRInfoOfADynamicDevice() throws {
        // 10 SDRs; dynamic population (bit 7), sensors on LUNs 0 and 1; change indicator 0x5F5E1000 LS byte first.
        let info = try DeviceSDRInfo(data: [0x0A, 0x83, 0x00, 0x10, 0x5E, 0x5F])
        #expect(info.count == 10)
        #expect(info.isDynamic)
        #expect(info.lunsWithSensors == 0x03)
        #expect(info.populationChangeIndicator == 0x5F5E_1000)
        #expect(info.encode() == [0x0A, 0x83, 0x00, 0x10, 0x5E, 0x5F])
        #expect(info.repositoryInfo.recordCount == 10)
        #expect(info.repositoryInfo.additionTimestamp == 0x5F5E_1000)
    }

    @Test func getDeviceSDRInfoOfAStaticDeviceHasNoChangeIndicator() throws {
        let info = try DeviceSDRInfo(data: [0x03, 0x01])
        #expect(info.count == 3)
        #expect(!info.isDynamic)
        #expect(info.lunsWithSensors == 0x01)
        #expect(info.populationChangeIndicator == nil)
        #expect(info.encode() == [0x03, 0x01])
    }

    @Test func anAnswerWithAChangeIndicatorIsDynamic() {
        #expect(
            DeviceSDRInfo(count: 50, populationChangeIndicator: 0x0A0B_0C0D).encode() == [
                50, 0x81, 0x0D, 0x0C, 0x0B, 0x0A,
            ])
        #expect(DeviceSDRInfo(count: 50).encode() == [50, 0x01])
    }

    @Test(arguments: [[], [0x05]] as [[UInt8]])
    func aShortGetDeviceSDRInfoIsAnErrorNotACrash(data: [UInt8]) {
        #expect(throws: SDRDecodingError.self) { try DeviceSDRInfo(data: data) }
    }

    @Test func readsTheDeviceSDRsWithTheSensorEventCommands() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.deviceSDRsOnly = true }
        let repository = try await SDRRepositoryReader(logger: logger, source: .device).read(from: bmc)
        #expect(repository.records == labRecords.map { try! SDRRecord.decode($0) })
        #expect(repository.info.additionTimestamp == 0x0102_0304)
        let requests = await bmc.requests
        // Get Device SDR Info asking for the SDR count, Reserve Device SDR Repository, then one whole-record Get
        // Device SDR per record (reservation 0001h, record ID, offset 0, FFh).
        #expect(requests.first == FakeBMC.Request(netFn: .sensorEvent, command: 0x20, data: [0x01], lun: 0))
        #expect(requests.dropFirst().first == FakeBMC.Request(netFn: .sensorEvent, command: 0x22, data: [], lun: 0))
        let reads = requests.dropFirst(2)
        #expect(reads.count == labRecords.count)
        #expect(reads.allSatisfy { $0.netFn == .sensorEvent && $0.command == 0x21 && $0.data.count == 6 })
        #expect(reads.first?.data == [0x01, 0x00, 0x00, 0x00, 0x00, 0xFF])
        #expect(!requests.contains { $0.netFn == .storage })
    }

    @Test func aOneOffReadFallsBackToTheDeviceSDRsOnlyWhenTheRepositoryIsRefused() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.deviceSDRsOnly = true }
        let (fromDevice, source) = try await SDRRepositoryReader(logger: logger).readRepositoryOrDeviceSDRs(from: bmc)
        #expect(source == .device)
        #expect(fromDevice.records == labRecords.map { try! SDRRecord.decode($0) })
        let repositoryBMC = FakeBMC(records: labRecords)
        let (fromRepository, repositorySource) = try await SDRRepositoryReader(logger: logger)
            .readRepositoryOrDeviceSDRs(from: repositoryBMC)
        #expect(repositorySource == .repository)
        #expect(fromRepository.records == fromDevice.records)
        #expect(!(await repositoryBMC.requests).contains { $0.netFn == .sensorEvent })
    }

    @Test func aOneOffReadOfABMCWithNeitherSaysSo() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.deviceSDRsOnly = true }
        await bmc.configure { $0.refuseDeviceSDRs = true }
        let error = await #expect(throws: SDRRepositoryError.self) {
            try await SDRRepositoryReader(logger: self.logger).readRepositoryOrDeviceSDRs(from: bmc)
        }
        #expect(error?.description.contains("no SDR repository (Get SDR Repository Info: completion code 0xc1") == true)
        #expect(error?.description.contains("no device SDRs (Get Device SDR Info: completion code 0xc1") == true)
    }

    @Test func theRepositoryReaderGetsC1hFromABMCWithOnlyDeviceSDRs() async throws {
        let bmc = FakeBMC(records: labRecords)
        await bmc.configure { $0.deviceSDRsOnly = true }
        await #expect(throws: IPMICommandError(netFn: .storage, command: 0x20, completionCode: .invalidCommand)) {
            try await SDRRepositoryReader(logger: self.logger).read(from: bmc)
        }
    }

    @Test func theRefusalsAreTheCodesThatMeanTheCommandIsNotThere() {
        let refusals = (0...0xFF).map { CompletionCode(rawValue: UInt8($0)) }.filter(\.isRefusal).map(\.rawValue)
        #expect(refusals == [0xC1, 0xC2, 0xC9, 0xCC, 0xD4, 0xD5, 0xD6])
    }
}
