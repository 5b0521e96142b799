/// What the transport should do after feeding an event to ``SessionStateMachine``.
public enum SessionAction: Sendable {
    /// Transmit this handshake packet (the transport adds timeout and retry).
    case send([UInt8])
    /// The session is ready for requests.
    case established(NegotiatedSession)
    /// An in-session response (bridged ones already unwrapped), matched to the request with this rqSeq.
    case response(rqSeq: UInt8, netFn: NetFn, command: UInt8, IPMIResponse)
    /// The handshake failed; the session is unusable.
    case failed(IPMIError)
    /// The datagram was ignored; count it.
    case dropped(DropReason)
    /// Nothing to do (e.g. a bridged request's intermediate Send Message acknowledgement).
    case none
}

/// The client side of an RMCP+ session as a pure state machine (IPMI v2.0 section 13.15): datagrams in,
/// actions out, no sockets, no clocks.
///
/// Handshake: Get Channel Authentication Capabilities (IPMI v1.5 packet, no session) → Get Channel Cipher
/// Suites pages when no suite is configured → Open Session → RAKP 1/2 → RAKP 3/4 → Set Session Privilege
/// Level inside the session → ``SessionAction/established(_:)``.
///
/// Random bytes are drawn in this order: 1 (first rqSeq) and 1 (message tag) in ``start()``, 16 (Rm)
/// when RAKP 1 is built, then 16 (AES IV) for each encrypted packet.
///
/// With ``SessionConfiguration/ipmi15`` the session is an IPMI v1.5 one instead (see `SessionStateMachine+IPMI15`):
/// capabilities → Get Session Challenge → Activate Session → Set Session Privilege Level, then the same request
/// bookkeeping in v1.5 framing.
public struct SessionStateMachine: Sendable {
    enum Phase: Sendable {
        case idle
        case authenticationCapabilities
        /// IPMI v1.5: Get Session Challenge, then Activate Session.
        case challenge
        case activate
        case cipherSuites(listIndex: UInt8, records: [UInt8])
        case openSession
        case rakp2
        case rakp4
        case privilege
        case established
        case closed
        case failed
    }

    public let configuration: SessionConfiguration
    let random: any RandomSource
    var phase: Phase = .idle
    var lastHandshakePacket: [UInt8]?
    private var messageTag: UInt8 = 0
    private var nextRqSeqValue: UInt8 = 0
    var handshakeRqSeq: UInt8 = 0
    private var suite: CipherSuite?
    private var offeredSuites: [CipherSuite] = []
    /// Suites to offer in turn when the BMC refuses the one in Open Session, after Get Channel Cipher Suites failed.
    private var fallbackSuites: [CipherSuite] = []
    /// Why the suite was not negotiated from the BMC's list, when it was not.
    public private(set) var negotiationFallback: String?
    var reportedMaximumPrivilege: UInt8 = 0
    var managedSessionID: UInt32 = 0
    /// The IPMI v1.5 session's framing, from the Get Session Challenge answer on; nil for RMCP+.
    var legacy: IPMI15Session?
    /// IPMI v1.5: the BMC said per-message authentication is disabled, so requests go without AuthCode.
    var perMessageAuthenticationDisabled = false
    private var exchange: RAKPExchange?
    private var crypto: SessionCrypto?
    private var outboundSequence: UInt32 = 0
    private var inboundWindow = SequenceWindow()
    /// Requests awaiting a response, indexed by their 6-bit rqSeq (a fixed table: no hashing per packet).
    private var outstanding = RqSeqTable<Outstanding>()
    /// The netFn and command last sent under each rqSeq, for ``hold(rqSeq:until:)``.
    private var lastUse = RqSeqTable<RqSeqHold.Use>()
    /// rqSeqs an answer may still arrive under although their request is over: see ``hold(rqSeq:until:)``. One flat
    /// list for the session rather than a list per rqSeq: a session holds at most a few dozen at once (its first
    /// answers, or after a stray) and none most of the time, and thousands of sessions would otherwise each keep
    /// dozens of small arrays until their rqSeqs come round again.
    private var holds: [RqSeqHold] = []
    /// When the hold of the last answer dropped as ``DropReason/late`` ends (or ended): how close a late answer came
    /// to its hold's end tells the caller whether its holds are long enough.
    public private(set) var lastLateAnswerHoldEnd: UInt64?
    public internal(set) var negotiated: NegotiatedSession?

    public init(configuration: SessionConfiguration, random: any RandomSource = OpenSSLRandom()) {
        self.configuration = configuration
        self.random = random
        checksChecksums = !configuration.workarounds.contains(.noChecksumCheck)
    }

    /// False with `nochecksumcheck`: read once here, not per packet.
    private let checksChecksums: Bool
    /// In-session answers that were authentic but failed their IPMI checksums: a BMC for `nochecksumcheck`.
    private var checksumFailures = 0

    /// True from ``SessionAction/established(_:)`` until ``encodeClose()``.
    public var isEstablished: Bool {
        if case .established = phase { return true }
        return false
    }

    /// True while the handshake is in progress (a retransmission timer should run).
    public var isHandshaking: Bool {
        switch phase {
        case .authenticationCapabilities, .challenge, .activate, .cipherSuites, .openSession, .rakp2, .rakp4,
            .privilege:
            true
        default: false
        }
    }

    /// Number of requests sent and not yet answered.
    public var outstandingRequestCount: Int { outstanding.count }

    /// When the earliest hold still running at `now` ends (the scale of
    /// ``encodeRequest(netFn:command:data:lun:bridge:now:)``); nil when none is. A request refused for want of a free
    /// rqSeq can be tried again then; with none, what blocks it is requests on the wire, whose ends free their rqSeqs.
    public func earliestHoldEnd(after now: UInt64) -> UInt64? {
        holds.lazy.map(\.until).filter { $0 > now }.min()
    }

    // MARK: handshake

    /// Starts the handshake: returns the first packet to send, or `.failed` for a configuration that can
    /// never work.
    public mutating func start() -> SessionAction {
        guard case .idle = phase else { return .none }
        if let suite = configuration.cipherSuite {
            guard suite.isConsistent else {
                return fail(.unsupportedCipherSuite("\(suite) has integrity or encryption without authentication"))
            }
            guard !suite.isUnauthenticated || configuration.allowUnauthenticated else {
                return fail(
                    .unsupportedCipherSuite("\(suite) has no authentication; it is refused unless explicitly allowed"))
            }
        }
        guard configuration.consoleSessionID != 0 else {
            return fail(.invalidArgument("the remote console session ID must not be 0"))
        }
        let seeds = random.bytes(2) + [0, 0]
        nextRqSeqValue = seeds[0] & 0x3F
        messageTag = seeds[1]
        phase = .authenticationCapabilities
        // ipmitool -I lan and FreeIPMI -D LAN ask for the IPMI v1.5 form, without the v2.0 extended data.
        let request = GetChannelAuthenticationCapabilitiesRequest(
            privilege: configuration.privilege, requestExtended: configuration.ipmi15 == nil)
        return sendHandshake(
            preSessionPacket(command: AppCommand.getChannelAuthenticationCapabilities, data: request.data))
    }

    /// The handshake packet to send again after a timeout, or `.none` outside the handshake.
    public mutating func retransmit() -> SessionAction {
        guard isHandshaking, let packet = lastHandshakePacket else { return .none }
        return .send(packet)
    }

    /// Feeds one datagram from the BMC, during the handshake and once established.
    public mutating func receive(_ datagram: [UInt8]) -> SessionAction {
        switch phase {
        case .idle, .closed, .failed:
            // A closed session still matches responses (e.g. to Close Session itself).
            if case .closed = phase, crypto != nil || legacy != nil { return receiveInSession(datagram) }
            return .dropped(.notExpected)
        case .authenticationCapabilities:
            return receiveAuthenticationCapabilities(datagram)
        case .challenge:
            return receiveSessionChallenge(datagram)
        case .activate:
            return receiveActivateSession(datagram)
        case .cipherSuites(let index, let records):
            return receiveCipherSuites(datagram, listIndex: index, records: records)
        case .openSession:
            return receiveOpenSessionResponse(datagram)
        case .rakp2:
            return receiveRAKP2(datagram)
        case .rakp4:
            return receiveRAKP4(datagram)
        case .privilege:
            return receivePrivilegeResponse(datagram)
        case .established:
            return receiveInSession(datagram)
        }
    }

    mutating func fail(_ error: IPMIError) -> SessionAction {
        phase = .failed
        lastHandshakePacket = nil
        return .failed(error)
    }

    mutating func sendHandshake(_ packet: [UInt8]) -> SessionAction {
        lastHandshakePacket = packet
        return .send(packet)
    }

    /// The next rqSeq in turn that no request is waiting under and that is not held for `use` at `now` (a hold
    /// for another command does not matter: a late answer under it would not match the new request's command).
    /// Without `use`, holds are ignored.
    mutating func allocateRqSeq(for use: RqSeqHold.Use? = nil, now: UInt64 = 0) -> UInt8? {
        for _ in 0..<64 {
            let candidate = nextRqSeqValue
            nextRqSeqValue = (nextRqSeqValue &+ 1) & 0x3F
            guard outstanding[candidate] == nil else { continue }
            guard let use, !holds.isEmpty else { return candidate }
            dropEndedHolds(now: now)
            if !holds.contains(where: { $0.rqSeq == candidate && $0.use == use }) { return candidate }
        }
        return nil
    }

    mutating func preSessionPacket(command: UInt8, data: [UInt8]) -> [UInt8] {
        handshakeRqSeq = allocateRqSeq() ?? 0
        let message = IPMIRequestMessage(netFn: .app, rqSeq: handshakeRqSeq, command: command, data: data)
        return IPMI15Packet(message: message.encode()).encode()
    }

    /// Decodes a pre-session response to our pending App command. The request went out in IPMI v1.5 framing with
    /// no authentication; most BMCs answer in the same framing, some in RMCP+ framing (authentication type 06h,
    /// payload type IPMI, session ID 0, neither authenticated nor encrypted: IPMI v2.0 section 13.6 allows both
    /// outside a session). Either is accepted here, before a session exists only.
    func preSessionResponse(_ datagram: [UInt8], command: UInt8) -> Result<IPMIResponseMessage, DropReason> {
        guard let bytes = Self.sessionlessMessage(datagram), let message = try? IPMIResponseMessage.decode(bytes)
        else { return .failure(.malformed) }
        guard message.netFnCode == NetFn.app.response, message.command == command, message.rqSeq == handshakeRqSeq
        else { return .failure(.unmatchedResponse) }
        return .success(message)
    }

    /// The IPMI message of a sessionless packet in either framing, or nil.
    private static func sessionlessMessage(_ datagram: [UInt8]) -> [UInt8]? {
        guard datagram.count > 4 else { return nil }
        if datagram[4] == AuthType.rmcpPlus {
            guard let (packet, _) = try? RMCPPlusPacket.decode(datagram), packet.payloadType == .ipmi,
                packet.sessionID == 0, !packet.isAuthenticated, !packet.isEncrypted
            else { return nil }
            return packet.payload
        }
        guard let packet = try? IPMI15Packet.decode(datagram), packet.sessionID == 0, packet.authType == AuthType.none
        else { return nil }
        return packet.message
    }

    private mutating func receiveAuthenticationCapabilities(_ datagram: [UInt8]) -> SessionAction {
        let message: IPMIResponseMessage
        switch preSessionResponse(datagram, command: AppCommand.getChannelAuthenticationCapabilities) {
        case .failure(let reason): return .dropped(reason)
        case .success(let m): message = m
        }
        if configuration.ipmi15 != nil { return receiveIPMI15Capabilities(message) }
        // A BMC that answers with an error or short data may still speak RMCP+; Open Session will tell. With
        // `authcap` the answer is advisory altogether: some BMCs misreport their capabilities (ipmi-sensors(8)).
        if !configuration.workarounds.contains(.authenticationCapabilities), message.completionCode == .normal,
            let capabilities = try? GetChannelAuthenticationCapabilitiesResponse(data: message.data),
            !capabilities.supportsIPMIv2
        {
            return fail(
                .unsupportedCipherSuite(
                    "Get Channel Authentication Capabilities says the BMC does not support IPMI v2.0 (RMCP+) sessions"
                        + SessionWorkarounds.hint([.authenticationCapabilities], unless: [])))
        }
        if configuration.cipherSuite != nil { return sendOpenSession() }
        return requestCipherSuitePage(0, records: [])
    }

    private mutating func requestCipherSuitePage(_ index: UInt8, records: [UInt8]) -> SessionAction {
        phase = .cipherSuites(listIndex: index, records: records)
        let request = GetChannelCipherSuitesRequest(listIndex: index)
        return sendHandshake(preSessionPacket(command: AppCommand.getChannelCipherSuites, data: request.data))
    }

    private mutating func receiveCipherSuites(
        _ datagram: [UInt8], listIndex: UInt8, records: [UInt8]
    )
        -> SessionAction
    {
        let message: IPMIResponseMessage
        switch preSessionResponse(datagram, command: AppCommand.getChannelCipherSuites) {
        case .failure(let reason): return .dropped(reason)
        case .success(let m): message = m
        }
        guard message.completionCode == .normal,
            let page = try? GetChannelCipherSuitesRequest.records(inResponse: message.data)
        else {
            guard records.isEmpty else { return chooseSuite(from: CipherSuite.parseRecords(records)) }
            let reason =
                message.completionCode == .normal
                ? "an unreadable Get Channel Cipher Suites answer"
                : "Get Channel Cipher Suites: \(message.completionCode)"
            return fallBackToCommonSuites(because: reason)
        }
        let all = records + page
        if page.count >= GetChannelCipherSuitesRequest.recordBytesPerPage && listIndex < 0x3F {
            return requestCipherSuitePage(listIndex + 1, records: all)
        }
        let offered = CipherSuite.parseRecords(all)
        offeredSuites = offered
        return chooseSuite(from: offered)
    }

    /// Without the BMC's list, offers suite 17 and then suite 3 in Open Session, as ipmitool does: 3 is the suite every
    /// IPMI v2.0 BMC must support (IPMI v2.0 section 22.15.2), 17 the strongest of the common ones.
    private mutating func fallBackToCommonSuites(because reason: String) -> SessionAction {
        negotiationFallback = reason
        offeredSuites = []
        fallbackSuites = [CipherSuite.suite17, CipherSuite.suite3]
        suite = fallbackSuites.removeFirst()
        return sendOpenSession()
    }

    /// A handshake step that went unanswered through every retransmission: while the cipher suites are asked for,
    /// the handshake goes on without them (``fallBackToCommonSuites(because:)``); nil in any other step.
    public mutating func stepTimedOut() -> SessionAction? {
        if let failure = ipmi15StepTimedOut() { return failure }
        if case .privilege = phase, checksumFailures > 0 {
            return fail(
                .malformed(
                    "the BMC's answers inside the session fail their IPMI checksums (\(checksumFailures) dropped)"
                        + SessionWorkarounds.hint([.noChecksumCheck], unless: configuration.workarounds)))
        }
        guard case .cipherSuites = phase else { return nil }
        return fallBackToCommonSuites(because: "Get Channel Cipher Suites went unanswered")
    }

    private mutating func chooseSuite(from offered: [CipherSuite]) -> SessionAction {
        guard
            let chosen = CipherSuite.strongest(
                supportedBy: offered, allowUnauthenticated: configuration.allowUnauthenticated)
        else {
            let ids = offered.map { $0.id.map { String($0) } ?? "oem" }.joined(separator: ", ")
            return fail(.unsupportedCipherSuite("the BMC offers suites [\(ids)], none of which this client accepts"))
        }
        suite = chosen
        return sendOpenSession()
    }

    private mutating func sendOpenSession() -> SessionAction {
        if suite == nil { suite = configuration.cipherSuite }
        guard let suite else { return fail(.unsupportedCipherSuite("no cipher suite")) }
        phase = .openSession
        let request = OpenSessionRequest(
            messageTag: messageTag, requestedPrivilege: configuration.privilege.rawValue,
            consoleSessionID: configuration.consoleSessionID, cipherSuite: suite)
        return sendHandshake(RMCPPlusPacket(payloadType: .openSessionRequest, payload: request.encode()).encode())
    }

    /// Decodes an unauthenticated session-setup packet of the expected payload type.
    private func setupPayload(_ datagram: [UInt8], type: PayloadType) -> Result<[UInt8], DropReason> {
        guard let (packet, _) = try? RMCPPlusPacket.decode(datagram) else { return .failure(.malformed) }
        guard packet.payloadType == type, !packet.isEncrypted, !packet.isAuthenticated else {
            return .failure(.unexpectedPayload)
        }
        return .success(packet.payload)
    }

    private mutating func receiveOpenSessionResponse(_ datagram: [UInt8]) -> SessionAction {
        let response: OpenSessionResponse
        switch setupPayload(datagram, type: .openSessionResponse) {
        case .failure(let reason): return .dropped(reason)
        case .success(let payload):
            guard let r = try? OpenSessionResponse.decode(payload) else { return .dropped(.malformed) }
            response = r
        }
        guard response.messageTag == messageTag else { return .dropped(.wrongMessageTag) }
        // A refusal that stops before the session ID (ID 0) is matched by the message tag alone.
        guard
            response.consoleSessionID == configuration.consoleSessionID
                || (response.status != 0 && response.consoleSessionID == 0)
        else { return .dropped(.wrongSessionID) }
        guard response.status == 0 else {
            // Invalid authentication / integrity / confidentiality algorithm, or no matching suite.
            if [0x04, 0x05, 0x10, 0x11].contains(response.status), let suite {
                if !fallbackSuites.isEmpty {
                    negotiationFallback = (negotiationFallback ?? "") + "; the BMC refused \(suite)"
                    self.suite = fallbackSuites.removeFirst()
                    messageTag &+= 1
                    return sendOpenSession()
                }
                return fail(
                    .unsupportedCipherSuite(
                        "the BMC refused \(suite): status 0x" + hex2(response.status) + " ("
                            + RAKPStatus.name(of: response.status) + ")"))
            }
            return fail(.rakpStatus(response.status, step: "Open Session"))
        }
        guard let suite, let granted = response.cipherSuite, granted.sameAlgorithms(as: suite) else {
            return fail(.unsupportedCipherSuite("the BMC answered Open Session with other algorithms than requested"))
        }
        guard response.managedSessionID != 0 else { return .dropped(.malformed) }
        // Known quirk: the maximum privilege is often 0 here (ipmi_sim, many BMCs); the level actually in
        // effect comes from Set Session Privilege Level, so any value is accepted.
        reportedMaximumPrivilege = response.maximumPrivilege
        managedSessionID = response.managedSessionID
        let consoleRandom = random.bytes(16)
        let role = configuration.privilege.rawValue | RAKPMessage1.nameOnlyLookup
        let username = rakpUsername
        exchange = RAKPExchange(
            authentication: suite.authentication, consoleSessionID: configuration.consoleSessionID,
            managedSessionID: managedSessionID, consoleRandom: consoleRandom, managedRandom: [], managedGUID: [],
            role: role, username: username)
        let rakp1 = RAKPMessage1(
            messageTag: messageTag, managedSessionID: managedSessionID, consoleRandom: consoleRandom, role: role,
            username: username)
        phase = .rakp2
        return sendHandshake(RMCPPlusPacket(payloadType: .rakp1, payload: rakp1.encode()).encode())
    }

    private mutating func receiveRAKP2(_ datagram: [UInt8]) -> SessionAction {
        let message: RAKPMessage2
        switch setupPayload(datagram, type: .rakp2) {
        case .failure(let reason): return .dropped(reason)
        case .success(let payload):
            guard let m = try? RAKPMessage2.decode(payload) else { return .dropped(.malformed) }
            message = m
        }
        guard message.messageTag == messageTag else { return .dropped(.wrongMessageTag) }
        // A refusal that stops before the session ID (ID 0) is matched by the message tag alone.
        guard
            message.consoleSessionID == configuration.consoleSessionID
                || (message.status != 0 && message.consoleSessionID == 0)
        else { return .dropped(.wrongSessionID) }
        guard message.status == 0 else {
            // 0Dh "unauthorized name": some BMCs look up only a name padded to 16 bytes (FreeIPMI's intel20).
            let hint =
                message.status == 0x0D ? SessionWorkarounds.hint([.intel20], unless: configuration.workarounds) : ""
            return fail(.rakpStatus(message.status, step: "RAKP 2", hint: hint))
        }
        guard var exchange, let suite else { return .dropped(.notExpected) }
        exchange.managedRandom = message.managedRandom
        exchange.managedGUID = message.managedGUID
        let (password, userKey, generatingKey) = keys(for: suite)
        let expected = exchange.rakp2AuthCode(userKey: userKey)
        var received = message.authCode
        // Some BMCs send RAKP 2 one byte longer than its contents (FreeIPMI's supermicro20; sun20 for HMAC-SHA1
        // only): the code is still checked in full, only the stray last byte is left out.
        let trims =
            configuration.workarounds.contains(.supermicro20)
            || (configuration.workarounds.contains(.sun20) && suite.authentication == .hmacSHA1)
        if trims, received.count == expected.count + 1 { received.removeLast() }
        guard constantTimeEqual(expected, received) else {
            return fail(
                .authenticationFailed(
                    "the BMC's RAKP 2 key exchange code does not match (wrong password?)"
                        + SessionWorkarounds.hint([.intel20, .supermicro20, .sun20], unless: configuration.workarounds))
            )
        }
        self.exchange = exchange
        let sik = exchange.sessionIntegrityKey(generatingKey: generatingKey)
        crypto = SessionCrypto(
            suite: suite, keys: SessionKeys(authentication: suite.authentication, sik: sik), password: password)
        // Intel's BMCs check RAKP 3 against the unpadded name and the role without the name-only lookup bit (as
        // FreeIPMI's and ipmitool's Intel workarounds send it); the session integrity key keeps RAKP 1's.
        var rakp3Exchange = exchange
        if configuration.workarounds.contains(.intel20) {
            rakp3Exchange.role &= ~RAKPMessage1.nameOnlyLookup
            rakp3Exchange.username = configuration.credentials.usernameBytes
        }
        let rakp3 = RAKPMessage3(
            messageTag: messageTag, status: 0, managedSessionID: managedSessionID,
            authCode: rakp3Exchange.rakp3AuthCode(userKey: userKey))
        phase = .rakp4
        return sendHandshake(RMCPPlusPacket(payloadType: .rakp3, payload: rakp3.encode()).encode())
    }

    private mutating func receiveRAKP4(_ datagram: [UInt8]) -> SessionAction {
        let message: RAKPMessage4
        switch setupPayload(datagram, type: .rakp4) {
        case .failure(let reason): return .dropped(reason)
        case .success(let payload):
            guard let m = try? RAKPMessage4.decode(payload) else { return .dropped(.malformed) }
            message = m
        }
        guard message.messageTag == messageTag else { return .dropped(.wrongMessageTag) }
        // A refusal that stops before the session ID (ID 0) is matched by the message tag alone.
        guard
            message.consoleSessionID == configuration.consoleSessionID
                || (message.status != 0 && message.consoleSessionID == 0)
        else { return .dropped(.wrongSessionID) }
        guard message.status == 0 else { return fail(.rakpStatus(message.status, step: "RAKP 4")) }
        guard let exchange, let crypto else { return .dropped(.notExpected) }
        let expected = exchange.rakp4IntegrityCheckValue(sik: crypto.keys.sik)
        var received = message.integrityCheckValue
        // With RAKP-none (cipher suite 0) the value is empty (IPMI v2.0 §13.28); some BMCs send one all the same,
        // which `integritycheckvalue` ignores. Nothing is authenticated in such a session anyway.
        let unauthenticated = exchange.authentication == .none
        if unauthenticated, configuration.workarounds.contains(.integrityCheckValue) { received = [] }
        guard constantTimeEqual(expected, received) else {
            let hint =
                unauthenticated
                ? SessionWorkarounds.hint([.integrityCheckValue], unless: configuration.workarounds) : ""
            return fail(.authenticationFailed("the BMC's RAKP 4 integrity check value does not match" + hint))
        }
        return sendSessionPrivilege()
    }

    /// The first request inside the new session: Set Session Privilege Level (IPMI v2.0 section 22.18).
    mutating func sendSessionPrivilege() -> SessionAction {
        phase = .privilege
        guard let seq = allocateRqSeq() else { return fail(.tooManyOutstandingRequests) }
        handshakeRqSeq = seq
        do {
            let packet = try sealRequest(
                netFn: .app, command: AppCommand.setSessionPrivilegeLevel,
                data: SetSessionPrivilegeLevel.data(configuration.privilege), lun: 0, rqSeq: seq, bridge: nil)
            return sendHandshake(packet)
        } catch {
            return fail(error)
        }
    }

    private mutating func receivePrivilegeResponse(_ datagram: [UInt8]) -> SessionAction {
        let message: IPMIResponseMessage
        switch openInSession(datagram) {
        case .failure(let reason): return .dropped(reason)
        case .success(let m): message = m
        }
        guard message.netFnCode == NetFn.app.response, message.command == AppCommand.setSessionPrivilegeLevel,
            message.rqSeq == handshakeRqSeq
        else { return .dropped(.unmatchedResponse) }
        guard message.completionCode == .normal else {
            return fail(
                .privilegeRejected(
                    "Set Session Privilege Level to \(configuration.privilege): \(message.completionCode)"))
        }
        let granted = message.data.first.flatMap { PrivilegeLevel(rawValue: $0 & 0x0F) } ?? configuration.privilege
        if let legacy { return established(ipmi15: legacy, privilege: granted) }
        guard let suite, let exchange else { return .dropped(.notExpected) }
        let session = NegotiatedSession(
            cipherSuite: suite, privilege: granted, reportedMaximumPrivilege: reportedMaximumPrivilege,
            consoleSessionID: configuration.consoleSessionID, managedSessionID: managedSessionID,
            managedGUID: exchange.managedGUID, offeredCipherSuites: offeredSuites)
        negotiated = session
        phase = .established
        lastHandshakePacket = nil
        return .established(session)
    }

    /// The user name as RAKP 1 carries it and the HMACs hash it: as configured, or NUL-padded to 16 bytes for BMCs
    /// that look up only padded names although IPMI v2.0 table 13-11 forbids NULs in the name (`intel20`).
    private var rakpUsername: [UInt8] {
        let name = configuration.credentials.usernameBytes
        guard configuration.workarounds.contains(.intel20) else { return name }
        return SessionCrypto.padded(name, to: SessionCredentials.maximumUsernameLength)
    }

    /// The password and the keys K_uid and K_G derived from it (IPMI v2.0 section 13.31). With `intel20` and
    /// HMAC-MD5 authentication, a password longer than 16 bytes is cut to 16, as those BMCs do.
    private func keys(for suite: CipherSuite) -> (password: [UInt8], userKey: [UInt8], generatingKey: [UInt8]) {
        let credentials = configuration.credentials
        guard configuration.workarounds.contains(.intel20), suite.authentication == .hmacMD5,
            credentials.password.count > 16
        else { return (credentials.password, credentials.userKey, credentials.generatingKey) }
        let password = Array(credentials.password.prefix(16))
        let userKey = SessionCrypto.padded(password, to: 20)
        return (password, userKey, credentials.hasKg ? credentials.generatingKey : userKey)
    }

    // MARK: in-session traffic

    private mutating func nextSequenceNumber() -> UInt32 {
        outboundSequence = outboundSequence == UInt32.max ? 1 : outboundSequence + 1
        return outboundSequence
    }

    private mutating func sealRequest(
        netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8, rqSeq: UInt8, bridge: BridgeTarget?
    ) throws(IPMIError) -> [UInt8] {
        let message = requestMessage(
            netFn: netFn, command: command, data: data, lun: lun, rqSeq: rqSeq, bridge: bridge)
        if legacy != nil {
            guard let packet = legacy?.seal(message.encode()) else { throw .notEstablished }
            return packet
        }
        guard let crypto else { throw .notEstablished }
        let sequenceNumber = nextSequenceNumber()
        // The IV (16 random bytes, drawn only when encrypting) goes from the random source straight to the stack,
        // the message straight into its place in the packet.
        let sealed = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { iv in
            Result { () throws(IPMIError) in
                if crypto.suite.confidentiality == .aesCBC128, !random.fill(iv) {
                    throw .crypto("AES-128 needs a 16-byte IV")
                }
                return try crypto.seal(
                    payloadType: .ipmi, sessionID: managedSessionID, sequenceNumber: sequenceNumber,
                    payloadCount: message.encodedCount, iv: UnsafeRawBufferPointer(iv),
                    writePayload: { message.encode(into: $0) })
            }
        }
        return try sealed.get()
    }

    /// The request message: as given, or wrapped in Send Message to the bridge target.
    private func requestMessage(
        netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8, rqSeq: UInt8, bridge: BridgeTarget?
    ) -> IPMIRequestMessage {
        let message: IPMIRequestMessage
        if let bridge {
            message = IPMIRequestMessage(
                netFn: .app, rqSeq: rqSeq, command: AppCommand.sendMessage,
                data: SendMessage.encapsulate(
                    channel: bridge.channel, targetAddress: bridge.address, targetLUN: lun & 0x03, netFn: netFn,
                    command: command, data: data, rqSeq: rqSeq))
        } else {
            message = IPMIRequestMessage(
                netFn: netFn, responderLUN: lun & 0x03, rqSeq: rqSeq, command: command, data: data)
        }
        return message
    }

    /// Encodes one request in the established session. Up to 64 requests may be outstanding at once (the rqSeq
    /// space), fewer while rqSeqs are held for the same command (``hold(rqSeq:until:)``); then this throws
    /// ``IPMIError/tooManyOutstandingRequests``. `now` is on the caller's monotonic clock, in nanoseconds, the
    /// scale of the holds' ends. `bridge` sends this one request through Send Message to that controller (its LUN
    /// `lun`), whatever the session's own ``SessionConfiguration/bridge``.
    public mutating func encodeRequest(
        netFn: NetFn, command: UInt8, data: [UInt8] = [], lun: UInt8 = 0, bridge: BridgeTarget? = nil, now: UInt64 = 0
    )
        throws(IPMIError) -> (rqSeq: UInt8, packet: [UInt8])
    {
        switch phase {
        case .established: break
        case .closed: throw .sessionClosed()
        default: throw .notEstablished
        }
        let use = RqSeqHold.Use(netFn: netFn, command: command)
        guard let rqSeq = allocateRqSeq(for: use, now: now) else { throw .tooManyOutstandingRequests }
        let target = bridge ?? configuration.bridge
        let packet = try sealRequest(
            netFn: netFn, command: command, data: data, lun: lun, rqSeq: rqSeq, bridge: target)
        outstanding[rqSeq] = Outstanding(netFn: netFn, command: command, bridged: target != nil)
        lastUse[rqSeq] = use
        return (rqSeq, packet)
    }

    /// Forgets an outstanding request (timed out, cancelled); a response to it is then dropped. Its answer may
    /// still come: hold the rqSeq too unless that cannot be.
    public mutating func cancel(rqSeq: UInt8) {
        outstanding[rqSeq] = nil
    }

    /// Keeps the rqSeq of a request that is over (answered or given up) from a new request with the same netFn
    /// and command until `until`, and drops an answer under it as ``DropReason/late`` meanwhile. A response
    /// tells which request it answers by rqSeq, netFn and command alone (IPMI v2.0 section 13.8): an answer that
    /// comes late, or a second answer to a request the network duplicated, would otherwise complete a newer
    /// request with the same command under that rqSeq — with another sensor's reading.
    public mutating func hold(rqSeq: UInt8, until: UInt64) {
        guard outstanding[rqSeq] == nil, let use = lastUse[rqSeq] else { return }
        if let index = holds.firstIndex(where: { $0.rqSeq == rqSeq && $0.use == use }) {
            holds[index].until = until
        } else {
            holds.append(RqSeqHold(rqSeq: rqSeq, use: use, until: until))
        }
    }

    /// Forgets the holds that ended by `now`, and the list's storage with the last of them.
    private mutating func dropEndedHolds(now: UInt64) {
        guard holds.contains(where: { $0.until <= now }) else { return }
        holds.removeAll { $0.until <= now }
        if holds.isEmpty { holds = [] }
    }

    /// Whether an answer with this rqSeq, netFn and command is one to a held request (one whose hold ended but
    /// whose rqSeq was not used again counts too); if so, ``lastLateAnswerHoldEnd`` is when that hold ends.
    private mutating func isHeld(rqSeq: UInt8, netFnCode: UInt8, command: UInt8) -> Bool {
        guard
            let hold = holds.first(where: {
                $0.rqSeq == rqSeq && $0.use.netFn.response == netFnCode && $0.use.command == command
            })
        else { return false }
        lastLateAnswerHoldEnd = hold.until
        return true
    }

    /// Encodes Close Session for this session (never bridged). After this, ``isEstablished`` is false and
    /// new requests are refused; the response to the close is still delivered as `.response`.
    public mutating func encodeClose() throws(IPMIError) -> [UInt8] {
        guard case .established = phase else {
            if case .closed = phase { throw .sessionClosed() }
            throw .notEstablished
        }
        guard let rqSeq = allocateRqSeq() else { throw .tooManyOutstandingRequests }
        let packet = try sealRequest(
            netFn: .app, command: AppCommand.closeSession, data: CloseSession.data(managedSessionID: managedSessionID),
            lun: 0, rqSeq: rqSeq, bridge: nil)
        outstanding[rqSeq] = Outstanding(netFn: .app, command: AppCommand.closeSession, bridged: false)
        phase = .closed
        return packet
    }

    /// Checks session ID, integrity and encryption, then decodes the IPMI response message.
    private mutating func openInSession(_ datagram: [UInt8]) -> Result<IPMIResponseMessage, DropReason> {
        if legacy != nil { return openIPMI15(datagram, checkingChecksums: checksChecksums) }
        guard let crypto else { return .failure(.notExpected) }
        // The session ID is in the clear at a fixed offset: check it before spending an HMAC.
        guard datagram.count >= RMCPPlusPacket.payloadOffset, datagram[4] == AuthType.rmcpPlus else {
            return .failure(.malformed)
        }
        guard readUInt32LE(datagram, at: 6) == configuration.consoleSessionID else {
            return .failure(.wrongSessionID)
        }
        let opened: Result<(IPMIResponseMessage, RMCPPlusLayout), DropReason>
        do {
            // The response is decoded from the plaintext in place; only its data bytes become an array.
            var badChecksum = false
            opened = try crypto.open(datagram) { [checksChecksums] layout, payload in
                guard layout.payloadType == .ipmi else { return .failure(.unexpectedPayload) }
                guard
                    let message = try? IPMIResponseMessage.decode(bytes: payload, checkingChecksums: checksChecksums),
                    message.isResponse
                else {
                    // Only on the way to a drop: was it the checksums alone?
                    badChecksum = (try? IPMIResponseMessage.decode(bytes: payload, checkingChecksums: false)) != nil
                    return .failure(.malformed)
                }
                return .success((message, layout))
            }
            if badChecksum { checksumFailures += 1 }
        } catch {
            return .failure(error)
        }
        let message: IPMIResponseMessage
        let layout: RMCPPlusLayout
        switch opened {
        case .failure(let reason): return .failure(reason)
        case .success(let decoded): (message, layout) = decoded
        }
        // Only authenticated packets have sequence numbers an attacker cannot rewrite; unauthenticated
        // ones are matched by rqSeq alone (many BMCs send sequence 0 there).
        if layout.isAuthenticated, !inboundWindow.accept(layout.sequenceNumber) { return .failure(.replayed) }
        return .success(message)
    }

    private mutating func receiveInSession(_ datagram: [UInt8]) -> SessionAction {
        let message: IPMIResponseMessage
        switch openInSession(datagram) {
        case .failure(let reason): return .dropped(reason)
        case .success(let m): message = m
        }
        let rqSeq = message.rqSeq
        guard let request = outstanding[rqSeq] else {
            return .dropped(
                isHeld(rqSeq: rqSeq, netFnCode: message.netFnCode, command: message.command)
                    ? .late : .unmatchedResponse)
        }
        if message.netFnCode == request.netFn.response, message.command == request.command {
            outstanding[rqSeq] = nil
            return .response(rqSeq: rqSeq, netFn: request.netFn, command: request.command, message.response)
        }
        // A bridged request first gets the Send Message response: an error ends it, an empty success means
        // the target's answer follows as its own message, and some BMCs embed that answer right here.
        guard request.bridged, message.netFnCode == NetFn.app.response, message.command == AppCommand.sendMessage else {
            return .dropped(
                isHeld(rqSeq: rqSeq, netFnCode: message.netFnCode, command: message.command)
                    ? .late : .unmatchedResponse)
        }
        guard message.completionCode == .normal else {
            outstanding[rqSeq] = nil
            return .response(
                rqSeq: rqSeq, netFn: request.netFn, command: request.command,
                IPMIResponse(completionCode: message.completionCode, data: []))
        }
        guard !message.data.isEmpty else { return .none }
        guard let inner = try? SendMessage.unwrapResponse(message.data),
            inner.netFnCode == request.netFn.response, inner.command == request.command
        else { return .dropped(.malformed) }
        outstanding[rqSeq] = nil
        return .response(rqSeq: rqSeq, netFn: request.netFn, command: request.command, inner.response)
    }
}

/// An rqSeq kept from new requests with the same netFn and command until `until`.
struct RqSeqHold: Sendable, Hashable {
    struct Use: Sendable, Hashable {
        var netFn: NetFn
        var command: UInt8
    }
    var rqSeq: UInt8
    var use: Use
    var until: UInt64
}

/// A request awaiting its response: what the response must match.
private struct Outstanding: Sendable {
    var netFn: NetFn
    var command: UInt8
    var bridged: Bool
}

/// Replay protection for authenticated inbound packets (IPMI v2.0 section 6.12.13 asks for a sliding window
/// of accepted sequence numbers): a number is accepted once, if it is newer than the newest seen or at most
/// 63 behind it.
struct SequenceWindow: Sendable {
    private var newest: UInt32 = 0
    private var seen: UInt64 = 0  // bit n set: newest - n was accepted

    mutating func accept(_ sequence: UInt32) -> Bool {
        if sequence == 0 { return false }
        if newest == 0 || sequence > newest {
            let shift = newest == 0 ? 64 : sequence - newest
            seen = shift >= 64 ? 0 : seen << UInt64(shift)
            seen |= 1
            newest = sequence
            return true
        }
        let age = newest - sequence
        guard age < 64 else { return false }
        let bit = UInt64(1) << UInt64(age)
        guard seen & bit == 0 else { return false }
        seen |= bit
        return true
    }
}

/// Something per request sequence number: rqSeq is 6 bits (IPMI v2.0 section 13.8, table 13-4), so a fixed table
/// of 64 slots covers every value and costs no hashing per packet. A larger number reads as empty and is not
/// stored. The session state machine keeps its outstanding requests in one, a transport its waiting callers.
///
/// Inlinable, so that a client in another module (`IPMIClient` keeps one per session) gets it specialized for its
/// value type: unspecialized, every lookup went through the generic metadata cache.
public struct RqSeqTable<Value: Sendable>: Sendable {
    @usableFromInline var slots = [Value?](repeating: nil, count: 64)
    @usableFromInline var used = 0

    /// Slots in use.
    @inlinable
    public var count: Int { used }

    @inlinable
    public init() {}

    @inlinable
    public subscript(rqSeq: UInt8) -> Value? {
        get { rqSeq < 64 ? slots[Int(rqSeq)] : nil }
        set {
            guard rqSeq < 64 else { return }
            let index = Int(rqSeq)
            used += (newValue == nil ? 0 : 1) - (slots[index] == nil ? 0 : 1)
            slots[index] = newValue
        }
    }
}
