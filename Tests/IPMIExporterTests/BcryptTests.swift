import Foundation
import IPMIClient
import IPMITestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// bcrypt (libxcrypt's) against published vectors and against hashes made at test time by independent
/// implementations: Debian's python3-bcrypt (`$2a$`, `$2b$`) and Apache's `htpasswd -B` (`$2y$`).
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
        // Off the cooperative pool, which other tests' servers need: a cost-10 check takes tens of milliseconds.
        let (right, wrong) = try await offPool {
            (parsed.verify(password: Array(password.utf8)), parsed.verify(password: Array((password + "x").utf8)))
        }
        #expect(right)
        #expect(!wrong)
    }

    /// Passwords and hashes from python3-bcrypt: `$2a$` and `$2b$`, costs 4 to 6, 8-bit and 72-byte passwords.
    @Test func verifiesPythonBcryptHashes() async throws {
        guard try await Self.pythonBcryptAvailable() else { return }
        let passwords = ["correct horse", "", "pässwörd ✓", String(repeating: "x", count: 72), "a:b:c", "6 cost"]
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
        #expect(Set(hashes.map { $0.prefix(7) }) == ["$2a$04$", "$2b$05$", "$2a$06$", "$2b$04$", "$2a$05$", "$2b$06$"])
        for (password, text) in zip(passwords, hashes) {
            let hash = try #require(BcryptHash(parsing: text), "python gave \(text)")
            let (right, wrong) = try await offPool {
                (hash.verify(password: Array(password.utf8)), hash.verify(password: Array((password + "!").utf8)))
            }
            #expect(right, "\(text)")
            #expect(!wrong)
        }
    }

    /// Hashes libxcrypt makes (the tests' own) verify with python3-bcrypt: each version, so libxcrypt's `$2y$`
    /// and `$2a$` are the same bcrypt as everyone else's.
    @Test(arguments: BcryptHash.versions)
    func pythonBcryptAcceptsLibxcryptHashes(version: String) async throws {
        guard try await Self.pythonBcryptAvailable() else { return }
        let ours = try #require(BcryptHash.make(password: Array("s3cret ü".utf8), cost: 5, version: version))
        #expect(ours.text.hasPrefix("$\(version)$05$"))
        let script = """
            import bcrypt, sys
            h = sys.stdin.read().strip().replace("$2y$", "$2b$").encode()
            print(bcrypt.checkpw("s3cret ü".encode(), h), bcrypt.checkpw(b"s3cret", h))
            """
        #expect(try await Self.python(script, stdin: ours.text) == ["True False"])
    }

    /// `htpasswd -B` (Apache's own bcrypt, `$2y$`) at costs 4, 5 and 10.
    @Test(arguments: [(4, "prometheus"), (5, "with space and ümlaut"), (10, "cost:ten")])
    func verifiesHtpasswdHashes(cost: Int, password: String) async throws {
        guard Self.toolAvailable("htpasswd", package: "apache2-utils") else { return }
        let text = try await Self.htpasswd(user: "user", password: password, cost: cost)
        #expect(text.hasPrefix(cost < 10 ? "$2y$0\(cost)$" : "$2y$\(cost)$"))
        let hash = try #require(BcryptHash(parsing: text), "htpasswd gave \(text)")
        #expect(hash.cost == cost)
        let (right, wrong) = try await offPool {
            (hash.verify(password: Array(password.utf8)), hash.verify(password: Array(password.uppercased().utf8)))
        }
        #expect(right)
        #expect(!wrong)
    }

    @Test(arguments: [
        "",
        "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s",  // one short
        "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s..",  // one long
        "$2x$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // the buggy version libxcrypt still has
        "$2$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s..",  // the original, without a letter
        "$2a$03$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // cost below 4
        "$2a$32$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // cost above 31
        "$2a$6$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s..",  // cost of one digit
        "$2a$06$DCq7YPn5Rq63x1Lad4cll!TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",  // salt not in the alphabet
        "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s!",  // hash not in the alphabet
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",  // MD5-crypt
        "$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.",
        "plain text password",
    ])
    func rejectsWhatIsNotABcryptHash(text: String) {
        #expect(BcryptHash(parsing: text) == nil)
    }

    /// Go ignores the 4 unused bits of the salt's last character; libxcrypt writes them cleared. A hash written
    /// with them set still verifies, because only the hash part is compared.
    @Test func unusedSaltBitsDoNotMatter() throws {
        let hash = try #require(BcryptHash(parsing: "$2a$05$CCCCCCCCCCCCCCCCCCCCC/E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"))
        #expect(hash.verify(password: Array("U*U".utf8)))
        #expect(!hash.verify(password: Array("U*U*".utf8)))
    }

    @Test func passwordsLongerThan72BytesOrWithNULNeverMatch() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 73)
        #expect(BcryptHash.make(password: long, cost: 4) == nil)
        let hash = try #require(BcryptHash.make(password: long.prefix(72), cost: 4))
        #expect(hash.verify(password: long.prefix(72)))
        #expect(!hash.verify(password: long))  // bcrypt alone would ignore the 73rd byte

        let short = try #require(BcryptHash.make(password: Array("a".utf8), cost: 4))
        #expect(short.verify(password: Array("a".utf8)))
        #expect(!short.verify(password: [UInt8(ascii: "a"), 0, UInt8(ascii: "b")]))  // crypt would read "a"
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

    /// Whether an external tool is installed. A test without it returns early, except under `CI=true`, where
    /// the missing tool is recorded as a failure: there, a test that skipped itself would pass by accident.
    static func toolAvailable(
        _ name: String, package: String, present: Bool? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        if present ?? (ExternalCommand.locate(name) != nil) { return true }
        let message = "\(name) is not installed (\(package); scripts/install-deps.sh installs it)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        } else {
            print("\(message): skipped")
        }
        return false
    }

    /// Whether Debian's python3 can import bcrypt; see ``toolAvailable(_:package:present:sourceLocation:)``.
    static func pythonBcryptAvailable(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Bool {
        let python = ExternalCommand.locate("/usr/bin/python3") ?? "python3"
        let present = (try? await ExternalCommand.run(python, ["-c", "import bcrypt"]))?.status == 0
        return toolAvailable(
            "python3-bcrypt", package: "python3-bcrypt", present: present, sourceLocation: sourceLocation)
    }

    /// A hash from `htpasswd -nbB` (the password on its command line is a test's).
    static func htpasswd(user: String, password: String, cost: Int) async throws -> String {
        let line = try await ExternalCommand.output("htpasswd", ["-nbBC", "\(cost)", user, password])
        return String(line.trimmingCharacters(in: .whitespacesAndNewlines).drop { $0 != ":" }.dropFirst())
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
    static func authorization(_ user: String, _ password: String) -> HTTPHeaders {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    /// bcrypt through a verifier that records each hash it was asked about.
    final class CountingVerifier: Sendable {
        private let checked = NIOLockedValueBox<[BcryptHash]>([])
        var calls: Int { checked.withLockedValue { $0.count } }
        var hashes: [BcryptHash] { checked.withLockedValue { $0 } }

        func authenticator(
            _ users: [String: BcryptHash], maxPendingComputations: Int = 32
        ) -> BasicAuthenticator {
            BasicAuthenticator(users: users, maxPendingComputations: maxPendingComputations) { hash, password in
                self.checked.withLockedValue { $0.append(hash) }
                return hash.verify(password: password)
            }
        }
    }

    @Test func acceptsTheRightPasswordAndCachesOnlyIt() async throws {
        let prom = try #require(BcryptHash.make(password: Array("pw:with:colons".utf8), cost: 4))
        let other = try #require(BcryptHash.make(password: Array("pw:with:colons".utf8), cost: 4))
        let verifier = CountingVerifier()
        let authenticator = verifier.authenticator(["prom": prom, "other": other])
        let right = Self.authorization("prom", "pw:with:colons")
        #expect(await authenticator.authenticate(right) == .authenticated(user: "prom"))
        #expect(verifier.calls == 1)
        // The next scrape: no bcrypt.
        #expect(await authenticator.authenticate(right) == .authenticated(user: "prom"))
        #expect(verifier.calls == 1)
        // Another password for the same user is not served from the cache, nor is it cached when wrong.
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw:with:colonsX")) == .invalidCredentials)
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw:with:colonsX")) == .invalidCredentials)
        #expect(verifier.calls == 3)
        // The same password for another user is checked against that user's hash.
        #expect(
            await authenticator.authenticate(Self.authorization("other", "pw:with:colons"))
                == .authenticated(user: "other"))
        #expect(verifier.calls == 4)
        #expect(verifier.hashes == [prom, prom, prom, other])
    }

    @Test func refusesWithoutHashingBeyondThePendingLimit() async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), cost: 4))
        let verifier = CountingVerifier()
        let authenticator = verifier.authenticator(["prom": hash], maxPendingComputations: 0)
        #expect(await authenticator.authenticate(Self.authorization("prom", "pw")) == .overloaded)
        #expect(verifier.calls == 0)
    }

    /// An unknown user costs a bcrypt of the dearest configured cost, and is refused as a wrong password is.
    @Test func unknownUsersCostABcryptComputationToo() async throws {
        let cheap = try #require(BcryptHash.make(password: Array("pw".utf8), cost: 4))
        let dear = try #require(BcryptHash.make(password: Array("pw".utf8), cost: 6))
        let verifier = CountingVerifier()
        let authenticator = verifier.authenticator(["prom": cheap, "grafana": dear])
        #expect(await authenticator.authenticate(Self.authorization("other", "pw")) == .invalidCredentials)
        #expect(await authenticator.authenticate(Self.authorization("other", "pw")) == .invalidCredentials)
        #expect(verifier.hashes.map(\.cost) == [6, 6])
        // The decoy is a hash libxcrypt computes in full, not one it refuses at once.
        let decoy = try #require(verifier.hashes.first)
        #expect(BcryptHash(parsing: decoy.text) == decoy)
    }

    @Test(
        arguments: [
            [:], ["Authorization": "Bearer abc"], ["Authorization": "Basic !!!"],
            ["Authorization": "Basic " + Data("no-colon".utf8).base64EncodedString()],
        ] as [HTTPHeaders])
    func refusesMissingOrMalformedCredentialsWithoutHashing(headers: HTTPHeaders) async throws {
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), cost: 4))
        let verifier = CountingVerifier()
        let authenticator = verifier.authenticator(["prom": hash])
        #expect(await authenticator.authenticate(headers) == .noCredentials)
        #expect(verifier.calls == 0)
    }

    /// A request is served on an event loop (ExporterHTTPHandler runs the router there); bcrypt must not run on
    /// it, and the loop keeps serving while a check is under way.
    @Test func bcryptRunsOffTheEventLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let hash = try #require(BcryptHash.make(password: Array("pw".utf8), cost: 4))
        let started = AsyncStream<Bool>.makeStream()
        let release = DispatchSemaphore(value: 0)
        let authenticator = BasicAuthenticator(users: ["prom": hash]) { hash, password in
            started.continuation.yield(MultiThreadedEventLoopGroup.currentEventLoop != nil)
            // Bounded, so that a check wrongly run on the loop fails the test below instead of hanging it.
            _ = release.wait(timeout: .now() + 10)
            return hash.verify(password: password)
        }
        let check = Task(executorPreference: EventLoopTaskExecutor(eventLoop: loop)) {
            #expect(loop.inEventLoop)
            return await authenticator.authenticate(Self.authorization("prom", "pw"))
        }
        var events = started.stream.makeAsyncIterator()
        #expect(await events.next() == false)
        // The check waits on another thread; the loop that asked for it still runs other work.
        #expect(try await loop.submit { true }.get())
        release.signal()
        #expect(await check.value == .authenticated(user: "prom"))
        try await group.shutdownGracefully()
    }
}

/// A helper program that failed, with what it said.
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}
