import IPMI
import IPMIExporter
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import ExporterCollectors

/// A SEL in memory, answering Get SEL Info and Get SEL Entry as IPMI v2.0 §31 describes and counting the requests:
/// record IDs are handed out in order and never reused, addition and erase update their timestamps (a clock moved by
/// the test), a record can be deleted.
final class InMemorySEL: IPMIRequester {
    private struct State {
        var records: [(id: UInt16, bytes: [UInt8])] = []
        var nextID: UInt16 = 1
        var clock: UInt32 = 0x6000_0000
        var addition = GetSELInfoResponse.noTimestamp
        var erase = GetSELInfoResponse.noTimestamp
        var requests: [UInt8] = []
        /// Get Device ID (NetFn App, 01h) answered with Invalid Command instead of a Supermicro X9SCL's IDs.
        var refusesDeviceID = false
        /// Get SEL Entry answers this many more requests, then the next one fails (as a scrape deadline cuts a
        /// read) and it answers again.
        var entryAnswersBeforeFailure: Int?
    }
    private let state = NIOLockedValueBox(State())

    struct Interrupted: Error {}

    /// The Get SEL Entry after the next `answers` fails once.
    func failEntryRead(after answers: Int) {
        state.withLockedValue { $0.entryAnswersBeforeFailure = answers }
    }

    func refuseDeviceID() {
        state.withLockedValue { $0.refusesDeviceID = true }
    }

    /// Commands asked since the last call, in order (40h Get SEL Info, 43h Get SEL Entry, 01h Get Device ID).
    func takeRequests() -> [UInt8] {
        state.withLockedValue { state in
            defer { state.requests = [] }
            return state.requests
        }
    }

    /// Adds `count` system event records (a fan's lower critical going low, §32.1), in the same second as the last
    /// addition unless `tick`.
    func add(_ count: Int, tick: Bool = true) {
        state.withLockedValue {
            if tick { $0.clock += 1 }
            for _ in 0..<count {
                let id = $0.nextID
                $0.nextID += 1
                let time = $0.clock
                let bytes: [UInt8] = [
                    UInt8(id & 0xFF), UInt8(id >> 8), 0x02, UInt8(time & 0xFF), UInt8(time >> 8 & 0xFF),
                    UInt8(time >> 16 & 0xFF), UInt8(time >> 24), 0x20, 0x00, 0x04, 0x04, 0x42, 0x01, 0x02, 0xFF, 0xFF,
                ]
                $0.records.append((id, bytes))
            }
            $0.addition = $0.clock
        }
    }

    func clear() {
        state.withLockedValue {
            $0.clock += 1
            $0.records = []
            $0.erase = $0.clock
        }
    }

    /// Delete SEL Entry (§31.8) of the last record; like a BMC, it leaves the timestamps as they are.
    func deleteLast() {
        state.withLockedValue { _ = $0.records.popLast() }
    }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        try state.withLockedValue { state in
            state.requests.append(command)
            if netFn == .storage, command == 0x43, let left = state.entryAnswersBeforeFailure {
                state.entryAnswersBeforeFailure = left > 0 ? left - 1 : nil
                if left == 0 { throw Interrupted() }
            }
            switch (netFn, command) {
            case (.storage, 0x40):
                let info = GetSELInfoResponse(
                    entries: UInt16(state.records.count), freeSpaceBytes: UInt16(16 * (3000 - state.records.count)),
                    mostRecentAddition: state.addition, mostRecentErase: state.erase, operationSupport: 0x0A)
                return IPMIResponse(completionCode: .normal, data: info.encode())
            case (.storage, 0x43):
                guard let request = try? GetSELEntryRequest(decoding: data) else {
                    return IPMIResponse(completionCode: .requestDataLengthInvalid, data: [])
                }
                let index =
                    request.recordID == GetSELEntryRequest.firstRecord
                    ? (state.records.isEmpty ? nil : 0) : state.records.firstIndex { $0.id == request.recordID }
                guard let index else { return IPMIResponse(completionCode: .requestedDataNotPresent, data: []) }
                let next = index + 1 < state.records.count ? state.records[index + 1].id : GetSELEntryRequest.lastRecord
                let answer = GetSELEntryResponse(nextRecordID: next, recordData: state.records[index].bytes)
                return IPMIResponse(completionCode: .normal, data: answer.encode())
            case (.app, 0x01) where !state.refusesDeviceID:
                let device = GetDeviceIDResponse(
                    deviceID: 0x20, deviceRevision: 1, firmwareMajor: 1, firmwareMinor: 0, ipmiVersion: 0x02,
                    additionalDeviceSupport: 0, manufacturerID: 10876, productID: 1572)
                return IPMIResponse(completionCode: .normal, data: device.encode())
            default:
                return IPMIResponse(completionCode: .invalidCommand, data: [])
            }
        }
    }
}

@Suite struct SELCacheTests {
    static let info: UInt8 = 0x40
    static let entry: UInt8 = 0x43

    static let deviceID: UInt8 = 0x01

    /// One read through the cache: it gives the entries `ids`, after one Get SEL Info, `entryReads` Get SEL Entry
    /// and, when `identifies` (the first read of the session that finds entries), one Get Device ID; returns their
    /// generation.
    @discardableResult
    static func expectRead(
        _ cache: SELCache, _ sel: InMemorySEL, ids: [UInt16], entryReads: Int, identifies: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int {
        let (entries, generation, _) = try await cache.entries(from: sel, logger: quietLogger)
        #expect(entries.map(\.recordID) == ids, sourceLocation: sourceLocation)
        let expected = [info] + Array(repeating: entry, count: entryReads) + (identifies ? [deviceID] : [])
        #expect(sel.takeRequests() == expected, sourceLocation: sourceLocation)
        return generation
    }

    /// The BMC's IDs are asked once per session, with the first read that finds entries; a refusal is not asked
    /// again until a new session.
    @Test func theDeviceIsIdentifiedOncePerSession() async throws {
        let (sel, cache) = (InMemorySEL(), SELCache())
        try await Self.expectRead(cache, sel, ids: [], entryReads: 0)
        sel.add(1)
        try await Self.expectRead(cache, sel, ids: [1], entryReads: 1, identifies: true)
        let (_, _, device) = try await cache.entries(from: sel, logger: quietLogger)
        #expect(device == SELDeviceIdentity(manufacturerID: 10876, productID: 1572))
        _ = sel.takeRequests()
        sel.add(1)
        try await Self.expectRead(cache, sel, ids: [1, 2], entryReads: 2)
        await cache.sessionOpened()
        sel.refuseDeviceID()
        try await Self.expectRead(cache, sel, ids: [1, 2], entryReads: 0, identifies: true)
        try await Self.expectRead(cache, sel, ids: [1, 2], entryReads: 0)
        let (_, _, unknown) = try await cache.entries(from: sel, logger: quietLogger)
        #expect(unknown == nil)
    }

    @Test func anUnchangedSELCostsOneRequestAndAdditionsAreReadIncrementally() async throws {
        let (sel, cache) = (InMemorySEL(), SELCache())
        sel.add(5)
        // Cold: every record. Then warm and unchanged: the info alone, twice over, and the same generation (what
        // the collector made of the entries stands).
        let cold = try await Self.expectRead(cache, sel, ids: [1, 2, 3, 4, 5], entryReads: 5, identifies: true)
        #expect(try await Self.expectRead(cache, sel, ids: [1, 2, 3, 4, 5], entryReads: 0) == cold)
        #expect(try await Self.expectRead(cache, sel, ids: [1, 2, 3, 4, 5], entryReads: 0) == cold)
        // Three added: the last record known again (for its next ID), then the three; a new generation.
        sel.add(3)
        #expect(try await Self.expectRead(cache, sel, ids: Array(1...8), entryReads: 1 + 3) != cold)
        // One added in the same second as the last addition: only the count tells, and it is enough.
        sel.add(1, tick: false)
        try await Self.expectRead(cache, sel, ids: Array(1...9), entryReads: 1 + 1)
    }

    @Test func aClearedSELIsReadAgain() async throws {
        let (sel, cache) = (InMemorySEL(), SELCache())
        sel.add(4)
        try await Self.expectRead(cache, sel, ids: [1, 2, 3, 4], entryReads: 4, identifies: true)
        // Cleared and refilled with as many entries: the erase timestamp says so.
        sel.clear()
        sel.add(4)
        try await Self.expectRead(cache, sel, ids: [5, 6, 7, 8], entryReads: 4)
        // Cleared and left empty: nothing to read, and nothing left. Filled again from empty: all of it.
        sel.clear()
        try await Self.expectRead(cache, sel, ids: [], entryReads: 0)
        sel.add(2)
        try await Self.expectRead(cache, sel, ids: [9, 10], entryReads: 2)
    }

    @Test func aDeletedLastEntryMakesTheSELReadAgain() async throws {
        let (sel, cache) = (InMemorySEL(), SELCache())
        sel.add(3)
        try await Self.expectRead(cache, sel, ids: [1, 2, 3], entryReads: 3, identifies: true)
        // The last known record deleted and two added: asking for it finds it gone (CBh), so all is read.
        sel.deleteLast()
        sel.add(2)
        try await Self.expectRead(cache, sel, ids: [1, 2, 4, 5], entryReads: 1 + 4)
        // Deleted without an addition: fewer entries than read, all is read.
        sel.deleteLast()
        try await Self.expectRead(cache, sel, ids: [1, 2, 4], entryReads: 3)
    }

    /// A read cut short keeps the records it got: the next one reads the last of them again (to check it is still
    /// there) and goes on from it, unless the log was cleared meanwhile.
    @Test func anInterruptedReadGoesOnWhereItStopped() async throws {
        let (sel, cache) = (InMemorySEL(), SELCache())
        sel.add(10)
        // The cold read fails at its fifth Get SEL Entry.
        sel.failEntryRead(after: 4)
        await #expect(throws: InMemorySEL.Interrupted.self) { try await cache.entries(from: sel, logger: quietLogger) }
        #expect(sel.takeRequests() == [Self.info] + Array(repeating: Self.entry, count: 5))
        // Record 4 again, then 5-10: 7 reads instead of 10.
        try await Self.expectRead(cache, sel, ids: Array(1...10), entryReads: 1 + 6, identifies: true)
        try await Self.expectRead(cache, sel, ids: Array(1...10), entryReads: 0)
        // An incremental read cut short, twice, then finished; nothing is read twice but the last record known: 10
        // again, 11 and 12; 12 again and 13; 13 again and 14-16.
        sel.add(6)
        sel.failEntryRead(after: 3)
        await #expect(throws: InMemorySEL.Interrupted.self) { try await cache.entries(from: sel, logger: quietLogger) }
        #expect(sel.takeRequests() == [Self.info] + Array(repeating: Self.entry, count: 4))
        sel.failEntryRead(after: 2)
        await #expect(throws: InMemorySEL.Interrupted.self) { try await cache.entries(from: sel, logger: quietLogger) }
        #expect(sel.takeRequests() == [Self.info] + Array(repeating: Self.entry, count: 3))
        try await Self.expectRead(cache, sel, ids: Array(1...16), entryReads: 1 + 3)
        // Cut short, then the log cleared and refilled: the records kept are of the old log; all is read again.
        sel.clear()
        sel.add(5)
        sel.failEntryRead(after: 2)
        await #expect(throws: InMemorySEL.Interrupted.self) { try await cache.entries(from: sel, logger: quietLogger) }
        _ = sel.takeRequests()
        sel.clear()
        sel.add(3)
        try await Self.expectRead(cache, sel, ids: [22, 23, 24], entryReads: 3)
        // A read that fails before any record keeps what was known.
        sel.add(1)
        sel.failEntryRead(after: 0)
        await #expect(throws: InMemorySEL.Interrupted.self) { try await cache.entries(from: sel, logger: quietLogger) }
        _ = sel.takeRequests()
        try await Self.expectRead(cache, sel, ids: [22, 23, 24, 25], entryReads: 1 + 1)
    }

    /// The families the collector made are kept for an unchanged log, and made again for other rules or entries.
    @Test func theCollectorsFamiliesFollowRulesAndEntries() async throws {
        let sel = InMemorySEL()
        sel.add(2)
        var module = ModuleConfig(name: "default")
        let context = CollectorContext(session: sel, module: module, sdr: SDRCache(metrics: nil), logger: quietLogger)
        func counts(_ module: ModuleConfig) async throws -> [Double] {
            var context = context
            context.module = module
            let families = try await SELEventsCollector().collect(context)
            return families.first { $0.name == "ipmi_sel_events_count_by_name" }?.samples.map(\.value) ?? []
        }
        module.selEvents = [SELEventRule(name: "fan", pattern: "Lower Critical")]
        #expect(try await counts(module) == [2])
        #expect(try await counts(module) == [2])
        module.selEvents = [SELEventRule(name: "none", pattern: "^Upper")]
        #expect(try await counts(module) == [0])
        module.selEvents = [SELEventRule(name: "fan", pattern: "Lower Critical")]
        sel.add(1)
        #expect(try await counts(module) == [3])
    }

    @Test func plans() {
        let last = SELSnapshot.Record(id: 7, bytes: Array(repeating: 0, count: 16))
        let cached = SELSnapshot(
            additionTimestamp: 100, eraseTimestamp: 50, recordCount: 3, lastRecord: last, entries: [])
        func info(_ entries: UInt16, added: UInt32, erased: UInt32) -> GetSELInfoResponse {
            GetSELInfoResponse(
                entries: entries, freeSpaceBytes: 0, mostRecentAddition: added, mostRecentErase: erased,
                operationSupport: 0)
        }
        #expect(SELSnapshot.plan(cached, for: info(3, added: 100, erased: 50)) == .unchanged)
        #expect(SELSnapshot.plan(cached, for: info(5, added: 101, erased: 50)) == .after(last))
        #expect(SELSnapshot.plan(cached, for: info(4, added: 100, erased: 50)) == .after(last))
        #expect(SELSnapshot.plan(cached, for: info(3, added: 101, erased: 51)) == .full)
        #expect(SELSnapshot.plan(cached, for: info(2, added: 100, erased: 50)) == .full)
        #expect(SELSnapshot.plan(cached, for: info(0, added: 100, erased: 51)) == .empty)
        #expect(SELSnapshot.plan(nil, for: info(3, added: 100, erased: 50)) == .full)
        // No addition timestamp while holding entries: nothing to key on, read all every time.
        let none = GetSELInfoResponse.noTimestamp
        #expect(SELSnapshot.plan(cached, for: info(3, added: none, erased: 50)) == .full)
        // Records of a read that stopped partway: go on after the last, even when the info looks unchanged.
        var partial = cached
        partial.complete = false
        #expect(SELSnapshot.plan(partial, for: info(3, added: 100, erased: 50)) == .after(last))
        #expect(SELSnapshot.plan(partial, for: info(9, added: 100, erased: 50)) == .after(last))
        #expect(SELSnapshot.plan(partial, for: info(9, added: 100, erased: 51)) == .full)
    }
}
