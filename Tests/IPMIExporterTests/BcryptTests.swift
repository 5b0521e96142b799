import Foundation
import IPMITestSupport
import NIOHTTP1
import Testing

@testable import IPMIExporter

/// bcrypt against published vectors and against hashes made at test time by independent implementations:
/// Debian's python3-bcrypt (OpenBSD's C code) and, when installed, Apache's `htpasswd -B` (its `$2y$`).
@Suite struct BcryptTests {
    /// Vectors from the OpenBSD, OpenWall crypt_blowfish and jBCrypt test suites.
    @Test(arguments: [
        ("", "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s."),
        ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
        ("abcdefghijklmnopqrstuvwxyz", "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"),
    ])
    func publishedVectors(password: String, hash: String) async throws {
        let parsed = try #require(BcryptHash(parsing: hash))
        // Up to cost 10, a second of CPU in a debug build: once per vector, off the cooperative pool, which
        // other tests' servers need.
        let remade = try await offPool {
            BcryptHash.make(password: Array(password.utf8), salt: parsed.salt, cost: parsed.cost)
        }
        #expect(remade?.digest == parsed.digest)
        #expect(remade?.text.dropFirst(4) == hash.dropFirst(4))
        if parsed.cost <= 6 {
            let wrong = try await offPool { parsed.verify(password: Array((password + "x").utf8)) }
            #expect(!wrong)
        }
    }

    /// Blowfish starts from the hexadecimal digits of π: P1 = 243F6A88, P18 = 8979FB1B, S1[0] = D1310BA6 and
    /// S4[255] = 3AC372E6, as listed in Schneier's description.
    @Test func initialStateIsPi() {
        let state = Blowfish.initialState
        #expect(state.count == 18 + 4 * 256)
        #expect(state[0] == 0x243F_6A88)
        #expect(state[17] == 0x8979_FB1B)
        #expect(state[18] == 0xD131_0BA6)
        #expect(state[state.count - 1] == 0x3AC3_72E6)
    }

    /// Passwords and hashes from python3-bcrypt, each version prefix, several costs, 8-bit and 72-byte
    /// passwords; our hash from the same salt must be the same text.
    @Test func agreesWithPythonBcrypt() async throws {
        let passwords = ["correct horse", "", "pässwörd ✓", String(repeating: "x", count: 72), "a:b:c"]
        let script = """
            import bcrypt, sys
            for i, line in enumerate(sys.stdin.read().split("\\n")[:-1]):
                pw = bytes.fromhex(line)
                salt = bcrypt.gensalt(4 + i % 3, prefix=[b"2a", b"2b"][i % 2])
                print(bcrypt.hashpw(pw, salt).decode())
            """
        let input = passwords.map { Array($0.utf8).map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
        let hashes = try await Self.python(script, stdin: input + "\n")
        #expect(hashes.count == passwords.count)
        for (password, text) in zip(passwords, hashes) {
            let hash = try #require(BcryptHash(parsing: text), "python gave \(text)")
            let (right, wrong, ours) = try await offPool {
                (
                    hash.verify(password: Array(password.utf8)), hash.verify(password: Array((password + "!").utf8)),
                    BcryptHash.make(password: Array(password.utf8), salt: hash.salt, cost: hash.cost)
                )
            }
            #expect(right, "\(text)")
            #expect(!wrong)
            #expect(ours?.digest == hash.digest)
        }
    }

    /// Our hashes verify with python3-bcrypt.
    @Test func pythonBcryptAcceptsOurHashes() async throws {
        let salt = (0..<16).map { UInt8($0 * 17 & 0xFF) }
        let ours = try #require(BcryptHash.make(password: Array("s3cret".utf8), salt: salt, cost: 5))
        let script = """
            import bcrypt, sys
            h = sys.stdin.read().strip().encode()
            print(bcrypt.checkpw(b"s3cret", h), bcrypt.checkpw(b"s3cret!", h))
            """
        #expect(try await Self.python(script, stdin: ours.text) == ["True False"])
    }

    @Test func agreesWithHtpasswd() async throws {
        guard ExternalCommand.locate("htpasswd") != nil else {
            print("htpasswd not installed (apache2-utils): skipped")
            return
        }
        for (cost, password) in [(4, "prometheus"), (5, "with space and ümlaut")] {
            let result = try await offPool {
                try ExternalCommand.run("htpasswd", ["-nbBC", "\(cost)", "user", password])
            }
            #expect(result.status == 0)
            let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let text = String(line.drop { $0 != ":" }.dropFirst())
            #expect(text.hasPrefix("$2y$0\(cost)$"))
            let hash = try #require(BcryptHash(parsing: text), "htpasswd gave \(text)")
            #expect(hash.verify(password: Array(password.utf8)))
            #expect(!hash.verify(password: Array(password.uppercased().utf8)))
        }
    }

    @Test(arguments: [
        "",
        "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s",  // one short
        "$2x$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // unknown version
        "$2a$03$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // cost below 4
        "$2a$32$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // cost above 31
        "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s!",  // not in the alphabet
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",  // MD5-crypt
        "plain text password",
    ])
    func rejectsWhatIsNotABcryptHash(text: String) {
        #expect(BcryptHash(parsing: text) == nil)
    }

    @Test func passwordsLongerThan72BytesNeverMatch() throws {
        let salt = [UInt8](repeating: 7, count: 16)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 73)
        #expect(BcryptHash.make(password: long, salt: salt, cost: 4) == nil)
        let hash = try #require(BcryptHash.make(password: long.prefix(72), salt: salt, cost: 4))
        #expect(hash.verify(password: long.prefix(72)))
        #expect(!hash.verify(password: long))
    }

    @Test func neverPrintsTheHash() throws {
        let text = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        let hash = try #require(BcryptHash(parsing: text))
        var dumped = ""
        dump(hash, to: &dumped)
        for shown in ["\(hash)", String(reflecting: hash), dumped] {
            #expect(!shown.contains("CCCCCCCC"))
            #expect(!shown.contains("E5YPO9"))
        }
    }

    /// Runs Debian's python3 (which has python3-bcrypt, unlike a pyenv python on PATH); lines of output.
    static func python(_ script: String, stdin: String) async throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bcrypt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptFile = directory.appendingPathComponent("script.py")
        let inputFile = directory.appendingPathComponent("input")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        try stdin.write(to: inputFile, atomically: true, encoding: .utf8)
        let python = ExternalCommand.locate("/usr/bin/python3") ?? "python3"
        let result = try await offPool {
            try ExternalCommand.run(
                "/bin/sh", ["-c", "\"$0\" \"$1\" < \"$2\"", python, scriptFile.path, inputFile.path])
        }
        guard result.status == 0 else { throw ToolFailure(description: "python3: \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }
}

@Suite struct BasicAuthenticatorTests {
    static let salt = (0..<16).map { UInt8($0) }

    static func authorization(_ user: String, _ password: String) -> HTTPHeaders {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test func acceptsTheRightPasswordAndCachesIt() async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw:with:colons".utf8), salt: Self.salt, cost: 4))
        let authenticator = BasicAuthenticator(users: ["prom": hash])
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw:with:colons")) == "prom")
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw:with:colons")) == "prom")
        #expect(authenticator.bcryptComputations == 1)
        #expect(await authenticator.authenticate(Self.authorization("prom", "wrong")) == nil)
        #expect(await authenticator.authenticate(Self.authorization("prom", "wrong")) == nil)
        #expect(authenticator.bcryptComputations == 3)  // failures are never cached
    }

    @Test func refusesWithoutHashingBeyondThePendingLimit() async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), salt: Self.salt, cost: 4))
        let authenticator = BasicAuthenticator(users: ["prom": hash], maxPendingComputations: 0)
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw")) == nil)
        #expect(authenticator.bcryptComputations == 0)
    }

    @Test func unknownUsersCostABcryptComputationToo() async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), salt: Self.salt, cost: 4))
        let authenticator = BasicAuthenticator(users: ["prom": hash])
        #expect(await authenticator.authenticate(Self.authorization("other", "pw")) == nil)
        #expect(authenticator.bcryptComputations == 1)
    }

    @Test(
        arguments: [
            [:], ["Authorization": "Bearer abc"], ["Authorization": "Basic !!!"],
            ["Authorization": "Basic " + Data("no-colon".utf8).base64EncodedString()],
        ] as [HTTPHeaders])
    func refusesMissingOrMalformedCredentialsWithoutHashing(headers: HTTPHeaders) async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), salt: Self.salt, cost: 4))
        let authenticator = BasicAuthenticator(users: ["prom": hash])
        #expect(await authenticator.authenticate(headers) == nil)
        #expect(authenticator.bcryptComputations == 0)
    }
}

/// A helper program that failed, with what it said.
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}
