import IPMI
import Logging

/// The decoded content of a BMC's SDR repository.
public struct SDRRepository: Sendable, Hashable {
    public var info: SDRRepositoryInfo
    /// Records in repository order, including `.other` for types we do not decode.
    public var records: [SDRRecord]
    /// Records that were truncated or whose length or ID string was corrupt; each was logged and skipped.
    public var skippedRecords: Int
    /// How many records of each undecoded type (OEM C0h, entity association 08h, ...) were seen.
    public var otherRecordTypes: [UInt8: Int]

    public init(
        info: SDRRepositoryInfo, records: [SDRRecord], skippedRecords: Int = 0, otherRecordTypes: [UInt8: Int] = [:]
    ) {
        self.info = info
        self.records = records
        self.skippedRecords = skippedRecords
        self.otherRecordTypes = otherRecordTypes
    }
}

/// Where a controller keeps its SDRs: in the SDR repository (storage commands, IPMI v2.0 §33) or as device SDRs
/// of a sensor device (sensor/event commands, §35.2–35.4), which a BMC without a repository may offer instead.
/// The two read the same way: info, reserve, then records with the same request and answer layout.
public enum SDRSource: String, Sendable, Hashable, CustomStringConvertible {
    case repository
    case device

    public var netFn: NetFn { self == .repository ? .storage : .sensorEvent }
    /// Get SDR Repository Info (storage 20h, §33.9) or Get Device SDR Info (sensor/event 20h, §35.2).
    public var infoCommand: UInt8 {
        self == .repository ? SensorCommand.getSDRRepositoryInfo : SensorCommand.getDeviceSDRInfo
    }
    /// Reserve SDR Repository (storage 22h, §33.11) or Reserve Device SDR Repository (sensor/event 22h, §35.4).
    public var reserveCommand: UInt8 {
        self == .repository ? SensorCommand.reserveSDRRepository : SensorCommand.reserveDeviceSDRRepository
    }
    /// Get SDR (storage 23h, §33.12) or Get Device SDR (sensor/event 21h, §35.3).
    public var getCommand: UInt8 { self == .repository ? SensorCommand.getSDR : SensorCommand.getDeviceSDR }

    public var description: String { self == .repository ? "SDR repository" : "device SDRs" }
}

/// Reads the SDR repository through any ``IPMIRequester`` (IPMI v2.0 §33): Get SDR Repository Info, Reserve SDR
/// Repository, then every record with Get SDR.
///
/// Each record is first asked for in one Get SDR of header and body together: ``firstReadSize`` bytes from offset
/// 0, FFh meaning the entire record (§33.12), so a record costs one round trip (two when longer than a smaller
/// first read) instead of three. A BMC that refuses that (0xCA cannot return that many bytes, 0xFF unspecified, or
/// any code but "not present" and "reservation cancelled") or answers with fewer bytes than asked is read the
/// older way for the rest of the walk: the 5-byte header, then the body in chunks of at most ``readSize`` bytes;
/// 0xCA there makes the chunk smaller for the rest of the walk. 0xC5 (reservation cancelled, e.g. the repository
/// changed) makes the reader reserve again and restart the record.
///
/// With ``source`` ``SDRSource/device`` the same walk reads a controller's device SDRs instead (§35).
public struct SDRRepositoryReader: Sendable {
    /// The SDR repository, or the device SDRs of a controller without one.
    public var source: SDRSource
    /// Ask for header and body in one read first (see above); false reads header and chunks from the start.
    public var wholeRecordReads: Bool
    /// Bytes asked for in that first read; FFh is the entire record.
    public var firstReadSize: Int

    /// The entire record (FFh, IPMI v2.0 §33.12): one Get SDR per record on a BMC that allows it; one that refuses
    /// (0xCA, 0xFF) or answers short gets header and chunks instead.
    public static let defaultFirstReadSize = 0xFF
    /// Bytes requested per Get SDR after the header.
    public var readSize: Int
    /// The smallest chunk tried before giving up on 0xCA.
    public var minimumReadSize: Int
    /// How many times one record may be restarted after 0xC5.
    public var maximumReservationRetries: Int
    /// The most records read from one repository (a walk that would go past it stops with an error) and the most
    /// sensors ``sensors(in:)`` builds from them.
    public var limits: SDRLimits
    /// FreeIPMI's `assumemaxsdrrecordcount`: stop once as many records were read as the info counts, whatever the
    /// last one's "next record ID" says. Without it a chain that comes back to a record read before, after that
    /// many records, is an error that names the flag.
    public var assumeMaxRecordCount: Bool
    public var logger: Logger

    public init(
        logger: Logger, readSize: Int = 32, minimumReadSize: Int = 4, maximumReservationRetries: Int = 8,
        wholeRecordReads: Bool = true, firstReadSize: Int = Self.defaultFirstReadSize,
        limits: SDRLimits = SDRLimits(), source: SDRSource = .repository, assumeMaxRecordCount: Bool = false
    ) {
        self.source = source
        self.assumeMaxRecordCount = assumeMaxRecordCount
        self.logger = logger
        self.limits = limits
        self.wholeRecordReads = wholeRecordReads
        self.firstReadSize = max(SDRHeader.size, min(firstReadSize, Self.entireRecord))
        self.readSize = max(1, min(readSize, 255))
        self.minimumReadSize = max(1, minimumReadSize)
        self.maximumReservationRetries = maximumReservationRetries
    }

    /// Get SDR Repository Info: record count and the add/erase timestamps that tell whether a cached copy is current.
    /// For device SDRs: Get Device SDR Info asking for the SDR count (§35.2), in the same shape.
    public func readInfo(from requester: some IPMIRequester) async throws -> SDRRepositoryInfo {
        switch source {
        case .repository:
            let data = try await requester.call(netFn: .storage, command: SensorCommand.getSDRRepositoryInfo)
            return try SDRRepositoryInfo(data: data)
        case .device:
            let data = try await requester.call(
                netFn: .sensorEvent, command: SensorCommand.getDeviceSDRInfo, data: DeviceSDRInfo.sdrCountRequest)
            return try DeviceSDRInfo(data: data).repositoryInfo
        }
    }

    /// Reads and decodes the whole repository.
    public func read(from requester: some IPMIRequester) async throws -> SDRRepository {
        var progress = SDRDownloadProgress()
        return try await read(from: requester, resuming: &progress)
    }

    /// Reads and decodes the whole repository, starting where `progress` stopped if it was made from the same
    /// repository (else from the start). When this throws, `progress` holds what was read, for the next attempt.
    public func read(
        from requester: some IPMIRequester, resuming progress: inout SDRDownloadProgress
    ) async throws -> SDRRepository {
        let info = try await readInfo(from: requester)
        if !progress.matches(info) {
            if progress.info != nil, !progress.records.isEmpty {
                logger.debug("SDR repository changed since the last attempt; reading it from the start")
            }
            progress = SDRDownloadProgress()
            progress.info = info
        }
        var repository = SDRRepository(info: info, records: [])
        // An empty repository answers Get SDR 0000h with "not present": there is nothing to walk.
        guard info.recordCount > 0 else { return repository }
        for (recordID, bytes) in try await readRawRecords(from: requester, resuming: &progress) {
            do {
                let record = try SDRRecord.decode(bytes)
                if case .other(_, let type) = record { repository.otherRecordTypes[type, default: 0] += 1 }
                repository.records.append(record)
            } catch {
                repository.skippedRecords += 1
                logger.warning(
                    "skipping SDR record", metadata: ["record": "\(recordID)", "reason": "\(error.reason)"])
            }
        }
        return repository
    }

    /// Reads the SDR repository or, from a BMC that refuses Get SDR Repository Info (``CompletionCode/isRefusal``),
    /// its device SDRs (§35.2–35.4), logging the fallback at info: for a one-off read (the `sensors` command). The
    /// exporter's SDR cache does the same and remembers the answer for the session.
    public func readRepositoryOrDeviceSDRs(
        from requester: some IPMIRequester
    ) async throws -> (SDRRepository, SDRSource) {
        do {
            return (try await read(from: requester), source)
        } catch let error as IPMICommandError
            where source == .repository && error.netFn == .storage
            && error.command == SensorCommand.getSDRRepositoryInfo && error.completionCode.isRefusal
        {
            logger.info("no SDR repository; reading the device SDRs", metadata: ["reason": "\(error)"])
            var device = self
            device.source = .device
            do {
                return (try await device.read(from: requester), .device)
            } catch let deviceError as IPMICommandError
                where deviceError.command == SensorCommand.getDeviceSDRInfo && deviceError.completionCode.isRefusal
            {
                throw SDRRepositoryError(
                    "the BMC has no SDR repository (Get SDR Repository Info: \(error)) and no device SDRs "
                        + "(Get Device SDR Info: \(deviceError))")
            }
        }
    }

    /// Reads every record's bytes (header and body), in repository order, keyed by the record ID asked for.
    /// Truncated records are returned as far as they could be read; `SDRRecord.decode` then rejects them.
    public func readRawRecords(from requester: some IPMIRequester) async throws -> [(UInt16, [UInt8])] {
        var progress = SDRDownloadProgress()
        return try await readRawRecords(from: requester, resuming: &progress)
    }

    /// ``readRawRecords(from:)`` from where `progress` stopped; when this throws, `progress` holds what was read.
    func readRawRecords(
        from requester: some IPMIRequester, resuming progress: inout SDRDownloadProgress
    ) async throws -> [(UInt16, [UInt8])] {
        var state = WalkState(
            readSize: progress.readSize ?? readSize, wholeRecords: progress.wholeRecords ?? wholeRecordReads)
        if let reservation = progress.reservation {
            state.reservation = reservation
        } else {
            state.reservation = try await reserve(requester)
        }
        defer {
            progress.reservation = state.reservation
            progress.readSize = state.readSize
            progress.wholeRecords = state.wholeRecords
        }
        while progress.nextRecordID != 0xFFFF {
            let recordID = progress.nextRecordID
            let counted = progress.info.map { Int($0.recordCount) }
            if assumeMaxRecordCount, let counted, progress.records.count >= counted { break }
            // A repository whose "next record ID" chain loops would otherwise be read forever.
            guard !progress.seen.contains(recordID) else {
                if let counted, progress.records.count >= counted {
                    // All the records the info counts were read, and the chain goes on: the last one's "next
                    // record ID" is not FFFFh (§33.12). FreeIPMI fails such a BMC unless told to stop at the count.
                    throw SDRRepositoryError(
                        "the \(source)'s last record points on to record \(recordID), read before, instead of "
                            + "FFFFh after the \(counted) records its info counts; if FreeIPMI needs -W "
                            + "assumemaxsdrrecordcount for this BMC, try workaround_flags: [assumemaxsdrrecordcount]")
                }
                logger.warning("SDR record chain loops; stopping", metadata: ["record": "\(recordID)"])
                break
            }
            // Each record costs memory and, once decoded, up to 15 sensors (§43.2 share count): a hostile BMC
            // must not make the reader hold an unbounded repository.
            guard progress.records.count < limits.maximumRecords else { throw tooManyRecords() }
            let (next, bytes) = try await readRecord(recordID, requester: requester, state: &state)
            progress.seen.insert(recordID)
            // The first record is asked for as 0000h; key it (and the loop check) by its real ID.
            var actualID = recordID
            if bytes.count >= 2 {
                actualID = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
                progress.seen.insert(actualID)
            }
            progress.records.append((actualID, bytes))
            progress.nextRecordID = next
        }
        return progress.records
    }

    /// The sensors `repository` describes (``SensorDefinition/sensors(in:maximum:)``), at most
    /// ``SDRLimits/maximumSensors``; more are logged and refused with ``SDRRepositoryError``.
    public func sensors(in repository: SDRRepository) throws(SDRRepositoryError) -> [SensorDefinition] {
        do {
            return try SensorDefinition.sensors(in: repository.records, maximum: limits.maximumSensors)
        } catch {
            logger.warning(
                "refusing an SDR repository with more sensors than the limit",
                metadata: ["limit": "\(limits.maximumSensors)", "records": "\(repository.records.count)"])
            throw error
        }
    }

    /// Logs and returns the error for a repository with more than the limit's records. The record count of
    /// Get SDR Repository Info is not trusted for this (FreeIPMI has a workaround flag for BMCs that get it wrong):
    /// the walk counts what actually arrives.
    private func tooManyRecords() -> SDRRepositoryError {
        logger.warning(
            "refusing an SDR repository with more records than the limit",
            metadata: ["limit": "\(limits.maximumRecords)"])
        return SDRRepositoryError("the SDR repository has more than \(limits.maximumRecords) records (the limit)")
    }

    struct WalkState {
        var readSize: Int
        /// Cleared for the rest of the walk by the first BMC answer that shows whole-record reads do not work.
        var wholeRecords: Bool
        var reservation: UInt16 = 0
    }

    /// "Bytes to read" FFh: the entire record from the offset (IPMI v2.0 §33.12).
    static let entireRecord = 0xFF

    private func reserve(_ requester: some IPMIRequester) async throws -> UInt16 {
        let response = try await requester.request(netFn: source.netFn, command: source.reserveCommand)
        // A repository without reservations (§33.11 and §35.4 are optional) is read with reservation ID 0000h.
        if response.completionCode == .invalidCommand { return 0 }
        let data = try response.requireSuccess(netFn: source.netFn, command: source.reserveCommand)
        guard data.count >= 2 else {
            throw SDRRepositoryError("Reserve \(source) response of \(data.count) bytes")
        }
        return UInt16(data[0]) | UInt16(data[1]) << 8
    }

    /// One Get SDR request; returns the next record ID and the bytes read, or the completion code.
    private func getSDR(
        _ recordID: UInt16, offset: Int, count: Int, requester: some IPMIRequester, reservation: UInt16
    ) async throws -> (CompletionCode, UInt16, [UInt8]) {
        // Request: reservation ID (LS first), record ID (LS first), offset into record, bytes to read (§33.12; Get
        // Device SDR, §35.3, is laid out the same).
        let request: [UInt8] = [
            UInt8(reservation & 0xFF), UInt8(reservation >> 8), UInt8(recordID & 0xFF), UInt8(recordID >> 8),
            UInt8(offset), UInt8(count),
        ]
        var response = try await requester.request(netFn: source.netFn, command: source.getCommand, data: request)
        // A read from offset 0 starts with the record's own ID (§43.1): an answer with another ID is one that
        // belongs to another request (a late or duplicated datagram). Ask once more; a BMC that answers so every
        // time is taken at its word.
        if recordID != 0x0000, offset == 0, Self.recordID(inGetSDRAnswer: response).map({ $0 != recordID }) == true {
            logger.debug(
                "Get SDR answered with another record; asking again",
                metadata: ["record": "\(recordID)", "answered": "\(Self.recordID(inGetSDRAnswer: response)!)"])
            response = try await requester.request(netFn: source.netFn, command: source.getCommand, data: request)
        }
        guard response.completionCode == .normal else { return (response.completionCode, 0, []) }
        guard response.data.count >= 2 else {
            throw SDRRepositoryError("\(source) read response of \(response.data.count) bytes for record \(recordID)")
        }
        let next = UInt16(response.data[0]) | UInt16(response.data[1]) << 8
        return (.normal, next, Array(response.data.dropFirst(2)))
    }

    /// The record ID at the start of a successful Get SDR answer's record data, after the next record ID.
    private static func recordID(inGetSDRAnswer response: IPMIResponse) -> UInt16? {
        guard response.completionCode == .normal, response.data.count >= 4 else { return nil }
        return UInt16(response.data[2]) | UInt16(response.data[3]) << 8
    }

    /// After 0xC5 (reservation cancelled): a new reservation, unless the record was restarted too often already.
    private func reserveAgain(
        _ recordID: UInt16, restarts: inout Int, requester: some IPMIRequester, state: inout WalkState
    ) async throws {
        restarts += 1
        guard restarts <= maximumReservationRetries else {
            throw SDRRepositoryError("SDR reservation cancelled \(restarts) times on record \(recordID)")
        }
        logger.debug("SDR reservation cancelled; reserving again", metadata: ["record": "\(recordID)"])
        state.reservation = try await reserve(requester)
    }

    private func readRecord(
        _ recordID: UInt16, requester: some IPMIRequester, state: inout WalkState
    ) async throws -> (UInt16, [UInt8]) {
        var restarts = 0
        restart: while true {
            var bytes: [UInt8] = []
            var next: UInt16 = 0xFFFF
            // Until the header is in, only its five bytes are known to exist.
            var total = SDRHeader.size
            var headerParsed = false
            if state.wholeRecords {
                let (code, nextID, answer) = try await getSDR(
                    recordID, offset: 0, count: firstReadSize, requester: requester,
                    reservation: state.reservation)
                switch code {
                case .normal:
                    next = nextID
                    if let header = SDRHeader(bytes: answer), answer.count >= SDRHeader.size + header.bodyLength {
                        return (next, Array(answer.prefix(SDRHeader.size + header.bodyLength)))
                    }
                    if firstReadSize == Self.entireRecord || answer.count < firstReadSize {
                        // Fewer bytes than asked: keep them, read the rest in chunks, and the next records too.
                        state.wholeRecords = false
                        logger.debug(
                            "BMC answered a whole-record SDR read short; reading in chunks",
                            metadata: ["record": "\(recordID)", "bytes": "\(answer.count)"])
                    }
                    // Else the record is longer than the first read: its rest comes in chunks.
                    bytes = answer
                    if let header = SDRHeader(bytes: bytes) {
                        headerParsed = true
                        total = SDRHeader.size + header.bodyLength
                    }
                    if answer.isEmpty {
                        logger.warning("SDR record truncated", metadata: ["record": "\(recordID)", "bytes": "0"])
                        return (next, bytes)
                    }
                case .reservationCancelled:
                    try await reserveAgain(recordID, restarts: &restarts, requester: requester, state: &state)
                    continue restart
                case .requestedDataNotPresent:
                    throw IPMICommandError(netFn: source.netFn, command: source.getCommand, completionCode: code)
                default:
                    // 0xCA (cannot return that many bytes), 0xFF, or a BMC that takes FFh for an invalid count.
                    state.wholeRecords = false
                    logger.debug(
                        "BMC refuses whole-record SDR reads; reading in chunks",
                        metadata: ["record": "\(recordID)", "completion": "\(code)"])
                }
            }
            while bytes.count < total {
                let wanted = min(state.readSize, total - bytes.count)
                let (code, nextID, chunk) = try await getSDR(
                    recordID, offset: bytes.count, count: wanted, requester: requester,
                    reservation: state.reservation)
                switch code {
                case .normal:
                    break
                case .reservationCancelled:
                    try await reserveAgain(recordID, restarts: &restarts, requester: requester, state: &state)
                    continue restart
                case .cannotReturnRequestedBytes where wanted > minimumReadSize:
                    state.readSize = max(minimumReadSize, wanted / 2)
                    logger.debug("BMC cannot return \(wanted) SDR bytes; reading \(state.readSize) at a time")
                    continue
                default:
                    throw IPMICommandError(netFn: source.netFn, command: source.getCommand, completionCode: code)
                }
                if bytes.isEmpty { next = nextID }
                guard !chunk.isEmpty else {
                    logger.warning(
                        "SDR record truncated",
                        metadata: ["record": "\(recordID)", "bytes": "\(bytes.count)/\(total)"])
                    return (next, bytes)
                }
                bytes += chunk.prefix(total - bytes.count)
                if !headerParsed, let header = SDRHeader(bytes: bytes) {
                    headerParsed = true
                    total = SDRHeader.size + header.bodyLength
                }
            }
            return (next, bytes)
        }
    }
}
