import IPMI

/// What an IPMI v1.5 session adds to a session table entry (IPMI v2.0 sections 22.16–22.17).
struct LegacySession: Sendable {
    var authType: IPMI15AuthenticationType
    var challenge: [UInt8]
    /// The session sequence number of the BMC's next answer: from the console's initial outbound one on.
    var outboundSequence: UInt32 = 0
}

/// The BMC side of IPMI v1.5 sessions, kept small: Get Session Challenge, Activate Session, then requests in v1.5
/// framing handled as in RMCP+ sessions (``execute(_:in:now:)``), with the 1.5 quirks FreeIPMI works around. Built on
/// the client's pure codecs (``IPMI15Packet``, ``IPMI15AuthenticationType/authCode(password:sessionID:message:sequence:)``).
extension SimulatedBMC {
    /// The `forcepermsg` and `unexpectedauth` BMCs say per-message authentication is disabled.
    var ipmi15PerMessageAuthenticationDisabled: Bool {
        quirks.contains(.forcepermsg) || quirks.contains(.unexpectedauth)
    }

    /// Get Session Challenge (section 22.16): a temporary session for a known user and a supported type.
    mutating func sessionChallenge(_ request: IPMIRequestMessage, now: Double) -> [[UInt8]] {
        func answer(_ code: CompletionCode, _ data: [UInt8] = []) -> [[UInt8]] {
            [IPMI15Packet(message: response(to: request, code: code, data: data).encode()).encode()]
        }
        guard request.data.count >= 17 else { return answer(.requestDataLengthInvalid) }
        guard let type = IPMI15AuthenticationType(rawValue: request.data[0]), type == .md5 || type == .straightPassword
        else { return answer(.invalidDataField) }
        let name = Array(request.data[1..<17].prefix { $0 != 0 })
        // 81h: invalid user name.
        guard let userIndex = profile.users.firstIndex(where: { Array($0.name.utf8) == name }) else {
            return answer(CompletionCode(rawValue: 0x81))
        }
        guard !sessionSlotsExhausted, sessions.count < profile.sessionSlots else { return answer(.outOfSpace) }
        let temporaryID = allocateSessionID()
        let challenge = random.bytes(16)
        var session = ServerSession(
            phase: .opened, managedSessionID: temporaryID, consoleSessionID: 0, messageTag: 0,
            suite: CipherSuite(authentication: .none, integrity: .none, confidentiality: .none),
            requestedPrivilege: 0, lastActivity: now)
        session.userIndex = userIndex
        session.legacy = LegacySession(authType: type, challenge: challenge)
        sessions[temporaryID] = session
        lastRequestKind = .sessionSetup
        return answer(.normal, GetSessionChallenge(temporarySessionID: temporaryID, challenge: challenge).responseData)
    }

    /// A v1.5 packet under a session ID: Activate Session for a temporary session, any request for an active one.
    /// Requests carry the session's AuthCode, or none when per-message authentication is off (the `forcepermsg`
    /// BMC says it is but drops them).
    mutating func handleIPMI15(_ packet: IPMI15Packet, now: Double) -> [[UInt8]] {
        guard var session = sessions[packet.sessionID], var legacy = session.legacy,
            let request = try? IPMIRequestMessage.decode(packet.message)
        else { return [] }
        let password = profile.users[session.userIndex].password
        if packet.authType == AuthType.none {
            guard session.phase == .active, ipmi15PerMessageAuthenticationDisabled, !quirks.contains(.forcepermsg)
            else { return [] }
        } else {
            guard packet.authType == legacy.authType.rawValue,
                let expected = legacy.authType.authCode(
                    password: password, sessionID: packet.sessionID, message: packet.message,
                    sequence: packet.sessionSequence),
                macEqual(expected, packet.authCode)
            else { return [] }
        }
        guard session.phase == .active else {
            return activateSession(request, packet: packet, session: session, legacy: legacy, now: now)
        }
        session.lastActivity = now
        lastRequestKind = BMCRequestKind(netFn: request.netFn, command: request.command)
        let (messages, closing) = execute(request, in: &session, now: now)
        let datagrams = messages.map {
            seal15(
                $0, sessionID: session.managedSessionID, requestAuthType: packet.authType, legacy: &legacy,
                password: password)
        }
        session.legacy = legacy
        sessions[packet.sessionID] = session
        if let closing { sessions[closing] = nil }
        return datagrams
    }

    /// Activate Session (section 22.17): the challenge must be the one given; the session gets its ID and starts at
    /// User level (or its lower limit). The answer comes under the temporary ID, numbered from the console's initial
    /// outbound sequence number, as ipmi_sim does.
    private mutating func activateSession(
        _ request: IPMIRequestMessage, packet: IPMI15Packet, session: ServerSession, legacy: LegacySession,
        now: Double
    ) -> [[UInt8]] {
        guard request.netFn == .app, request.command == AppCommand.activateSession, request.data.count >= 22,
            Array(request.data[2..<18]) == legacy.challenge
        else { return [] }
        lastRequestKind = .sessionSetup
        var legacy = legacy
        let password = profile.users[session.userIndex].password
        legacy.outboundSequence =
            UInt32(request.data[18]) | UInt32(request.data[19]) << 8 | UInt32(request.data[20]) << 16
            | UInt32(request.data[21]) << 24
        let user = profile.users[session.userIndex]
        guard let requested = PrivilegeLevel(rawValue: request.data[1] & 0x0F),
            requested.rawValue <= user.maximumPrivilege.rawValue
        else {
            // 86h: the requested maximum privilege exceeds the user's limit.
            let refusal = response(to: request, code: CompletionCode(rawValue: 0x86), data: [])
            return [
                seal15(
                    refusal, sessionID: packet.sessionID, requestAuthType: packet.authType, legacy: &legacy,
                    password: password)
            ]
        }
        let id = allocateSessionID()
        let inbound = random.bytes(4)
        let first = UInt32(inbound[0]) | UInt32(inbound[1]) << 8 | UInt32(inbound[2]) << 16 | UInt32(inbound[3]) << 24
        let data = ActivateSession.responseData(
            authType: legacy.authType.rawValue, sessionID: id, initialInboundSequence: first == 0 ? 1 : first,
            maximumPrivilege: requested.rawValue)
        let answer = seal15(
            response(to: request, code: .normal, data: data), sessionID: packet.sessionID,
            requestAuthType: packet.authType, legacy: &legacy, password: password)
        var active = ServerSession(
            phase: .active, managedSessionID: id, consoleSessionID: 0, messageTag: 0, suite: session.suite,
            requestedPrivilege: requested.rawValue, lastActivity: now)
        active.userIndex = session.userIndex
        active.maximumPrivilege = requested
        active.privilege = requested.rawValue < PrivilegeLevel.user.rawValue ? requested : .user
        active.legacy = legacy
        sessions[packet.sessionID] = nil
        sessions[id] = active
        return [answer]
    }

    /// An answer in v1.5 framing, with the quirks: the `unexpectedauth` BMC authenticates every answer, the `idzero`
    /// one writes session ID 0, the `endianseq` one the sequence number big-endian, the `noauthcodecheck` one a wrong
    /// AuthCode.
    private func seal15(
        _ message: IPMIResponseMessage, sessionID: UInt32, requestAuthType: UInt8, legacy: inout LegacySession,
        password: [UInt8]
    ) -> [UInt8] {
        let type = quirks.contains(.unexpectedauth) ? legacy.authType.rawValue : requestAuthType
        let sequence = legacy.outboundSequence
        legacy.outboundSequence = sequence == UInt32.max ? 1 : sequence + 1
        let headerSequence = quirks.contains(.endianseq) ? sequence.byteSwapped : sequence
        let headerID = quirks.contains(.idzero) ? 0 : sessionID
        let bytes = message.encode()
        var code =
            IPMI15AuthenticationType(rawValue: type)?.authCode(
                password: password, sessionID: headerID, message: bytes, sequence: headerSequence) ?? []
        if quirks.contains(.noauthcodecheck), !code.isEmpty { code[0] ^= 0xFF }
        return IPMI15Packet(
            authType: type, sessionSequence: headerSequence, sessionID: headerID, authCode: code, message: bytes
        ).encode()
    }
}
