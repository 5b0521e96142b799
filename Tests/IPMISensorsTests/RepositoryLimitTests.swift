import IPMI
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import IPMISensors

/// A repository that never seems to end: Get SDR answers record after record (the shared "DIMM" compact record of the
/// fixtures under a new ID each time, 15 sensors each) until record `last`.
final class EndlessRepository: IPMIRequester {
    let last: UInt16
    private let served = NIOLockedValueBox(0)

    init(last: UInt16) { self.last = last }

    var recordsServed: Int { served.withLockedValue { $0 } }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        switch command {
        case 0x20:  // Get SDR Repository Info: the count the BMC claims (§33.9)
            return IPMIResponse(
                completionCode: .normal,
                data: [0x51, UInt8(last & 0xFF), UInt8(last >> 8), 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x02])
        case 0x22:  // Reserve SDR Repository
            return IPMIResponse(completionCode: .normal, data: [0x07, 0x00])
        case 0x23:  // Get SDR, asked for the whole record (§33.12)
            served.withLockedValue { $0 += 1 }
            let id = max(1, UInt16(data[2]) | UInt16(data[3]) << 8)
            var record = Fixtures.dimmShared
            record[0] = UInt8(id & 0xFF)
            record[1] = UInt8(id >> 8)
            record[7] = 0x01  // sensors 1-15
            record[23] = 0x0F  // share count 15 (§43.2 byte 24)
            let next = id < last ? id + 1 : 0xFFFF
            return IPMIResponse(completionCode: .normal, data: [UInt8(next & 0xFF), UInt8(next >> 8)] + record)
        default:
            return IPMIResponse(completionCode: .invalidCommand, data: [])
        }
    }
}

@Suite struct RepositoryLimitTests {
    let logger = Logger(label: "test")

    /// 65,534 records (the hostile BMC) are not all read: the walk stops at 4,096 (the default limit) with an
    /// error instead of holding the repository.
    @Test func theDefaultReaderStopsAtTheRecordLimit() async throws {
        let bmc = EndlessRepository(last: 0xFFFE)
        await #expect(throws: SDRRepositoryError.self) {
            _ = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        }
        #expect(bmc.recordsServed == 4096)
    }

    /// A repository within the limit is read whole, as before.
    @Test func aRepositoryWithinTheLimitIsReadWhole() async throws {
        let bmc = EndlessRepository(last: 4096)
        let repository = try await SDRRepositoryReader(logger: logger).read(from: bmc)
        #expect(repository.records.count == 4096)
        #expect(bmc.recordsServed == 4096)
    }
}
