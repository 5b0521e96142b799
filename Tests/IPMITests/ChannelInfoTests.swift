import IPMI
import Testing

/// Get Channel Info (IPMI v2.0 §22.24, table 22-28) on bytes laid out from the specification.
struct ChannelInfoTests {
    @Test func aLANChannelAndAnIPMBChannel() throws {
        #expect(GetChannelInfoRequest(channel: 0x0E).encode() == [0x0E])
        #expect(try GetChannelInfoRequest(decoding: [0xF1]).channel == 0x01)
        // Channel 1, medium 04h (802.3 LAN), protocol 01h (IPMB-1.0), multi-session with 1 active, vendor IPMI
        // Forum (7154 = 001BF2h), no auxiliary info.
        let lan = try GetChannelInfoResponse(decoding: [0x01, 0x04, 0x01, 0x81, 0xF2, 0x1B, 0x00, 0x00, 0x00])
        #expect(lan.channel == 1 && lan.mediumType == 0x04 && lan.protocolType == 0x01 && lan.isLAN)
        #expect(lan.rest == [0x81, 0xF2, 0x1B, 0x00, 0x00, 0x00])
        #expect(lan.encode() == [0x01, 0x04, 0x01, 0x81, 0xF2, 0x1B, 0x00, 0x00, 0x00])
        // Channel 0, medium 01h (IPMB), reserved bits set.
        let ipmb = try GetChannelInfoResponse(decoding: [0xF0, 0x81, 0xE1])
        #expect(ipmb.channel == 0 && ipmb.mediumType == 0x01 && ipmb.protocolType == 0x01 && !ipmb.isLAN)
        #expect(throws: IPMIError.self) { try GetChannelInfoResponse(decoding: [0x01, 0x04]) }
    }
}
