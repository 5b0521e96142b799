import Foundation
import IPMI
import NIOConcurrencyHelpers
import NIOHTTP1
import NIOPosix

/// Checks `Authorization: Basic` against the bcrypt hashes of `basic_auth_users`.
///
/// bcrypt is slow on purpose (cost 10 takes about 90 ms), and Prometheus sends the same credentials with
/// every scrape, so a successful check is remembered, as exporter-toolkit does: keyed by SHA-256 of user,
/// hash and password, so the password itself is not kept and a changed hash is checked afresh. Failures are
/// not remembered. An unknown user costs a bcrypt computation too, so response time does not tell which
/// users exist.
///
/// bcrypt runs on NIO's blocking-work thread pool, not on Swift's cooperative pool (which has one thread per
/// core and also runs every scrape), and at most ``maxPendingComputations`` wait at once: a flood of wrong
/// passwords costs CPU but cannot stall scrapes or queue without bound; beyond the limit a request whose
/// credentials are not already known good is refused without hashing.
public final class BasicAuthenticator: Sendable {
    private let users: [String: BcryptHash]
    /// Compared against for unknown users: same cost as the dearest configured hash, matches no password.
    private let decoy: BcryptHash
    private let verified = NIOLockedValueBox<Set<[UInt8]>>([])
    private let computations = NIOLockedValueBox(0)
    private let pending = NIOLockedValueBox(0)
    private let threadPool: NIOThreadPool
    public let maxPendingComputations: Int

    /// Enough for every user and password a deployment uses; cleared when full.
    static let cacheLimit = 1024

    public init(
        users: [String: BcryptHash], threadPool: NIOThreadPool = .singleton, maxPendingComputations: Int = 32
    ) {
        self.users = users
        self.threadPool = threadPool
        self.maxPendingComputations = maxPendingComputations
        let cost = users.values.map(\.cost).max() ?? BcryptHash.costs.lowerBound
        self.decoy = BcryptHash(
            cost: cost, salt: [UInt8](repeating: 0x5A, count: 16), digest: [UInt8](repeating: 0, count: 23))
    }

    /// How many bcrypt computations have been made (the cache's effect shows here).
    public var bcryptComputations: Int { computations.withLockedValue { $0 } }

    /// The user name if the request's credentials are valid; nil otherwise.
    public func authenticate(_ headers: HTTPHeaders) async -> String? {
        guard let (user, password) = Self.credentials(headers) else { return nil }
        let hash = users[user]
        let cacheKey = Self.cacheKey(user: user, hash: hash ?? decoy, password: password)
        if hash != nil, verified.withLockedValue({ $0.contains(cacheKey) }) {
            return user
        }
        let admitted = pending.withLockedValue { pending in
            guard pending < maxPendingComputations else { return false }
            pending += 1
            return true
        }
        guard admitted else { return nil }
        defer { pending.withLockedValue { $0 -= 1 } }
        computations.withLockedValue { $0 += 1 }
        let candidate = hash ?? decoy
        let matches = (try? await threadPool.runIfActive { candidate.verify(password: password) }) ?? false
        guard matches, hash != nil else { return nil }
        verified.withLockedValue { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache.insert(cacheKey)
        }
        return user
    }

    /// The 401 answer, with the challenge that makes browsers and curl ask for credentials.
    static let challenge = ExporterResponse.text(
        .unauthorized, "Unauthorized", headers: ["WWW-Authenticate": "Basic realm=\"ipmi-exporter\", charset=\"UTF-8\""]
    )

    /// User and password from `Authorization: Basic base64(user:password)`.
    static func credentials(_ headers: HTTPHeaders) -> (user: String, password: [UInt8])? {
        let values = headers["Authorization"]
        guard values.count == 1, let value = values.first else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        guard let user = String(validating: bytes[..<colon], as: UTF8.self) else { return nil }
        return (user, Array(bytes[(colon + 1)...]))
    }

    private static func cacheKey(user: String, hash: BcryptHash, password: [UInt8]) -> [UInt8] {
        var material = Array(user.utf8)
        material.append(0)
        material += Array(hash.text.utf8)
        material.append(0)
        material += password
        return Crypto.digest(.sha256, material)
    }
}
