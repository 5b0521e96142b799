/// How far a read of one SDR repository got, so that an attempt cut short (a lost session, a lost answer, a
/// deadline) resumes where it stopped instead of at record 0000h.
///
/// It holds the records read so far, the record to read next and the reservation it was read under, and is valid
/// only for the repository it was read from: ``SDRRepositoryReader/read(from:resuming:)`` starts over when Get SDR
/// Repository Info shows another addition or erase timestamp or record count (IPMI v2.0 §33.9: the BMC updates the
/// timestamps on every change). A stale reservation needs no check of its own: the BMC answers C5h (reservation
/// cancelled) and the reader reserves again (§33.11).
public struct SDRDownloadProgress: Sendable {
    /// The repository the records were read from; nil before any attempt.
    public internal(set) var info: SDRRepositoryInfo?
    /// Records read so far, in repository order, with the ID each was read as.
    public internal(set) var records: [(UInt16, [UInt8])] = []
    /// The record to read next; FFFFh once the walk is done.
    public internal(set) var nextRecordID: UInt16 = 0x0000
    /// Record IDs already read, so a chain that loops is noticed across attempts too.
    var seen: Set<UInt16> = []
    var reservation: UInt16?
    /// What the walk learned about the BMC (chunk size, whole-record reads), so a resumed walk does not learn it
    /// again with a refused request.
    var readSize: Int?
    var wholeRecords: Bool?

    public init() {}

    /// Whether the records read so far come from the repository `info` describes.
    func matches(_ info: SDRRepositoryInfo) -> Bool {
        guard let known = self.info else { return false }
        return known.additionTimestamp == info.additionTimestamp && known.eraseTimestamp == info.eraseTimestamp
            && known.recordCount == info.recordCount
    }
}
