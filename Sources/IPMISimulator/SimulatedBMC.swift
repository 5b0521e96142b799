import IPMI

/// One simulated BMC as a pure value: a datagram in, the datagrams to answer with out. It owns the session
/// table and the little per-BMC state (reservations, boot time, power state); everything shared lives in
/// its ``BMCProfile``. No sockets and no clocks: the caller passes the time (seconds since the Unix epoch).
public struct SimulatedBMC: Sendable {
    public let profile: BMCProfile
    /// Position in the fleet; seeds this BMC's readings, GUID and session IDs.
    public let index: Int
    let seed: UInt64
    public let guid: [UInt8]
    var sessions: [UInt32: ServerSession] = [:]
    var sdrReservation: UInt16 = 0
    var selReservation: UInt16 = 0
    /// When the BMC last booted; SDR and SEL timestamps derive from it, so a reboot changes them.
    public private(set) var bootTime: UInt32
    var selCleared = false
    var selEraseTime: UInt32 = 0
    var powerOn = true
    /// Fault: Open Session answers "insufficient resources" as if every slot were taken.
    public var sessionSlotsExhausted = false
    /// Fault: Get SDR answers 00h with no data (see ``BMCFaults/emptySDRAnswers``).
    public var emptySDRAnswers = false
    /// Fault: no SDR repository (see ``BMCFaults/noSDRRepository``).
    public var noSDRRepository = false
    /// Device SDRs offered (see ``BMCFaults/deviceSDRs``).
    public var deviceSDRs = false
    /// Fault: commands answered C1h (see ``BMCFaults/refusedCommands``).
    public var refusedCommands: [UInt8: Set<UInt8>] = [:]
    /// Get Chassis Status byte 1 bits 6:1 (see ``BMCFaults/chassisPowerFlags``).
    public var chassisPowerFlags: UInt8 = 0x20
    /// Get Chassis Status byte 3 (see ``BMCFaults/chassisMiscState``).
    public var chassisMiscState: UInt8 = 0
    /// Protocol faults of real BMCs (see ``BMCFaults/quirks``).
    public var quirks: BMCQuirks = []
    /// Get SDR requests answered so far, whatever the answer.
    public internal(set) var getSDRRequests = 0
    /// In-session requests answered with C1h (invalid command) so far: what a client asks again of a BMC that
    /// does not support it.
    public internal(set) var refusedRequests = 0
    /// What the datagram last handled asked for, by the time a BMC would spend on it (see ``BMCServiceTimes``).
    public internal(set) var lastRequestKind = BMCRequestKind.other
    let random: any RandomSource

    public init(profile: BMCProfile, index: Int, bootTime: Double, random: any RandomSource = OpenSSLRandom()) {
        self.profile = profile
        self.index = index
        self.seed = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 ^ 0x1B3C_5D7E
        var generator = SplitMix64(seed: seed)
        var guid = [UInt8]()
        for _ in 0..<2 {
            var value = generator.next()
            for _ in 0..<8 {
                guid.append(UInt8(truncatingIfNeeded: value))
                value >>= 8
            }
        }
        guid[7] = guid[7] & 0x0F | 0x40  // RFC 4122 version 4 (GUIDs are sent little-endian, section 22.14)
        guid[8] = guid[8] & 0x3F | 0x80
        self.guid = guid
        self.bootTime = UInt32(clamping: Int64(bootTime))
        self.random = random
    }

    /// Sessions in the table, including those still in their handshake.
    public var sessionCount: Int { sessions.count }

    /// A simulated reboot: the session table is wiped, the SDR repository and SEL get new timestamps and
    /// outstanding reservations are cancelled.
    public mutating func reboot(at now: Double) {
        sessions.removeAll()
        let newBoot = UInt32(clamping: Int64(now))
        bootTime = newBoot > bootTime ? newBoot : bootTime &+ 1
        sdrReservation &+= 1
        selReservation &+= 1
        powerOn = true
    }

    /// Forgets every session and nothing else, as a BMC whose IPMI service restarts does: the SDR repository, its
    /// timestamps and reservations stay as they were, and consoles find out only when their requests go unanswered.
    public mutating func loseSessions() {
        sessions.removeAll()
    }

    /// Handles one datagram received at `now`; returns the datagrams to send back (usually one, none for
    /// anything malformed, unauthenticated or unknown, two for a tracked Send Message).
    public mutating func handle(_ datagram: [UInt8], at now: Double) -> [[UInt8]] {
        expireIdleSessions(now: now)
        lastRequestKind = .other
        guard datagram.count >= 5, datagram[0] == RMCPHeader.version, datagram[3] & 0x1F == RMCPHeader.classIPMI,
            datagram[3] & 0x80 == 0
        else { return [] }
        switch datagram[4] {
        case AuthType.none:
            guard let packet = try? IPMI15Packet.decode(datagram) else { return [] }
            if packet.sessionID != 0 { return handleIPMI15(packet, now: now) }
            lastRequestKind = .sessionless
            guard let request = try? IPMIRequestMessage.decode(packet.message) else { return [] }
            if request.netFn == .app, request.command == AppCommand.getSessionChallenge {
                return sessionChallenge(request, now: now)
            }
            guard let response = preSessionResponse(to: request) else { return [] }
            return [IPMI15Packet(message: response.encode()).encode()]
        case AuthType.rmcpPlus:
            guard datagram.count >= RMCPPlusPacket.payloadOffset else { return [] }
            let payloadType = PayloadType(rawValue: datagram[5])
            if payloadType == .openSessionRequest || payloadType == .rakp1 || payloadType == .rakp3 {
                lastRequestKind = .sessionSetup
            }
            switch payloadType {
            case .openSessionRequest: return handleOpenSession(datagram, now: now)
            case .rakp1: return handleRAKP1(datagram, now: now)
            case .rakp3: return handleRAKP3(datagram, now: now)
            case .ipmi:
                let sessionID =
                    UInt32(datagram[6]) | UInt32(datagram[7]) << 8 | UInt32(datagram[8]) << 16
                    | UInt32(datagram[9]) << 24
                if sessionID == 0 {
                    lastRequestKind = .sessionless
                    return handlePreSessionRMCPPlus(datagram)
                }
                return handleInSession(datagram, sessionID: sessionID, now: now)
            default: return []
            }
        default:
            // IPMI v1.5 session packets with an AuthCode (MD5, straight password).
            guard let packet = try? IPMI15Packet.decode(datagram), packet.sessionID != 0 else { return [] }
            return handleIPMI15(packet, now: now)
        }
    }

    // MARK: session table

    mutating func expireIdleSessions(now: Double) {
        guard !sessions.isEmpty else { return }
        let timeout = profile.sessionTimeout
        // Handshakes that stall hold a slot for at most 10 s (clients retry within a few seconds).
        sessions = sessions.filter { _, session in
            let limit = session.phase == .active ? timeout : min(timeout, 10)
            return now - session.lastActivity <= limit
        }
    }

    /// A random unused session ID; after a few collisions (only a weak or scripted RandomSource produces them)
    /// the lowest free one, so the loop is bounded by the size of the session table.
    mutating func allocateSessionID() -> UInt32 {
        for _ in 0..<8 {
            let bytes = random.bytes(4)
            let id = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
            if id != 0, sessions[id] == nil { return id }
        }
        var id: UInt32 = 1
        while sessions[id] != nil { id &+= 1 }
        return id
    }

    // MARK: session-less requests

    /// Only what a console needs before a session exists (IPMI v2.0 section 13.14, table 13-2... and 22.13).
    func preSessionResponse(to request: IPMIRequestMessage) -> IPMIResponseMessage? {
        guard request.netFn == .app else { return nil }
        let (code, data): (CompletionCode, [UInt8])
        switch request.command {
        case AppCommand.getChannelAuthenticationCapabilities: (code, data) = authenticationCapabilities(request.data)
        case AppCommand.getChannelCipherSuites: (code, data) = cipherSuitesPage(request.data)
        case GetSystemGUIDRequest.command: (code, data) = (.normal, GetSystemGUIDResponse(guid: guid).encode())
        default: return nil
        }
        return response(to: request, code: code, data: data)
    }

    /// Pre-session requests may also come as unauthenticated RMCP+ packets with session ID 0.
    func handlePreSessionRMCPPlus(_ datagram: [UInt8]) -> [[UInt8]] {
        guard let (packet, _) = try? RMCPPlusPacket.decode(datagram), !packet.isAuthenticated, !packet.isEncrypted,
            let request = try? IPMIRequestMessage.decode(packet.payload),
            let response = preSessionResponse(to: request)
        else { return [] }
        return [RMCPPlusPacket(payloadType: .ipmi, payload: response.encode()).encode()]
    }

    func response(to request: IPMIRequestMessage, code: CompletionCode, data: [UInt8]) -> IPMIResponseMessage {
        IPMIResponseMessage(
            requesterAddress: request.requesterAddress, netFnCode: request.netFn.response,
            requesterLUN: request.requesterLUN, responderAddress: request.responderAddress, rqSeq: request.rqSeq,
            responderLUN: request.responderLUN, command: request.command, completionCode: code, data: data)
    }

    /// Get Channel Authentication Capabilities response (IPMI v2.0 section 22.13, table 22-15): channel 1,
    /// extended capabilities present, IPMI v1.5 MD5 and straight password authentication, non-null user names,
    /// IPMI v1.5 and v2.0 supported.
    func authenticationCapabilities(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard data.count >= 2 else { return (.requestDataLengthInvalid, []) }
        let channel = data[0] & 0x0F
        guard channel == 0x0E || channel == 0x01 else { return (.invalidDataField, []) }
        // Byte 3 (IPMI v2.0 §22.13): non-null user names enabled (bit 2). The `authcap` quirk misreports it: no kind
        // of user name enabled, and K_g set (bit 5), though the BMC logs in "admin" with the user key all the same.
        var loginStatus: UInt8 = quirks.contains(.authcap) ? 0x20 : 0x04
        // Bit 4: per-message authentication disabled, as the `forcepermsg` and `unexpectedauth` BMCs say.
        if ipmi15PerMessageAuthenticationDisabled { loginStatus |= 0x10 }
        let types = IPMI15AuthenticationType.md5.supportBit | IPMI15AuthenticationType.straightPassword.supportBit
        return (.normal, [0x01, 0x80 | types, loginStatus, 0x03, 0x00, 0x00, 0x00, 0x00])
    }

    /// Get Channel Cipher Suites (IPMI v2.0 section 22.15): the channel, then up to 16 bytes of the record
    /// list starting at 16 × list index.
    func cipherSuitesPage(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard data.count >= 3 else { return (.requestDataLengthInvalid, []) }
        guard data[1] & 0x3F == PayloadType.ipmi.rawValue else { return (.normal, [0x01]) }
        var records: [UInt8] = []
        for suite in profile.cipherSuites {
            records += [
                0xC0, suite.id ?? 0, suite.authentication.rawValue, 0x40 | suite.integrity.rawValue,
                0x80 | suite.confidentiality.rawValue,
            ]
        }
        let start = Int(data[2] & 0x3F) * 16
        guard start <= records.count else { return (.normal, [0x01]) }
        return (.normal, [0x01] + records[start..<min(records.count, start + 16)])
    }
}
