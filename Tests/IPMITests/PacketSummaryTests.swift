import IPMI
import Testing

struct PacketSummaryTests {
    @Test func describesAnRMCPPlusIPMIPacket() {
        // RMCP header, auth type 6, payload 0xC0 (IPMI, encrypted, authenticated), session 0x0200a0b1, seq 5, len 32.
        let packet: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x06, 0xC0, 0xB1, 0xA0, 0x00, 0x02, 0x05, 0, 0, 0, 0x20, 0x00]
        #expect(
            PacketSummary.describe(packet)
                == "RMCP+ IPMI encrypted authenticated session=0x0200a0b1 seq=5 length=32")
    }

    @Test func describesAPreSessionPacket() {
        let packet: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x09]
        #expect(PacketSummary.describe(packet) == "IPMI v1.5 auth=0 seq=0 session=0x00000000 length=9")
    }

    @Test func neverTrapsOnShortOrForeignInput() {
        for length in 0..<20 {
            _ = PacketSummary.describe(Array(repeating: 0x06, count: length))
            _ = PacketSummary.describe([0x06, 0, 0xFF, 0x07] + Array(repeating: 0x06, count: length))
        }
        #expect(PacketSummary.describe([0x01, 0x02]) == "non-RMCP datagram, 2 bytes")
    }

    @Test("hex for logs leaves out RAKP messages 2 and 3, whose HMACs are keyed with the password")
    func loggableHex() {
        let rakp1: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x06, 0x12, 0, 0]
        #expect(PacketSummary.loggableHex(rakp1) == "06 00 ff 07 06 12 00 00")
        for payloadType: UInt8 in [0x13, 0x14, 0x53] {
            let keyed: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x06, payloadType, 0xAB, 0xCD]
            #expect(PacketSummary.loggableHex(keyed) == "(key exchange message, not logged)")
        }
        #expect(PacketSummary.loggableHex([]) == "")
        #expect(PacketSummary.loggableHex([0x0A]) == "0a")
    }
}
