import Foundation
import IPMI
import Testing

/// Random bytes handed out in a scripted order; zeros (and a flag) once exhausted.
final class ScriptedRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: [UInt8]
    private(set) var exhausted = false

    init(_ bytes: [UInt8]) { remaining = bytes }

    func bytes(_ count: Int) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let taken = Array(remaining.prefix(count))
        remaining.removeFirst(taken.count)
        if taken.count < count { exhausted = true }
        return taken + [UInt8](repeating: 0, count: count - taken.count)
    }

    var leftOver: Int {
        lock.lock()
        defer { lock.unlock() }
        return remaining.count
    }
}

func hex(_ string: String) -> [UInt8] {
    guard let bytes = [UInt8](hex: string) else { fatalError("bad hex in fixture: \(string)") }
    return bytes
}

func fixtureURL(_ name: String) -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        fatalError("missing fixture \(name)")
    }
    return url
}

struct Vectors: Decodable {
    struct RAKP: Decodable, Sendable, CustomTestStringConvertible {
        var authentication: UInt8
        var password: String
        var kg: String?
        var rm, rc, guid: String
        var sidm, sidc: UInt32
        var role: UInt8
        var username: String
        var rakp2, rakp3, sik, k1, k2, rakp4: String
        var testDescription: String { "auth \(authentication) role 0x\(String(role, radix: 16)) kg \(kg != nil)" }
    }

    struct Integrity: Decodable, Sendable, CustomTestStringConvertible {
        var integrity: UInt8
        var k1, password, data, authCode: String
        var testDescription: String { "integrity \(integrity) password \(password.count / 2) bytes" }
    }

    struct AES: Decodable, Sendable, CustomTestStringConvertible {
        var key, iv, payload, plaintextWithTrailer, encrypted: String
        var testDescription: String { "\(payload.count / 2) bytes" }
    }

    struct Step: Decodable, Sendable {
        var client: String?
        var bmc: String?
        var expect: String?
    }

    struct Handshake: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var suite: UInt8
        var negotiate: Bool
        var username: String
        var password: String
        var kg: String?
        var privilege: UInt8
        var consoleSessionID: UInt32
        var managedSessionID: UInt32
        var bridge: [UInt8]?
        var random: String
        var deviceID: String
        var completionCode: UInt8
        var steps: [Step]
        var testDescription: String { name }
    }

    var rakp: [RAKP]
    var integrity: [Integrity]
    var aes: [AES]
    var handshakes: [Handshake]

    static let shared: Vectors = {
        do {
            let data = try Data(contentsOf: fixtureURL("vectors.json"))
            return try JSONDecoder().decode(Vectors.self, from: data)
        } catch {
            fatalError("cannot load vectors.json: \(error)")
        }
    }()
}

/// A captured ipmitool session: datagrams in order, `fromConsole` true for console → BMC.
struct Capture {
    var datagrams: [(fromConsole: Bool, bytes: [UInt8])]

    init(_ name: String) {
        let text = (try? String(contentsOf: fixtureURL(name), encoding: .utf8)) ?? ""
        datagrams = text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = [UInt8](hex: String(parts[1])) else { return nil }
            return (parts[0] == "C", bytes)
        }
    }

    var console: [[UInt8]] { datagrams.filter(\.fromConsole).map(\.bytes) }
    var bmc: [[UInt8]] { datagrams.filter { !$0.fromConsole }.map(\.bytes) }
}

extension Vectors.Handshake {
    func configuration() throws -> SessionConfiguration {
        let credentials = try SessionCredentials(
            username: username, password: hex(password), kg: kg.map(hex))
        return SessionConfiguration(
            credentials: credentials, privilege: PrivilegeLevel(rawValue: privilege)!,
            cipherSuite: negotiate ? nil : CipherSuite(id: suite), allowUnauthenticated: suite == 0,
            bridge: bridge.map { BridgeTarget(channel: $0[0], address: $0[1]) }, consoleSessionID: consoleSessionID)
    }
}
