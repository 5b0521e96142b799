// libFuzzer entry point for the pure IPMI target: every datagram goes into a session state machine parked
// in each phase, and into every decoder. Built by scripts/fuzz-ipmi.sh together with Sources/IPMI (one
// module, so internal helpers are reachable); not part of the SwiftPM package.

struct FixedRandom: RandomSource {
    func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0x5A, count: count) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = routingKey(ofDatagramFromBMC: bytes)
    _ = PacketDescription.describe(bytes)
    _ = try? IPMI15Packet.decode(bytes)
    _ = try? RMCPPlusPacket.decode(bytes, authCodeLength: count % 17)
    _ = try? IPMIResponseMessage.decode(bytes)
    _ = try? OpenSessionResponse.decode(bytes)
    _ = try? RAKPMessage2.decode(bytes)
    _ = try? RAKPMessage4.decode(bytes)
    _ = CipherSuite.parseRecords(bytes)
    _ = try? SessionCrypto.decryptAES(key: [UInt8](repeating: 1, count: 16), payload: bytes)
    guard let credentials = try? SessionCredentials(username: "admin", password: Array("secret".utf8)) else {
        return 0
    }
    for suite in [nil, CipherSuite(id: 3), CipherSuite(id: 17)] {
        var machine = SessionStateMachine(
            configuration: SessionConfiguration(
                credentials: credentials, cipherSuite: suite, consoleSessionID: 0xA0A2_A3A4),
            random: FixedRandom())
        _ = machine.start()
        // Feed the input twice, split in two, so later phases see input too when the first half advances.
        _ = machine.receive(bytes)
        _ = machine.receive(Array(bytes.prefix(count / 2)))
        _ = machine.receive(Array(bytes.dropFirst(count / 2)))
        _ = machine.retransmit()
    }
    return 0
}
