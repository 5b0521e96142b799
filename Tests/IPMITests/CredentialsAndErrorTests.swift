import IPMI
import Testing

@Suite("Credentials, errors and routing")
struct CredentialsAndErrorTests {
    @Test func limits() throws {
        _ = try SessionCredentials(
            username: String(repeating: "u", count: 16), password: [UInt8](repeating: 1, count: 20))
        _ = try SessionCredentials(username: "", password: [], kg: [UInt8](repeating: 1, count: 20))
        let long = #expect(throws: IPMIError.self) {
            try SessionCredentials(username: String(repeating: "u", count: 17), password: [])
        }
        #expect(long?.code == .invalidCredentials)
        #expect(long?.description.contains("16") == true)
        let password = #expect(throws: IPMIError.self) {
            try SessionCredentials(username: "admin", password: [UInt8](repeating: 0x41, count: 21))
        }
        #expect(password?.code == .invalidCredentials)
        #expect(password?.description.contains("AAAA") == false)
        let kg = #expect(throws: IPMIError.self) {
            try SessionCredentials(username: "admin", password: [], kg: [UInt8](repeating: 0x42, count: 21))
        }
        #expect(kg?.code == .invalidCredentials)
        // Multi-byte UTF-8 counts in bytes: 9 × "é" is 18 bytes.
        #expect(throws: IPMIError.self) {
            try SessionCredentials(username: String(repeating: "é", count: 9), password: [])
        }
    }

    @Test func descriptionRedactsSecrets() throws {
        let credentials = try SessionCredentials(
            username: "admin", password: Array("hunter2".utf8), kg: Array("topsecretkey".utf8))
        let text = "\(credentials) \(String(reflecting: credentials))"
        #expect(text.contains("admin"))
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("topsecretkey"))
        #expect(text.contains("redacted"))
        let configuration = SessionConfiguration(credentials: credentials, consoleSessionID: 1)
        #expect(!String(describing: configuration).contains("hunter2"))
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [IPMIError] = [
            .invalidCredentials("x"), .authenticationFailed("RAKP 2"), .unsupportedCipherSuite("none"),
            .rakpStatus(0x0D, step: "RAKP 2"), .rakpStatus(0x01, step: "Open Session"), .timeout("after 5 s"),
            .malformed("short"), .sessionClosed(), .notEstablished, .tooManyOutstandingRequests,
            .privilegeRejected("x"), .transport("x"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(!error.description.isEmpty)
        }
        #expect(
            IPMIError.rakpStatus(0x0D, step: "RAKP 2").description
                == "authentication failed: RAKP 2 status 0x0d (unauthorized name)")
        #expect(IPMIError.rakpStatus(0x0D, step: "RAKP 2").isAuthenticationFailure)
        #expect(!IPMIError.rakpStatus(0x01, step: "Open Session").isAuthenticationFailure)
        #expect(IPMIError.timeout("after 5 s").description == "timeout after 5 s")
        #expect(IPMIError.timeout().code == .timeout)
    }

    @Test func routingKeys() throws {
        let c3 = Capture("ipmitool-lanplus-C3.txt")
        // Pre-session v1.5 answer, then Open Session Response, RAKP 2, RAKP 4 (ID in the payload), then
        // in-session packets (ID in the header).
        #expect(routingKey(ofDatagramFromBMC: c3.bmc[0]) == .preSession)
        for datagram in c3.bmc.dropFirst() {
            #expect(routingKey(ofDatagramFromBMC: datagram) == .session(consoleSessionID: 0xA0A2_A3A4))
        }
        #expect(routingKey(ofDatagramFromBMC: []) == nil)
        // An RMCP ACK (class bit 7) and an ASF presence pong (class 6) are not IPMI.
        #expect(routingKey(ofDatagramFromBMC: [0x06, 0x00, 0x00, 0x86]) == nil)
        #expect(routingKey(ofDatagramFromBMC: [0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE]) == nil)
        // RMCP+ with session ID 0 and an IPMI payload is session-less.
        let sessionless = RMCPPlusPacket(payloadType: .ipmi, payload: [1, 2, 3]).encode()
        #expect(routingKey(ofDatagramFromBMC: sessionless) == .preSession)
        // A truncated RAKP 2 cannot be routed.
        #expect(routingKey(ofDatagramFromBMC: Array(c3.bmc[2].prefix(18))) == nil)
    }

    @Test func privilegeNames() {
        #expect(PrivilegeLevel(name: "ADMINISTRATOR") == .administrator)
        #expect(PrivilegeLevel(name: "operator") == .operator)
        #expect(PrivilegeLevel(name: "4") == .administrator)
        #expect(PrivilegeLevel(name: "root") == nil)
    }

    @Test func hexHelpers() {
        #expect([UInt8](hex: "0a ff 10") == [0x0A, 0xFF, 0x10])
        #expect([UInt8](hex: "0") == nil)
        #expect([UInt8](hex: "zz") == nil)
        #expect([0x0A, 0xFF].hexDump == "0a ff")
    }
}

@Suite("Packet descriptions for debug logs")
struct PacketDescriptionTests {
    @Test func describesCapturedPackets() {
        let c3 = Capture("ipmitool-lanplus-C3.txt")
        #expect(
            PacketDescription.describe(c3.console[0])
                == "IPMI v1.5 session 0x0 seq 0, request netFn 0x06 cmd 0x38 rqSeq 0 data 2 bytes")
        #expect(PacketDescription.describe(c3.bmc[1]).hasPrefix("RMCP+ Open Session Response session 0x0 seq 0"))
        #expect(
            PacketDescription.describe(c3.console[4])
                == "RMCP+ IPMI encrypted authenticated session 0x82 seq 3 payload 32 bytes")
        #expect(PacketDescription.describe([1, 2, 3]) == "non-IPMI datagram, 3 bytes")
        let c1 = Capture("ipmitool-lanplus-C1.txt")
        #expect(PacketDescription.describe(c1.bmc[6]).contains("response netFn 0x07 cmd 0x01 rqSeq 3"))
    }
}

@Suite("No secrets in printed values")
struct RedactionTests {
    @Test func dumpAndDescriptionsHideSecrets() throws {
        let vector = HandshakeTests.vector("suite 17 with K_g, operator, empty user")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        let (machine, _) = try HandshakeTests.replay(vector, until: index + 1)
        #expect(machine.isEstablished)
        let keys = SessionKeys(authentication: .hmacSHA256, sik: [UInt8](repeating: 0xAB, count: 32))
        var output = ""
        dump(machine, to: &output)
        dump(machine.configuration, to: &output)
        dump(keys, to: &output)
        output += "\(machine) \(String(reflecting: machine)) \(keys) \(String(reflecting: keys))"
        output += "\(machine.configuration) \(String(reflecting: machine.configuration))"
        // The password is "secret" (736563726574) and K_g starts 0102030405; neither may appear in any form.
        for secret in ["secret", "115, 101, 99", "736563", "0x73", "171, 171", "ab ab", "1, 2, 3, 4, 5"] {
            #expect(!output.contains(secret), "found \(secret) in \(output)")
        }
        #expect(output.contains("redacted"))
    }
}
