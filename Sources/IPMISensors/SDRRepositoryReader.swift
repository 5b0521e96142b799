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

/// A failure that stops reading the repository (as opposed to a single bad record, which is skipped).
public struct SDRRepositoryError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Reads the SDR repository through any ``IPMIRequester`` (IPMI v2.0 §33): Get SDR Repository Info, Reserve SDR
/// Repository, then every record with Get SDR in partial reads.
///
/// Each record is read as its 5-byte header, then its body in chunks of at most ``readSize`` bytes. A BMC that
/// answers 0xCA (cannot return that many bytes) makes the chunk smaller for the rest of the walk; 0xC5 (reservation
/// cancelled, e.g. the repository changed) makes the reader reserve again and restart the record.
public struct SDRRepositoryReader: Sendable {
    /// Bytes requested per Get SDR after the header.
    public var readSize: Int
    /// The smallest chunk tried before giving up on 0xCA.
    public var minimumReadSize: Int
    /// How many times one record may be restarted after 0xC5.
    public var maximumReservationRetries: Int
    public var logger: Logger

    public init(
        logger: Logger, readSize: Int = 32, minimumReadSize: Int = 4, maximumReservationRetries: Int = 8
    ) {
        self.logger = logger
        self.readSize = max(1, min(readSize, 255))
        self.minimumReadSize = max(1, minimumReadSize)
        self.maximumReservationRetries = maximumReservationRetries
    }

    /// Get SDR Repository Info: record count and the add/erase timestamps that tell whether a cached copy is current.
    public func readInfo(from requester: some IPMIRequester) async throws -> SDRRepositoryInfo {
        let data = try await requester.call(netFn: .storage, command: SensorCommand.getSDRRepositoryInfo)
        return try SDRRepositoryInfo(data: data)
    }

    /// Reads and decodes the whole repository.
    public func read(from requester: some IPMIRequester) async throws -> SDRRepository {
        let info = try await readInfo(from: requester)
        var repository = SDRRepository(info: info, records: [])
        // An empty repository answers Get SDR 0000h with "not present": there is nothing to walk.
        guard info.recordCount > 0 else { return repository }
        for (recordID, bytes) in try await readRawRecords(from: requester) {
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

    /// Reads every record's bytes (header and body), in repository order, keyed by the record ID asked for.
    /// Truncated records are returned as far as they could be read; `SDRRecord.decode` then rejects them.
    public func readRawRecords(from requester: some IPMIRequester) async throws -> [(UInt16, [UInt8])] {
        var state = WalkState(readSize: readSize)
        state.reservation = try await reserve(requester)
        var records: [(UInt16, [UInt8])] = []
        var seen: Set<UInt16> = []
        var recordID: UInt16 = 0x0000
        while recordID != 0xFFFF {
            // A repository whose "next record ID" chain loops would otherwise be read forever.
            guard !seen.contains(recordID) else {
                logger.warning("SDR record chain loops; stopping", metadata: ["record": "\(recordID)"])
                break
            }
            seen.insert(recordID)
            let (next, bytes) = try await readRecord(recordID, requester: requester, state: &state)
            // The first record is asked for as 0000h; key it (and the loop check) by its real ID.
            var actualID = recordID
            if bytes.count >= 2 {
                actualID = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
                seen.insert(actualID)
            }
            records.append((actualID, bytes))
            recordID = next
        }
        return records
    }

    struct WalkState {
        var readSize: Int
        var reservation: UInt16 = 0
    }

    private func reserve(_ requester: some IPMIRequester) async throws -> UInt16 {
        let response = try await requester.request(netFn: .storage, command: SensorCommand.reserveSDRRepository)
        // A repository without reservations (§33.11 is optional) is read with reservation ID 0000h.
        if response.completionCode == .invalidCommand { return 0 }
        let data = try response.requireSuccess(netFn: .storage, command: SensorCommand.reserveSDRRepository)
        guard data.count >= 2 else {
            throw SDRRepositoryError("Reserve SDR Repository response of \(data.count) bytes")
        }
        return UInt16(data[0]) | UInt16(data[1]) << 8
    }

    /// One Get SDR request; returns the next record ID and the bytes read, or the completion code.
    private func getSDR(
        _ recordID: UInt16, offset: Int, count: Int, requester: some IPMIRequester, reservation: UInt16
    ) async throws -> (CompletionCode, UInt16, [UInt8]) {
        // Request: reservation ID (LS first), record ID (LS first), offset into record, bytes to read (§33.12).
        let request: [UInt8] = [
            UInt8(reservation & 0xFF), UInt8(reservation >> 8), UInt8(recordID & 0xFF), UInt8(recordID >> 8),
            UInt8(offset), UInt8(count),
        ]
        let response = try await requester.request(netFn: .storage, command: SensorCommand.getSDR, data: request)
        guard response.completionCode == .normal else { return (response.completionCode, 0, []) }
        guard response.data.count >= 2 else {
            throw SDRRepositoryError("Get SDR response of \(response.data.count) bytes for record \(recordID)")
        }
        let next = UInt16(response.data[0]) | UInt16(response.data[1]) << 8
        return (.normal, next, Array(response.data.dropFirst(2)))
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
            while bytes.count < total {
                let wanted = min(state.readSize, total - bytes.count)
                let (code, nextID, chunk) = try await getSDR(
                    recordID, offset: bytes.count, count: wanted, requester: requester,
                    reservation: state.reservation)
                switch code {
                case .normal:
                    break
                case .reservationCancelled:
                    restarts += 1
                    guard restarts <= maximumReservationRetries else {
                        throw SDRRepositoryError("SDR reservation cancelled \(restarts) times on record \(recordID)")
                    }
                    logger.debug("SDR reservation cancelled; reserving again", metadata: ["record": "\(recordID)"])
                    state.reservation = try await reserve(requester)
                    continue restart
                case .cannotReturnRequestedBytes where wanted > minimumReadSize:
                    state.readSize = max(minimumReadSize, wanted / 2)
                    logger.debug("BMC cannot return \(wanted) SDR bytes; reading \(state.readSize) at a time")
                    continue
                default:
                    throw IPMICommandError(netFn: .storage, command: SensorCommand.getSDR, completionCode: code)
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
