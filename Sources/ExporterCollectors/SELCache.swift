import IPMI
import IPMIExporter
import IPMISensors
import Logging
import PrometheusText

/// One BMC's System Event Log, kept between scrapes with the target's session entry (it lives beside the SDR cache,
/// ``SDRCache/sel``), so that the `sel` and `sel-events` collectors do not read the whole log on every scrape.
///
/// Each scrape asks Get SEL Info (IPMI v2.0 §31.2), whose most-recent-addition and most-recent-erase timestamps the
/// BMC updates on every change. What to read then is ``SELSnapshot/plan(for:)``: nothing when both timestamps and
/// the entry count are as before, the records after the last one known when only entries were added, the whole log
/// when it was cleared or lost entries.
///
/// The collectors of one scrape run concurrently: a Get SEL Info in flight is shared by the collectors that ask
/// for it at the same time, and so is a read of the entries, so a warm scrape of an unchanged log with both
/// collectors costs one request.
package actor SELCache {
    private var snapshot: SELSnapshot?
    /// Moves on whenever the entries read change, so what was made of them can be kept (``families(for:)``).
    private var generation = 0
    /// The `sel-events` families last made, and of what: a warm scrape of an unchanged log with the same rules and
    /// SDRs gives the same families, without matching every entry's text against every rule again.
    private var made: (key: SELFamiliesKey, families: [MetricFamily])?
    /// The Event texts last rendered, by record ID with the entry each was rendered from, and the sensors they were
    /// rendered with: when the log grew, only the new entries are rendered (``texts(of:sensors:device:)``).
    private var rendered:
        (
            sensors: [SensorKey: SensorDefinition], device: SELDeviceIdentity?,
            nodeManager: IntelNodeManagerRecord?,
            byRecord: [UInt16: (entry: SELEntry, fujitsu: FujitsuSELText?, text: String)]
        )?
    /// Callers waiting for the Get SEL Info in flight; nil when none is.
    private var infoWaiters: [CheckedContinuation<GetSELInfoResponse, any Error>]?
    private var refresh: Task<SELSnapshot, any Error>?
    /// The BMC's manufacturer and product, which choose FreeIPMI's OEM interpretations of the entries
    /// (``SELOEMInterpretation``): asked once per session, with the first read that finds entries.
    private var device: SELDeviceIdentity?
    /// The BMC refused Get Device ID in this session: not asked again until the next one.
    private var deviceRefused = false
    /// A Fujitsu iRMC's own texts of its entries (``SELOEMFujitsu``), by record ID with the entry each was asked
    /// for: asked once, when the entry is first read.
    private var fujitsuTexts: [UInt16: (entry: SELEntry, text: FujitsuSELText)] = [:]
    /// The iRMC refused Get SEL Entry Long Text in this session (other than for privilege): not asked again until
    /// the next one; its entries keep their generic texts.
    private var fujitsuRefused = false
    /// The iRMC answered D4h in this session: the session's privilege stays what it is, so later entries get the
    /// same answer without asking.
    private var fujitsuNeedsPrivilege = false
    /// Callers waiting for the asking for texts in flight; nil when none is.
    private var fujitsuWaiters: [CheckedContinuation<Void, Never>]?

    package init() {}

    /// Get SEL Info, sent once for the callers that ask while it is in flight.
    package func info(from session: any IPMIRequester) async throws -> GetSELInfoResponse {
        if infoWaiters != nil {
            return try await withCheckedThrowingContinuation { infoWaiters?.append($0) }
        }
        // Sent from the caller's task (no task of its own: that would take the request off the session's loop).
        infoWaiters = []
        let result: Result<GetSELInfoResponse, any Error>
        do {
            result = .success(try await session.call(GetSELInfoRequest()))
        } catch {
            result = .failure(error)
        }
        let waiters = infoWaiters ?? []
        infoWaiters = nil
        for waiter in waiters { waiter.resume(with: result) }
        return try result.get()
    }

    /// The log's entries, read as far as they changed since the last read. A read that fails partway keeps the
    /// records it read (``SELReadInterrupted``): the next scrape continues after them, so a large log read under a
    /// short scrape deadline is read over a few scrapes instead of started over on each.
    func entries(
        from session: any IPMIRequester, logger: Logger
    ) async throws -> (entries: [SELEntry], generation: Int, device: SELDeviceIdentity?) {
        if let refresh { return (try await Self.value(of: refresh).entries, generation, device) }
        let cached = snapshot
        let task = Task { () async throws -> SELSnapshot in
            let info = try await self.info(from: session)
            return try await SELReader.refresh(cached, info: info, session: session, logger: logger)
        }
        refresh = task
        let result = await task.result
        if refresh == task {
            refresh = nil
            switch result {
            case .success(let read) where read != snapshot:
                snapshot = read
                generation += 1
            case .failure(let interrupted as SELReadInterrupted):
                logger.debug(
                    "SEL read interrupted; the next read continues after the records read",
                    metadata: ["read": "\(interrupted.partial.recordCount)", "error": "\(interrupted.underlying)"])
                snapshot = interrupted.partial
                generation += 1
            default:
                break
            }
        }
        let entries = try await Self.value(of: task).entries
        if device == nil, !deviceRefused, !entries.isEmpty { await identify(from: session, logger: logger) }
        if SELOEMFujitsu.isIRMC(device) {
            // Collectors reading concurrently wait for the asking in flight rather than ask again.
            if fujitsuWaiters != nil {
                await withCheckedContinuation { fujitsuWaiters?.append($0) }
            } else {
                fujitsuWaiters = []
                await askFujitsuTexts(of: entries, from: session, logger: logger)
                let waiters = fujitsuWaiters ?? []
                fujitsuWaiters = nil
                for waiter in waiters { waiter.resume() }
            }
        }
        return (entries, generation, device)
    }

    /// The snapshot `task` read, or the error that stopped it (an interrupted read's own error).
    private static func value(of task: Task<SELSnapshot, any Error>) async throws -> SELSnapshot {
        do {
            return try await task.value
        } catch let interrupted as SELReadInterrupted {
            throw interrupted.underlying
        }
    }

    /// Get SEL Entry Long Text for each entry of a Fujitsu iRMC that FreeIPMI asks it for and whose text is not
    /// known yet: an unchanged log costs nothing more. A refusal is kept for the session (``fujitsuRefused``); a
    /// lost answer ends the asking for this scrape, the next one asks again.
    private func askFujitsuTexts(of entries: [SELEntry], from session: any IPMIRequester, logger: Logger) async {
        guard let device, !fujitsuRefused else { return }
        var learned = false
        defer { if learned { generation += 1 } }
        for entry in entries where SELOEMFujitsu.asksText(entry) {
            if let known = fujitsuTexts[entry.recordID], known.entry == entry { continue }
            if fujitsuNeedsPrivilege {
                fujitsuTexts[entry.recordID] = (entry, .privilegeRequired)
                learned = true
                continue
            }
            var reader = FujitsuSELTextReader(recordID: entry.recordID, productID: device.productID)
            do {
                while let request = reader.request { reader.take(try await session.call(request)) }
                fujitsuTexts[entry.recordID] = (entry, reader.result)
                learned = true
            } catch let error as IPMICommandError where error.completionCode == .insufficientPrivilege {
                fujitsuNeedsPrivilege = true
                fujitsuTexts[entry.recordID] = (entry, .privilegeRequired)
                learned = true
            } catch let error as IPMICommandError {
                fujitsuRefused = true
                logger.debug(
                    "Fujitsu Get SEL Entry Long Text refused; SEL entries keep their generic texts",
                    metadata: ["error": "\(error)"])
                return
            } catch let error as IPMIError {
                // A malformed answer: the iRMC would send it again.
                fujitsuRefused = true
                logger.debug("Fujitsu SEL entry text unreadable", metadata: ["error": "\(error)"])
                return
            } catch {
                logger.debug("Fujitsu Get SEL Entry Long Text failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// The iRMC's text of `entry`, if it was asked for and answered.
    private func fujitsuText(of entry: SELEntry) -> FujitsuSELText? {
        guard let known = fujitsuTexts[entry.recordID], known.entry == entry else { return nil }
        return known.text
    }

    /// Get Device ID (IPMI v2.0 §20.1), for the manufacturer and product. Without an answer the entries keep their
    /// generic texts: for this scrape when it was lost (the next one asks again), for the session when the BMC
    /// refused it (a completion code), as it would refuse it again.
    private func identify(from session: any IPMIRequester, logger: Logger) async {
        do {
            let answer = try await session.call(GetDeviceIDRequest())
            device = SELDeviceIdentity(manufacturerID: answer.manufacturerID, productID: answer.productID)
        } catch let error as IPMICommandError {
            deviceRefused = true
            logger.debug(
                "Get Device ID refused; SEL entries read without OEM interpretation", metadata: ["error": "\(error)"])
        } catch {
            logger.debug("Get Device ID for the SEL's OEM interpretation failed", metadata: ["error": "\(error)"])
        }
    }

    /// A new session: the BMC may have had its firmware (and with it the IDs it reports) changed.
    package func sessionOpened() {
        device = nil
        deviceRefused = false
        fujitsuRefused = false
        fujitsuNeedsPrivilege = false
        // The new session may have another privilege.
        fujitsuTexts = fujitsuTexts.filter { $0.value.text != .privilegeRequired }
    }

    /// The families kept for `key`, if the last ones made were for it.
    func families(for key: SELFamiliesKey) -> [MetricFamily]? {
        made?.key == key ? made?.families : nil
    }

    func keep(_ families: [MetricFamily], for key: SELFamiliesKey) {
        made = (key, families)
    }

    /// The Event text of each entry (``SELEntry/text(sensor:)``), taken from the last rendering where the same record
    /// is still there with the same sensors, rendered otherwise; what is no longer in the log is dropped.
    func texts(
        of entries: [SELEntry], sensors: [SensorKey: SensorDefinition], device: SELDeviceIdentity? = nil,
        nodeManager: IntelNodeManagerRecord? = nil
    ) -> [String] {
        let known =
            rendered.map { $0.sensors == sensors && $0.device == device && $0.nodeManager == nodeManager } == true
            ? rendered?.byRecord ?? [:] : [:]
        var byRecord: [UInt16: (entry: SELEntry, fujitsu: FujitsuSELText?, text: String)] = [:]
        byRecord.reserveCapacity(entries.count)
        let texts = entries.map { entry in
            let fujitsu = SELOEMFujitsu.isIRMC(device) ? fujitsuText(of: entry) : nil
            if let kept = known[entry.recordID], kept.entry == entry, kept.fujitsu == fujitsu {
                byRecord[entry.recordID] = kept
                return kept.text
            }
            let sensor = entry.sensor(in: sensors)
            let text =
                SELOEMFujitsu.isIRMC(device)
                ? entry.text(sensor: sensor, device: device, irmcText: fujitsu)
                : entry.text(sensor: sensor, device: device, nodeManager: nodeManager)
            byRecord[entry.recordID] = (entry, fujitsu, text)
            return text
        }
        rendered = (sensors, device, nodeManager, byRecord)
        return texts
    }
}

/// What the `sel-events` families are made of: the entries (by their generation), the rules and the sensors whose
/// SDRs convert threshold readings.
struct SELFamiliesKey: Equatable, Sendable {
    var generation: Int
    var rules: [SELEventRule]
    var sensors: [SensorKey: SensorDefinition]
    var device: SELDeviceIdentity?
    /// Intel's Node Manager discovery record of the SDRs, which some entries' texts depend on.
    var nodeManager: IntelNodeManagerRecord? = nil
}

/// What a read of the SEL found, and the Get SEL Info it was read for.
struct SELSnapshot: Equatable, Sendable {
    /// The last record of the chain (its "next record ID" was FFFFh): entries added later follow it.
    struct Record: Equatable, Sendable {
        var id: UInt16
        var bytes: [UInt8]
    }

    var additionTimestamp: UInt32
    var eraseTimestamp: UInt32
    /// Records read, of every type (``entries`` leaves out those of unknown types), to compare with the count Get SEL
    /// Info gives.
    var recordCount: Int
    var lastRecord: Record?
    var entries: [SELEntry]
    /// False for the records a read got before it failed: not the whole log, whatever Get SEL Info says.
    var complete = true

    /// What to read, given the log's info now.
    enum Plan: Equatable {
        /// Nothing changed: the entries read before stand.
        case unchanged
        /// The log is empty: nothing to read.
        case empty
        /// Entries were only added: read the last record known again (for its new "next record ID") and the ones
        /// after it.
        case after(Record)
        /// Read every record from the first.
        case full
    }

    /// The read that brings `cached` (nil: nothing read yet) up to the log that `info` describes.
    static func plan(_ cached: SELSnapshot?, for info: GetSELInfoResponse) -> Plan {
        if info.entries == 0 { return .empty }
        // A BMC that keeps no addition timestamp while it holds entries gives nothing to key the log on.
        guard let cached, info.mostRecentAddition != GetSELInfoResponse.noTimestamp else { return .full }
        // Cleared since (§31.9 updates the erase timestamp), or entries deleted one by one (Delete SEL Entry, §31.8).
        if info.mostRecentErase != cached.eraseTimestamp || Int(info.entries) < cached.recordCount { return .full }
        // A read that stopped partway goes on after its last record, which is read again to check it is still there.
        if !cached.complete { return cached.lastRecord.map { .after($0) } ?? .full }
        // Timestamps are whole seconds: an entry added in the same second as the last one shows only in the count.
        if info.mostRecentAddition == cached.additionTimestamp && Int(info.entries) == cached.recordCount {
            return .unchanged
        }
        guard let last = cached.lastRecord else { return .full }
        return .after(last)
    }
}

/// Reads SEL records with Get SEL Entry (IPMI v2.0 §31.5).
enum SELReader {
    /// More records than a SEL can hold: its free space is a 16-bit byte count (§31.2) and entries take 16 bytes.
    static let maximumRecords = 4096

    /// The snapshot for `info`: `cached` as it is, extended, or read again, as ``SELSnapshot/plan(_:for:)`` says.
    static func refresh(
        _ cached: SELSnapshot?, info: GetSELInfoResponse, session: any IPMIRequester, logger: Logger
    ) async throws -> SELSnapshot {
        var snapshot = SELSnapshot(
            additionTimestamp: info.mostRecentAddition, eraseTimestamp: info.mostRecentErase, recordCount: 0,
            lastRecord: nil, entries: [])
        switch SELSnapshot.plan(cached, for: info) {
        case .empty:
            return snapshot
        case .unchanged:
            // The cached snapshot came from a plan that compared equal; keep its timestamps.
            return cached ?? snapshot
        case .after(let last):
            guard let cached else { break }
            var added = Records()
            let chainHolds: Bool
            do {
                chainHolds = try await readAfter(last, cached: cached, into: &added, session: session, logger: logger)
            } catch {
                throw interrupted(snapshot, reading: added, after: cached, by: error)
            }
            if chainHolds {
                snapshot.hold(added, after: cached)
                // Fewer records than the BMC counts: the chain is not what was cached (records inserted before the
                // last one, or renumbered); read it all.
                if snapshot.recordCount >= Int(info.entries) { return snapshot }
                logger.debug(
                    "SEL has more entries than its chain after the last one read; reading it again",
                    metadata: ["entries": "\(info.entries)", "read": "\(snapshot.recordCount)"])
            }
        case .full:
            break
        }
        var all = Records()
        do {
            try await read(from: GetSELEntryRequest.firstRecord, seen: [], into: &all, session: session, logger: logger)
        } catch {
            throw interrupted(snapshot, reading: all, after: nil, by: error)
        }
        snapshot.hold(all, after: nil)
        return snapshot
    }

    /// The error of a read that `error` stopped: ``SELReadInterrupted`` with `snapshot` holding what it read after
    /// `base` (not ``SELSnapshot/complete``) when it read anything, `error` itself otherwise.
    private static func interrupted(
        _ snapshot: SELSnapshot, reading records: Records, after base: SELSnapshot?, by error: any Error
    ) -> any Error {
        guard records.count > 0 else { return error }
        var partial = snapshot
        partial.hold(records, after: base)
        partial.complete = false
        return SELReadInterrupted(partial: partial, underlying: error)
    }

    /// Reads the records after `last` into `records`; false if `last` is gone or changed (the log was cleared and
    /// refilled, or wrapped).
    private static func readAfter(
        _ last: SELSnapshot.Record, cached: SELSnapshot, into records: inout Records, session: any IPMIRequester,
        logger: Logger
    ) async throws -> Bool {
        let answer: GetSELEntryResponse
        do {
            answer = try await session.call(GetSELEntryRequest(recordID: last.id))
        } catch let error as IPMICommandError where error.completionCode == .requestedDataNotPresent {
            logger.debug("last SEL entry read is gone; reading the SEL again", metadata: ["record": "\(last.id)"])
            return false
        }
        guard try answer.record() == last.bytes else {
            logger.debug("last SEL entry read changed; reading the SEL again", metadata: ["record": "\(last.id)"])
            return false
        }
        var seen = Set(cached.entries.map(\.recordID))
        seen.insert(last.id)
        guard answer.nextRecordID != GetSELEntryRequest.lastRecord else { return true }
        try await read(from: answer.nextRecordID, seen: seen, into: &records, session: session, logger: logger)
        return true
    }

    /// What one walk of the chain read.
    struct Records {
        var count = 0
        var last: SELSnapshot.Record?
        var entries: [SELEntry] = []
    }

    /// Get SEL Entry from `first` until the last record (FFFFh), into `records`, which keeps what was read when a
    /// request fails. A chain whose "next record ID" leads back to any record already read (A→B→A as well as A→A,
    /// or to one of `seen`) is a BMC fault: like the SDR reader, the reader logs it and stops there, so every entry
    /// is counted once.
    static func read(
        from first: UInt16, seen: Set<UInt16>, into records: inout Records, session: any IPMIRequester, logger: Logger
    ) async throws {
        var seen = seen
        var recordID = first
        var reads = 0
        while recordID != GetSELEntryRequest.lastRecord, reads < maximumRecords {
            reads += 1
            guard seen.insert(recordID).inserted else {
                logger.warning("SEL record chain loops; stopping", metadata: ["record": "\(recordID)"])
                break
            }
            let answer = try await session.call(GetSELEntryRequest(recordID: recordID))
            let record = try answer.record()
            // The first entry is asked for as 0000h; its own ID (bytes 1-2 of the record, §32.1) is what a later
            // "next" points back to, and what a later read asks for.
            let own = answer.recordID ?? recordID
            seen.insert(own)
            records.count += 1
            records.last = SELSnapshot.Record(id: own, bytes: record)
            if let entry = SELEntry(record: record) { records.entries.append(entry) }
            recordID = answer.nextRecordID
        }
    }
}

extension SELSnapshot {
    /// Holds `base`'s records (none without one) followed by `records`.
    fileprivate mutating func hold(_ records: SELReader.Records, after base: SELSnapshot?) {
        recordCount = (base?.recordCount ?? 0) + records.count
        lastRecord = records.last ?? base?.lastRecord
        entries = (base?.entries ?? []) + records.entries
    }
}

/// A read of the SEL that failed after reading some records: `partial` holds them (not ``SELSnapshot/complete``),
/// `underlying` is why it stopped.
struct SELReadInterrupted: Error {
    var partial: SELSnapshot
    var underlying: any Error
}
