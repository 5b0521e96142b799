import IPMI

/// One entry of a simulated BMC's session table (IPMI v2.0 section 13.15): from Open Session until Close
/// Session or the idle timeout.
struct ServerSession: Sendable {
    enum Phase: Sendable {
        /// Open Session answered, RAKP 1 expected.
        case opened
        /// RAKP 2 sent, RAKP 3 expected.
        case rakp2Sent
        /// RAKP 4 sent: the session is active.
        case active
    }

    var phase: Phase
    let managedSessionID: UInt32
    let consoleSessionID: UInt32
    let messageTag: UInt8
    let suite: CipherSuite
    /// The privilege limit asked for in Open Session (0 = highest available).
    let requestedPrivilege: UInt8
    var lastActivity: Double
    var userIndex: Int = 0
    /// The session's privilege limit (lower of RAKP 1 role and user limit) and the level now in effect.
    var maximumPrivilege: PrivilegeLevel = .user
    var privilege: PrivilegeLevel = .user
    var exchange: RAKPExchange?
    var crypto: SessionCrypto?
    var outboundSequence: UInt32 = 0
    /// The last handshake answer, sent again when the console retransmits the same request.
    var lastHandshakeRequest: [UInt8] = []
    var lastHandshakeResponse: [UInt8] = []
    /// Set for an IPMI v1.5 session (``SimulatedBMC/handleIPMI15(_:now:)``).
    var legacy: LegacySession?

    mutating func nextSequenceNumber() -> UInt32 {
        outboundSequence = outboundSequence == UInt32.max ? 1 : outboundSequence + 1
        return outboundSequence
    }
}

/// RMCP+ status codes of Open Session and RAKP messages (IPMI v2.0 section 13.24, table 13-15).
enum RMCPPlusStatus {
    static let noError: UInt8 = 0x00
    static let insufficientResources: UInt8 = 0x01
    static let invalidSessionID: UInt8 = 0x02
    static let invalidRole: UInt8 = 0x09
    static let unauthorizedRole: UInt8 = 0x0A
    static let unauthorizedName: UInt8 = 0x0D
    static let invalidIntegrityCheckValue: UInt8 = 0x0F
    static let noMatchingCipherSuite: UInt8 = 0x11
}

/// Compares MACs in time independent of where they differ.
func macEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}
