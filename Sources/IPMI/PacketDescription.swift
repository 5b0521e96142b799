/// One-line descriptions of datagrams for debug logs: header fields only, never key material. Payload hex
/// (ciphertext when encrypted) is left to the caller (`bytes.hexDump`).
public enum PacketDescription {
    public static func describe(_ datagram: [UInt8]) -> String {
        guard datagram.count >= 5, datagram[0] == RMCPHeader.version, datagram[3] & 0x1F == RMCPHeader.classIPMI
        else { return "non-IPMI datagram, \(datagram.count) bytes" }
        if datagram[4] == AuthType.rmcpPlus {
            guard let (packet, _) = try? RMCPPlusPacket.decode(datagram, authCodeLength: 0) else {
                if let header = rmcpPlusHeaderOnly(datagram) { return header }
                return "RMCP+ datagram, malformed, \(datagram.count) bytes"
            }
            return describe(packet)
        }
        guard let packet = try? IPMI15Packet.decode(datagram) else {
            return "IPMI v1.5 datagram, auth type 0x" + hex2(datagram[4]) + ", \(datagram.count) bytes"
        }
        var text = "IPMI v1.5 session 0x" + String(packet.sessionID, radix: 16) + " seq \(packet.sessionSequence)"
        if let message = try? IPMIResponseMessage.decode(packet.message), message.isResponse {
            text += ", " + describe(message)
        } else if let message = try? IPMIRequestMessage.decode(packet.message) {
            text += ", " + describe(message)
        }
        return text
    }

    static func describe(_ packet: RMCPPlusPacket) -> String {
        var text = "RMCP+ \(packet.payloadType)"
        if packet.isEncrypted { text += " encrypted" }
        if packet.isAuthenticated { text += " authenticated" }
        text += " session 0x" + String(packet.sessionID, radix: 16) + " seq \(packet.sequenceNumber)"
        text += " payload \(packet.payload.count) bytes"
        if packet.payloadType == .ipmi, !packet.isEncrypted {
            if let message = try? IPMIResponseMessage.decode(packet.payload), message.isResponse {
                text += ", " + describe(message)
            } else if let message = try? IPMIRequestMessage.decode(packet.payload) {
                text += ", " + describe(message)
            }
        }
        return text
    }

    /// An authenticated packet cannot be decoded without knowing the AuthCode length; show its header.
    static func rmcpPlusHeaderOnly(_ datagram: [UInt8]) -> String? {
        guard datagram.count >= RMCPPlusPacket.payloadOffset, let sessionID = readUInt32LE(datagram, at: 6),
            let sequence = readUInt32LE(datagram, at: 10)
        else { return nil }
        let type = datagram[5]
        var text = "RMCP+ \(PayloadType(rawValue: type))"
        if type & 0x80 != 0 { text += " encrypted" }
        if type & 0x40 != 0 { text += " authenticated" }
        let length = Int(datagram[14]) | Int(datagram[15]) << 8
        return text + " session 0x" + String(sessionID, radix: 16) + " seq \(sequence) payload \(length) bytes"
    }

    public static func describe(_ message: IPMIRequestMessage) -> String {
        "request netFn 0x" + hex2(message.netFn.rawValue) + " cmd 0x" + hex2(message.command)
            + " rqSeq \(message.rqSeq)"
            + " data \(message.data.count) bytes"
    }

    public static func describe(_ message: IPMIResponseMessage) -> String {
        "response netFn 0x" + hex2(message.netFnCode) + " cmd 0x" + hex2(message.command) + " rqSeq \(message.rqSeq) "
            + message.completionCode.description + " data \(message.data.count) bytes"
    }
}
