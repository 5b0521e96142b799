/// A one-line description of an RMCP packet's session header for debug logs: enough to follow a
/// conversation (format, payload type, session ID, sequence number, length) without decrypting anything.
/// Layouts: RMCP header IPMI v2.0 §13.1.3, IPMI v1.5 session header §13.6 table 13-8, RMCP+ table 13-8.
public enum PacketSummary {
    public static func describe(_ packet: [UInt8]) -> String {
        guard packet.count >= 5, packet[0] == 0x06 else { return "non-RMCP datagram, \(packet.count) bytes" }
        guard packet[3] & 0x1F == 0x07 else { return "RMCP class 0x\(hex(packet[3])), \(packet.count) bytes" }
        let authType = packet[4]
        if authType == 0x06 {
            guard packet.count >= 16 else { return "RMCP+ truncated, \(packet.count) bytes" }
            let payload = packet[5]
            let names: [UInt8: String] = [
                0x00: "IPMI", 0x10: "Open Session Request", 0x11: "Open Session Response", 0x12: "RAKP 1",
                0x13: "RAKP 2", 0x14: "RAKP 3", 0x15: "RAKP 4",
            ]
            let type = names[payload & 0x3F] ?? "payload 0x\(hex(payload & 0x3F))"
            let flags = (payload & 0x80 != 0 ? " encrypted" : "") + (payload & 0x40 != 0 ? " authenticated" : "")
            return "RMCP+ \(type)\(flags) session=0x\(hex32(packet, 6)) seq=\(le32(packet, 10)) "
                + "length=\(Int(packet[14]) | Int(packet[15]) << 8)"
        }
        // The message length follows the 16-byte AuthCode when there is one.
        let lengthAt = authType == 0 ? 13 : 13 + IPMI15Packet.authCodeLength
        guard packet.count > lengthAt else { return "IPMI v1.5 truncated, \(packet.count) bytes" }
        return
            "IPMI v1.5 auth=\(authType) seq=\(le32(packet, 5)) session=0x\(hex32(packet, 9)) length=\(packet[lengthAt])"
    }

    /// The packet's bytes in hex, except for RAKP messages 2 and 3 (RMCP+ payload types 13h and 14h, IPMI v2.0
    /// §13.27): they carry HMACs keyed with the password, which would allow an offline guess of it from a log. The
    /// AuthCode of an IPMI v1.5 packet (§13.6) is left out too: it is the password itself (straight password) or a
    /// digest of it.
    public static func loggableHex(_ packet: [UInt8]) -> String {
        if packet.count > 5, packet[4] == 0x06, [0x13, 0x14].contains(packet[5] & 0x3F) {
            return "(key exchange message, not logged)"
        }
        if packet.count > 4, packet[4] != 0x00, packet[4] != 0x06 {
            let codeEnd = min(packet.count, 13 + IPMI15Packet.authCodeLength)
            return CommandName.hex(Array(packet.prefix(13))) + " (AuthCode not logged) "
                + CommandName.hex(Array(packet[codeEnd...]))
        }
        return CommandName.hex(packet)
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func hex32(_ bytes: [UInt8], _ at: Int) -> String {
        let value = le32(bytes, at)
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    private static func hex(_ byte: UInt8) -> String {
        byte < 0x10 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }
}
