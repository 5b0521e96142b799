import IPMI
import Testing

/// One request sent through Send Message to a controller behind the BMC, in a session that is not bridged (what
/// `bridge_sensors` does for a sensor another controller owns, IPMI v2.0 §6.13, §22.7).
@Suite struct PerRequestBridgeTests {
    /// A machine in an established suite 1 session (HMAC-SHA1, no encryption: the IPMI payload is in the clear).
    static func established() throws -> SessionStateMachine {
        let vector = HandshakeTests.vector("suite 1")
        let established = try #require(vector.steps.firstIndex { $0.expect == "established" })
        return try HandshakeTests.replay(vector, until: established + 1).0
    }

    static func payload(_ packet: [UInt8]) -> [UInt8] {
        let length = Int(packet[14]) | Int(packet[15]) << 8
        return Array(packet[RMCPPlusPacket.payloadOffset..<RMCPPlusPacket.payloadOffset + length])
    }

    @Test func onlyTheBridgedRequestGoesThroughSendMessage() throws {
        var machine = try Self.established()
        // Get Sensor Reading of sensor 10h on LUN 1 of the controller at 30h on channel 0.
        let (rqSeq, packet) = try machine.encodeRequest(
            netFn: .sensorEvent, command: 0x2D, data: [0x10], lun: 1, bridge: BridgeTarget(channel: 0, address: 0x30))
        let outer = Self.payload(packet)
        // Outer (§13.8): rsAddr 20h, netFn App (06h << 2 = 18h), checksum, rqAddr 81h, rqSeq << 2, Send Message 34h.
        #expect(Array(outer.prefix(6)) == [0x20, 0x18, 0xC8, 0x81, rqSeq << 2, 0x34])
        // Send Message data (§22.7): channel 0 with "track request" (40h), then the IPMB request to 30h: netFn 04h
        // with rsLUN 1 (04h << 2 | 1 = 11h), checksum -(30h + 11h) = BFh, rqAddr 81h, rqSeq << 2, command 2Dh,
        // sensor 10h, checksum.
        let inner = Array(outer.dropFirst(6).dropLast())
        let innerChecksum = UInt8(truncatingIfNeeded: 0x100 - ((0x81 + Int(rqSeq << 2) + 0x2D + 0x10) & 0xFF))
        #expect(inner == [0x40, 0x30, 0x11, 0xBF, 0x81, rqSeq << 2, 0x2D, 0x10, innerChecksum])

        // The next request, without a bridge, goes to the BMC itself.
        let (plainSeq, plainPacket) = try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, data: [0x10])
        #expect(plainSeq != rqSeq)
        #expect(Array(Self.payload(plainPacket).prefix(6)) == [0x20, 0x10, 0xD0, 0x81, plainSeq << 2, 0x2D])
    }
}
