import IPMI
import IPMISensors
import Logging
import NIOConcurrencyHelpers
import PrometheusText
import Testing

@testable import ExporterCollectors
@testable import IPMIExporter

/// A BMC whose repositories are hostile: an SDR chain of `sdrRecords` compact records that each share 15 sensors, and
/// a SEL whose "next record ID" chain is `selChain` (record ID → next), which may loop.
final class HostileRepositoryBMC: IPMIRequester {
    let sdrRecords: Int
    let selChain: [UInt16: UInt16]
    private let getSDRCount = NIOLockedValueBox(0)
    private let selReads = NIOLockedValueBox(0)

    init(sdrRecords: Int = 0, selChain: [UInt16: UInt16] = [:]) {
        self.sdrRecords = sdrRecords
        self.selChain = selChain
    }

    var getSDRRequests: Int { getSDRCount.withLockedValue { $0 } }
    var getSELEntryRequests: Int { selReads.withLockedValue { $0 } }

    /// Compact sensor record (IPMI v2.0 §43.2): sensors 1-15 share it (byte 24, share count 15), 6-bit-free Latin-1
    /// name "S" (byte 32, type/length C1h).
    static func compactRecord(id: UInt16) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: 27)
        body[0] = 0x20  // owner ID: the BMC
        body[2] = 0x01  // sensor number of the first sharing sensor
        body[3] = 0x07  // entity: processor
        body[4] = 0x01
        body[7] = 0x01  // sensor type: temperature
        body[8] = 0x6F  // sensor-specific discrete
        body[18] = 0x0F  // share count 15
        body[26] = 0xC1  // ID string: Latin-1, one character
        body.append(UInt8(ascii: "S"))
        return [UInt8(id & 0xFF), UInt8(id >> 8), 0x51, 0x02, UInt8(body.count)] + body
    }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        switch (netFn, command) {
        case (.storage, 0x20):  // Get SDR Repository Info (§33.9)
            let count = UInt16(sdrRecords)
            return IPMIResponse(
                completionCode: .normal,
                data: [0x51, UInt8(count & 0xFF), UInt8(count >> 8), 0xFF, 0xFF, 1, 0, 0, 0, 1, 0, 0, 0, 0x02])
        case (.storage, 0x22):  // Reserve SDR Repository
            return IPMIResponse(completionCode: .normal, data: [0x01, 0x00])
        case (.storage, 0x23):  // Get SDR (§33.12): record IDs 1...sdrRecords, 0000h is the first
            getSDRCount.withLockedValue { $0 += 1 }
            let asked = UInt16(data[2]) | UInt16(data[3]) << 8
            let id = asked == 0 ? 1 : asked
            guard Int(id) <= sdrRecords else { return IPMIResponse(completionCode: .requestedDataNotPresent, data: []) }
            let next: UInt16 = Int(id) < sdrRecords ? id + 1 : 0xFFFF
            let record = Self.compactRecord(id: id)
            let offset = min(Int(data[4]), record.count)
            let end = data[5] == 0xFF ? record.count : min(record.count, offset + Int(data[5]))
            return IPMIResponse(
                completionCode: .normal, data: [UInt8(next & 0xFF), UInt8(next >> 8)] + record[offset..<end])
        case (.storage, 0x40):  // Get SEL Info (§31.2): version, entries, free space, ...
            let count = UInt16(selChain.count)
            return IPMIResponse(
                completionCode: .normal,
                data: [0x51, UInt8(count & 0xFF), UInt8(count >> 8), 0, 0x10]
                    + [UInt8](
                        repeating: 0, count: 9))
        case (.storage, 0x43):  // Get SEL Entry (§31.5): next ID, then the 16-byte record (§32.1)
            selReads.withLockedValue { $0 += 1 }
            let asked = UInt16(data[2]) | UInt16(data[3]) << 8
            let id = asked == 0 ? selChain.keys.min() ?? 0 : asked
            guard let next = selChain[id] else {
                return IPMIResponse(completionCode: .requestedDataNotPresent, data: [])
            }
            // A system event (type 02h) of a temperature sensor: upper critical going high (offset 9).
            let record: [UInt8] = [
                UInt8(id & 0xFF), UInt8(id >> 8), 0x02, 0x00, 0x00, 0x00, 0x60, 0x20, 0x00, 0x04, 0x01, 0x30, 0x01,
                0x09, 0xFF, 0xFF,
            ]
            return IPMIResponse(completionCode: .normal, data: [UInt8(next & 0xFF), UInt8(next >> 8)] + record)
        default:
            return IPMIResponse(completionCode: .invalidCommand, data: [])
        }
    }
}

@Suite struct HostileRepositoryTests {
    static func selContext(_ bmc: HostileRepositoryBMC) -> CollectorContext {
        var module = ModuleConfig(name: "default")
        module.selEvents = [SELEventRule(name: "critical_temperature", pattern: ".*")]
        return CollectorContext(session: bmc, module: module, sdr: SDRCache(metrics: nil), logger: quietLogger)
    }

    static func counts(_ families: [MetricFamily]) -> (byState: Double, byName: Double) {
        let byState = families.first { $0.name == "ipmi_sel_events_count_by_state" }?.samples.map(\.value)
        let byName = families.first { $0.name == "ipmi_sel_events_count_by_name" }?.samples.map(\.value)
        return ((byState ?? []).reduce(0, +), (byName ?? []).reduce(0, +))
    }

    /// A SEL of two entries whose chain goes A→B→A is counted as two entries, read once each (it was 4,096).
    @Test(
        arguments: [
            [1: 2, 2: 1], [1: 1], [5: 9, 9: 7, 7: 9], [1: 2, 2: 3, 3: 0xFFFF],
        ] as [[UInt16: UInt16]])
    func aLoopingSELIsCountedOnce(chain: [UInt16: UInt16]) async throws {
        let bmc = HostileRepositoryBMC(selChain: chain)
        let families = try await SELEventsCollector().collect(Self.selContext(bmc))
        let (byState, byName) = Self.counts(families)
        #expect(byState == Double(chain.count))
        #expect(byName == Double(chain.count))
        #expect(bmc.getSELEntryRequests == chain.count)
    }

    /// An SDR repository with more records than `max_sdr_records` (default 4096) is refused while it is read, not
    /// held: the download stops at the limit and the `ipmi` collector fails with the reason.
    @Test func aRepositoryOverTheRecordLimitIsRefusedWhileRead() async throws {
        let bmc = HostileRepositoryBMC(sdrRecords: 65_534)
        await #expect(throws: SDRRepositoryError.self) {
            _ = try await SDRCache(metrics: nil).sensors(from: bmc, logger: quietLogger)
        }
        #expect(bmc.getSDRRequests <= 4096 + 1)
    }

    /// Records within the record limit whose shared sensors expand past `max_sensors` (default 8192) are refused too:
    /// 1,000 records of 15 sensors each describe 15,000.
    @Test func sharedRecordsOverTheSensorLimitAreRefused() async throws {
        let bmc = HostileRepositoryBMC(sdrRecords: 1000)
        await #expect(throws: SDRRepositoryError.self) {
            _ = try await SDRCache(metrics: nil).sensors(from: bmc, logger: quietLogger)
        }
        // Below both limits the same repository is read: 500 records, 7,500 sensors.
        let sensors = try await SDRCache(metrics: nil).sensors(
            from: HostileRepositoryBMC(sdrRecords: 500), logger: quietLogger)
        #expect(sensors.count == 7500)
    }
}
