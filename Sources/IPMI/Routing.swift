/// Which session a datagram from a BMC belongs to, for a transport that carries many sessions over one
/// socket. Demultiplex by peer address first, then by this key.
public enum RoutingKey: Hashable, Sendable {
    /// An RMCP+ packet for the session whose remote console session ID (SIDm, chosen by us) is given,
    /// including Open Session Response, RAKP 2 and RAKP 4, which carry it in the payload.
    case session(consoleSessionID: UInt32)
    /// A session-less IPMI v1.5 answer (Get Channel Authentication Capabilities, Get Channel Cipher Suites),
    /// or a short Open Session / RAKP refusal without a session ID: it names no session; offer it to every
    /// session of that peer that is not yet established (they match rqSeq or the message tag and drop
    /// the rest).
    case preSession
    /// An IPMI v1.5 packet with a session ID: the BMC's ID of a v1.5 session (temporary or activated), which the
    /// transport maps to the session that Activate Session introduced it to. A v1.5 packet with session ID 0 and
    /// an AuthCode is ``preSession`` (offered to v1.5 sessions too: FreeIPMI's `idzero` BMCs send their answers so).
    case ipmi15Session(bmcSessionID: UInt32)
}

/// The routing key of a datagram received from a BMC; nil when it is not an IPMI RMCP packet (e.g. an
/// RMCP ACK or ASF presence pong) or too short to tell.
public func routingKey(ofDatagramFromBMC datagram: [UInt8]) -> RoutingKey? {
    guard datagram.count >= 5, datagram[0] == RMCPHeader.version, datagram[3] & 0x1F == RMCPHeader.classIPMI,
        datagram[3] & 0x80 == 0
    else { return nil }
    let authType = datagram[4] & 0x0F
    if authType == AuthType.rmcpPlus {
        guard datagram.count >= RMCPPlusPacket.payloadOffset else { return nil }
        let payloadType = PayloadType(rawValue: datagram[5])
        switch payloadType {
        case .openSessionResponse, .rakp2, .rakp4:
            // Payload: tag, status, 2 bytes, then the remote console session ID. A refusal may end after
            // the status byte (ipmi_sim does this): it names no session, so it goes to every session of
            // that peer still setting up, which match it by message tag.
            guard let id = readUInt32LE(datagram, at: RMCPPlusPacket.payloadOffset + 4) else {
                let declaredLength = Int(datagram[14]) | Int(datagram[15]) << 8
                let refusal =
                    datagram.count >= RMCPPlusPacket.payloadOffset + 2 && declaredLength >= 2
                    && datagram[RMCPPlusPacket.payloadOffset + 1] != 0
                return refusal ? .preSession : nil
            }
            return .session(consoleSessionID: id)
        default:
            guard let id = readUInt32LE(datagram, at: 6) else { return nil }
            return id == 0 ? .preSession : .session(consoleSessionID: id)
        }
    }
    // IPMI v1.5 layout: auth type, sequence (4), session ID (4).
    guard let id = readUInt32LE(datagram, at: 9) else { return nil }
    return id == 0 ? .preSession : .ipmi15Session(bmcSessionID: id)
}
