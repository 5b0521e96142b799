/// The IPMI v1.5 session set-up (IPMI v2.0 sections 22.13, 22.16–22.18), for ``SessionConfiguration/ipmi15``:
/// Get Channel Authentication Capabilities (v1.5 form) → Get Session Challenge (outside a session) → Activate
/// Session (the first authenticated packet, sequence number 0, under the temporary session ID) → Set Session
/// Privilege Level inside the session. Random bytes: as for RMCP+ in ``start()``, then 4 (the initial outbound
/// sequence number) when Activate Session is built.
extension SessionStateMachine {
    /// The BMC's session ID the answers of a v1.5 session carry (the temporary one until Activate Session is
    /// answered), for a transport that routes datagrams by session ID; nil for RMCP+ and before the challenge.
    public var ipmi15RoutingID: UInt32? {
        guard let legacy, legacy.sessionID != 0 else { return nil }
        return legacy.sessionID
    }

    mutating func receiveIPMI15Capabilities(_ message: IPMIResponseMessage) -> SessionAction {
        guard let options = configuration.ipmi15 else { return .dropped(.notExpected) }
        let credentials = configuration.credentials
        guard credentials.password.count <= 16 else {
            return fail(.invalidCredentials("the password is \(credentials.password.count) bytes, IPMI v1.5 allows 16"))
        }
        let capabilities =
            message.completionCode == .normal
            ? try? GetChannelAuthenticationCapabilitiesResponse(data: message.data) : nil
        // With `authcap`, or an answer that cannot be read, the list is advisory: MD5 is tried, as FreeIPMI does.
        let advisory = configuration.workarounds.contains(.authenticationCapabilities) || capabilities == nil
        let offered = capabilities?.authenticationTypes ?? 0
        let names = IPMI15AuthenticationType.allCases.filter { offered & $0.supportBit != 0 }.map(\.description)
        let listed = "[" + names.joined(separator: ", ") + "]"
        let chosen: IPMI15AuthenticationType
        if let wanted = options.authenticationType {
            guard advisory || offered & wanted.supportBit != 0 else {
                return fail(
                    .unsupportedCipherSuite(
                        "the BMC offers IPMI v1.5 authentication types \(listed), not \(wanted)"
                            + SessionWorkarounds.hint([.authenticationCapabilities], unless: configuration.workarounds))
                )
            }
            chosen = wanted
        } else if let best = IPMI15AuthenticationType.preference.first(where: {
            offered & $0.supportBit != 0 && ($0 != .none || configuration.allowUnauthenticated)
        }) {
            chosen = best
        } else if advisory {
            chosen = .md5
        } else {
            return fail(
                .unsupportedCipherSuite(
                    "the BMC offers IPMI v1.5 authentication types \(listed), none of which this client accepts"
                        + " (none only when unauthenticated sessions are allowed)"
                        + SessionWorkarounds.hint([.authenticationCapabilities], unless: configuration.workarounds)))
        }
        // Asked for by name, none is the user's choice, as cipher suite 0 is.
        guard
            chosen != .none || configuration.allowUnauthenticated
                || options.authenticationType == IPMI15AuthenticationType.none
        else {
            return fail(
                .unsupportedCipherSuite("IPMI v1.5 authentication type none is refused unless explicitly allowed"))
        }
        // Table 22-15 byte 3 bit 4: per-message authentication disabled, so requests after Activate Session may go
        // without AuthCode; `forcepermsg` authenticates them all the same.
        perMessageAuthenticationDisabled = (capabilities?.loginStatus ?? 0) & 0x10 != 0
        legacy = IPMI15Session(
            authType: chosen, password: credentials.password, workarounds: configuration.workarounds, sessionID: 0)
        phase = .challenge
        return sendHandshake(
            preSessionPacket(
                command: AppCommand.getSessionChallenge,
                data: GetSessionChallenge.requestData(authType: chosen, username: credentials.usernameBytes)))
    }

    mutating func receiveSessionChallenge(_ datagram: [UInt8]) -> SessionAction {
        let message: IPMIResponseMessage
        switch preSessionResponse(datagram, command: AppCommand.getSessionChallenge) {
        case .failure(let reason): return .dropped(reason)
        case .success(let m): message = m
        }
        guard message.completionCode == .normal else {
            // 81h: invalid user name; 82h: null user name not enabled (section 22.16).
            let what =
                switch message.completionCode.rawValue {
                case 0x81: " (the BMC knows no such user)"
                case 0x82: " (the BMC does not allow the null user name)"
                default: ""
                }
            return fail(.authenticationFailed("Get Session Challenge: \(message.completionCode)" + what))
        }
        guard let challenge = try? GetSessionChallenge(responseData: message.data), var session = legacy else {
            return fail(.malformed("a Get Session Challenge answer too short to use"))
        }
        session.sessionID = challenge.temporarySessionID
        let seed = random.bytes(4) + [0, 0, 0, 0]
        let first = UInt32(seed[0]) | UInt32(seed[1]) << 8 | UInt32(seed[2]) << 16 | UInt32(seed[3]) << 24
        // 0 marks packets outside a session; the BMC numbers its answers from this value.
        session.inbound = IPMI15SequenceWindow(first: first == 0 ? 1 : first)
        session.firstInbound = first == 0 ? 1 : first
        guard let rqSeq = allocateRqSeq() else { return fail(.tooManyOutstandingRequests) }
        handshakeRqSeq = rqSeq
        let activate = IPMIRequestMessage(
            netFn: .app, rqSeq: rqSeq, command: AppCommand.activateSession,
            data: ActivateSession.requestData(
                authType: session.authType, privilege: configuration.privilege, challenge: challenge.challenge,
                initialOutboundSequence: session.firstInbound))
        // Activate Session goes with sequence number 0, authenticated with the chosen type whatever the
        // per-message setting (section 22.17).
        let packet = session.seal(activate.encode())
        legacy = session
        phase = .activate
        return sendHandshake(packet)
    }

    mutating func receiveActivateSession(_ datagram: [UInt8]) -> SessionAction {
        // Its answer may carry the temporary session ID (ipmi_sim) or the new one, which is inside it.
        let newID =
            (try? IPMI15Packet.decode(datagram)).flatMap { try? IPMIResponseMessage.decode($0.message) }
            .flatMap { try? ActivateSession(responseData: $0.data) }?.sessionID
        guard let opened = legacy?.open(datagram, alsoAccepting: newID, checkingSequence: false) else {
            return .dropped(.notExpected)
        }
        let packet: IPMI15Packet
        switch opened {
        case .failure(let reason): return .dropped(reason)
        case .success(let p): packet = p
        }
        guard let message = try? IPMIResponseMessage.decode(packet.message) else { return .dropped(.malformed) }
        guard message.netFnCode == NetFn.app.response, message.command == AppCommand.activateSession,
            message.rqSeq == handshakeRqSeq
        else { return .dropped(.unmatchedResponse) }
        guard message.completionCode == .normal else {
            // Section 22.17: 81h–83h no session slot (at all, for the user, at the privilege), 84h sequence number
            // out of range, 85h invalid session ID, 86h privilege above the user's or channel's limit.
            if message.completionCode.rawValue == 0x86 {
                return fail(
                    .privilegeRejected("Activate Session at \(configuration.privilege): \(message.completionCode)"))
            }
            return fail(.authenticationFailed("Activate Session: \(message.completionCode)"))
        }
        guard let activated = try? ActivateSession(responseData: message.data), activated.sessionID != 0,
            var session = legacy
        else { return fail(.malformed("an Activate Session answer without a session ID")) }
        session.sessionID = activated.sessionID
        session.outboundSequence = activated.initialInboundSequence == 0 ? 1 : activated.initialInboundSequence
        if perMessageAuthenticationDisabled, !configuration.workarounds.contains(.forcePerMessageAuthentication) {
            session.outboundAuthType = .none
        }
        legacy = session
        managedSessionID = activated.sessionID
        reportedMaximumPrivilege = activated.maximumPrivilege
        return sendSessionPrivilege()
    }

    /// A step of the v1.5 set-up that went unanswered through every retransmission: a failure that says why when
    /// answers were dropped for something a workaround flag takes (naming it), or when Activate Session, the first
    /// packet that proves the password, went unanswered; nil otherwise.
    mutating func ipmi15StepTimedOut() -> SessionAction? {
        guard let legacy else { return nil }
        switch phase {
        case .activate, .privilege:
            if let reason = legacy.stallReason(perMessageAuthenticationDisabled: perMessageAuthenticationDisabled) {
                return fail(.malformed(reason))
            }
            guard case .activate = phase else { return nil }
            return fail(
                .authenticationFailed(
                    "Activate Session went unanswered although Get Session Challenge was answered (wrong password?)"))
        default:
            return nil
        }
    }

    /// An answer inside the v1.5 session: framing checked by ``IPMI15Session/open(_:alsoAccepting:checkingSequence:)``,
    /// then the IPMI message decoded.
    mutating func openIPMI15(
        _ datagram: [UInt8], checkingChecksums: Bool
    ) -> Result<IPMIResponseMessage, DropReason> {
        guard let opened = legacy?.open(datagram) else { return .failure(.notExpected) }
        switch opened {
        case .failure(let reason): return .failure(reason)
        case .success(let packet):
            let decoded = packet.message.withUnsafeBytes {
                try? IPMIResponseMessage.decode(bytes: $0, checkingChecksums: checkingChecksums)
            }
            guard let decoded, decoded.isResponse else { return .failure(.malformed) }
            return .success(decoded)
        }
    }

    mutating func established(ipmi15 session: IPMI15Session, privilege: PrivilegeLevel) -> SessionAction {
        var negotiated = NegotiatedSession(
            cipherSuite: CipherSuite(authentication: .none, integrity: .none, confidentiality: .none),
            privilege: privilege, reportedMaximumPrivilege: reportedMaximumPrivilege,
            consoleSessionID: configuration.consoleSessionID, managedSessionID: managedSessionID, managedGUID: [],
            offeredCipherSuites: [])
        negotiated.ipmi15AuthenticationType = session.authType
        self.negotiated = negotiated
        phase = .established
        lastHandshakePacket = nil
        return .established(negotiated)
    }
}
