import IPMI

/// The BMC side of the RMCP+ session establishment (IPMI v2.0 sections 13.17-13.23): Open Session, RAKP 1/2,
/// RAKP 3/4. A retransmitted request gets the stored answer again, so a lost response costs no slot.
extension SimulatedBMC {
    private func setupPacket(_ type: PayloadType, _ payload: [UInt8]) -> [UInt8] {
        RMCPPlusPacket(payloadType: type, payload: payload).encode()
    }

    private func unauthenticatedPayload(_ datagram: [UInt8]) -> [UInt8]? {
        guard let (packet, _) = try? RMCPPlusPacket.decode(datagram), !packet.isAuthenticated, !packet.isEncrypted
        else { return nil }
        return packet.payload
    }

    mutating func handleOpenSession(_ datagram: [UInt8], now: Double) -> [[UInt8]] {
        guard let payload = unauthenticatedPayload(datagram), payload.count >= 8 else { return [] }
        if let retry = sessions.values.first(where: { $0.phase == .opened && $0.lastHandshakeRequest == payload }) {
            return [setupPacket(.openSessionResponse, retry.lastHandshakeResponse)]
        }
        let tag = payload[0]
        let privilege = payload[1] & 0x0F
        let consoleID =
            UInt32(payload[4]) | UInt32(payload[5]) << 8 | UInt32(payload[6]) << 16
            | UInt32(payload[7]) << 24
        func refuse(_ status: UInt8) -> [[UInt8]] {
            let response = OpenSessionResponse(
                messageTag: tag, status: status, maximumPrivilege: 0, consoleSessionID: consoleID,
                managedSessionID: 0, cipherSuite: nil)
            return [setupPacket(.openSessionResponse, response.encode())]
        }
        guard consoleID != 0 else { return refuse(RMCPPlusStatus.invalidSessionID) }
        guard privilege <= PrivilegeLevel.oem.rawValue else { return refuse(RMCPPlusStatus.invalidRole) }
        guard let request = try? OpenSessionRequest.decode(payload),
            let suite = profile.cipherSuites.first(where: {
                $0.authentication == request.cipherSuite.authentication
                    && $0.integrity == request.cipherSuite.integrity
                    && $0.confidentiality == request.cipherSuite.confidentiality
            })
        else { return refuse(RMCPPlusStatus.noMatchingCipherSuite) }
        guard !sessionSlotsExhausted, sessions.count < profile.sessionSlots else {
            return refuse(RMCPPlusStatus.insufficientResources)
        }
        let managedID = allocateSessionID()
        let response = OpenSessionResponse(
            messageTag: tag, status: RMCPPlusStatus.noError,
            maximumPrivilege: privilege == 0 ? PrivilegeLevel.administrator.rawValue : privilege,
            consoleSessionID: consoleID, managedSessionID: managedID, cipherSuite: suite
        ).encode()
        var session = ServerSession(
            phase: .opened, managedSessionID: managedID, consoleSessionID: consoleID, messageTag: tag, suite: suite,
            requestedPrivilege: privilege, lastActivity: now)
        session.lastHandshakeRequest = payload
        session.lastHandshakeResponse = response
        sessions[managedID] = session
        return [setupPacket(.openSessionResponse, response)]
    }

    mutating func handleRAKP1(_ datagram: [UInt8], now: Double) -> [[UInt8]] {
        guard let payload = unauthenticatedPayload(datagram), let message = try? RAKPMessage1.decode(payload) else {
            return []
        }
        guard var session = sessions[message.managedSessionID] else {
            let refusal = RAKPMessage2(
                messageTag: message.messageTag, status: RMCPPlusStatus.invalidSessionID, consoleSessionID: 0,
                managedRandom: [], managedGUID: [], authCode: [])
            return [setupPacket(.rakp2, refusal.encode())]
        }
        if session.phase == .rakp2Sent, session.lastHandshakeRequest == payload {
            return [setupPacket(.rakp2, session.lastHandshakeResponse)]
        }
        guard session.phase == .opened else { return [] }
        func refuse(_ status: UInt8) -> [[UInt8]] {
            sessions[session.managedSessionID] = nil
            let refusal = RAKPMessage2(
                messageTag: message.messageTag, status: status, consoleSessionID: session.consoleSessionID,
                managedRandom: [], managedGUID: [], authCode: [])
            return [setupPacket(.rakp2, refusal.encode())]
        }
        guard let requested = PrivilegeLevel(rawValue: message.role & 0x0F) else {
            return refuse(RMCPPlusStatus.invalidRole)
        }
        // The `intel20` quirk: only a name NUL-padded to 16 bytes is looked up (its NULs stripped).
        var name = message.username
        if quirks.contains(.intel20) {
            guard name.count == 16 else { return refuse(RMCPPlusStatus.unauthorizedName) }
            name = Array(name.prefix { $0 != 0 })
        }
        guard let userIndex = profile.users.firstIndex(where: { Array($0.name.utf8) == name }) else {
            return refuse(RMCPPlusStatus.unauthorizedName)
        }
        let user = profile.users[userIndex]
        guard requested.rawValue <= user.maximumPrivilege.rawValue else {
            return refuse(RMCPPlusStatus.unauthorizedRole)
        }
        let managedRandom = random.bytes(16)
        // The `opensesspriv` quirk: the key exchange codes hash the privilege asked for in Open Session (0,
        // "highest", from FreeIPMI by default) in place of the one in RAKP 1's role byte.
        let hashesOpenSessionPrivilege = quirks.contains(.opensesspriv) || quirks.contains(.sun20)
        let role = hashesOpenSessionPrivilege ? message.role & 0xF0 | session.requestedPrivilege : message.role
        let exchange = RAKPExchange(
            authentication: session.suite.authentication, consoleSessionID: session.consoleSessionID,
            managedSessionID: session.managedSessionID, consoleRandom: message.consoleRandom,
            managedRandom: managedRandom, managedGUID: guid, role: role, username: message.username)
        var authCode = exchange.rakp2AuthCode(userKey: user.userKey)
        // The `supermicro20` quirk: RAKP 2 carries one byte more than its contents.
        // The `sun20` quirk does the same with HMAC-SHA1.
        if quirks.contains(.supermicro20) || (quirks.contains(.sun20) && session.suite.authentication == .hmacSHA1) {
            authCode.append(0)
        }
        let response = RAKPMessage2(
            messageTag: message.messageTag, status: RMCPPlusStatus.noError, consoleSessionID: session.consoleSessionID,
            managedRandom: managedRandom, managedGUID: guid, authCode: authCode
        ).encode()
        session.phase = .rakp2Sent
        session.exchange = exchange
        session.userIndex = userIndex
        session.maximumPrivilege = requested
        // A session starts at User level, or lower when its limit is lower (IPMI v2.0 section 13.14).
        session.privilege = requested.rawValue < PrivilegeLevel.user.rawValue ? requested : .user
        session.lastActivity = now
        session.lastHandshakeRequest = payload
        session.lastHandshakeResponse = response
        sessions[session.managedSessionID] = session
        return [setupPacket(.rakp2, response)]
    }

    mutating func handleRAKP3(_ datagram: [UInt8], now: Double) -> [[UInt8]] {
        guard let payload = unauthenticatedPayload(datagram), let message = try? RAKPMessage3.decode(payload) else {
            return []
        }
        guard var session = sessions[message.managedSessionID] else {
            let refusal = RAKPMessage4(
                messageTag: message.messageTag, status: RMCPPlusStatus.invalidSessionID, consoleSessionID: 0,
                integrityCheckValue: [])
            return [setupPacket(.rakp4, refusal.encode())]
        }
        if session.phase == .active, session.lastHandshakeRequest == payload {
            return [setupPacket(.rakp4, session.lastHandshakeResponse)]
        }
        guard session.phase == .rakp2Sent, let exchange = session.exchange else { return [] }
        guard message.status == RMCPPlusStatus.noError else {
            // The console gave up (e.g. our RAKP 2 did not verify under its password).
            sessions[session.managedSessionID] = nil
            return []
        }
        let user = profile.users[session.userIndex]
        // The `intel20` quirk checks RAKP 3 against the unpadded name and the role without its name-only lookup bit.
        var rakp3Exchange = exchange
        if quirks.contains(.intel20) {
            rakp3Exchange.role &= ~RAKPMessage1.nameOnlyLookup
            rakp3Exchange.username = Array(exchange.username.prefix { $0 != 0 })
        }
        guard macEqual(rakp3Exchange.rakp3AuthCode(userKey: user.userKey), message.authCode) else {
            sessions[session.managedSessionID] = nil
            let refusal = RAKPMessage4(
                messageTag: message.messageTag, status: RMCPPlusStatus.invalidIntegrityCheckValue,
                consoleSessionID: session.consoleSessionID, integrityCheckValue: [])
            return [setupPacket(.rakp4, refusal.encode())]
        }
        let sik = exchange.sessionIntegrityKey(generatingKey: user.userKey)
        session.crypto = SessionCrypto(
            suite: session.suite, keys: SessionKeys(authentication: session.suite.authentication, sik: sik),
            password: user.password)
        var icv = exchange.rakp4IntegrityCheckValue(sik: sik)
        // The `integritycheckvalue` quirk: 12 bytes where RAKP-none has none.
        if quirks.contains(.integritycheckvalue), session.suite.authentication == .none {
            icv = [UInt8](repeating: 0xA5, count: 12)
        }
        let response = RAKPMessage4(
            messageTag: message.messageTag, status: RMCPPlusStatus.noError, consoleSessionID: session.consoleSessionID,
            integrityCheckValue: icv
        ).encode()
        session.phase = .active
        session.lastActivity = now
        session.lastHandshakeRequest = payload
        session.lastHandshakeResponse = response
        sessions[session.managedSessionID] = session
        return [setupPacket(.rakp4, response)]
    }

    mutating func handleInSession(_ datagram: [UInt8], sessionID: UInt32, now: Double) -> [[UInt8]] {
        guard var session = sessions[sessionID], session.phase == .active, let crypto = session.crypto,
            let packet = try? crypto.open(datagram), packet.payloadType == .ipmi,
            let request = try? IPMIRequestMessage.decode(packet.payload)
        else { return [] }
        session.lastActivity = now
        lastRequestKind = BMCRequestKind(netFn: request.netFn, command: request.command)
        let (messages, closing) = execute(request, in: &session, now: now)
        var datagrams: [[UInt8]] = []
        for message in messages {
            let iv = crypto.suite.confidentiality == .aesCBC128 ? random.bytes(16) : []
            var payload = message.encode()
            // The `nochecksumcheck` quirk: a wrong data checksum under a good integrity check.
            if quirks.contains(.nochecksumcheck), !payload.isEmpty { payload[payload.count - 1] ^= 0x01 }
            if let sealed = try? crypto.seal(
                sessionID: session.consoleSessionID, sequenceNumber: session.nextSequenceNumber(),
                payload: payload, iv: iv)
            {
                datagrams.append(sealed)
            }
        }
        sessions[sessionID] = session
        if let closing { sessions[closing] = nil }
        return datagrams
    }
}
