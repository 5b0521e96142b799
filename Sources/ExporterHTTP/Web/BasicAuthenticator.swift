import Foundation
import IPMIExporter
import NIOConcurrencyHelpers
import NIOHTTP1
import NIOPosix

/// Checks `Authorization: Basic` against the bcrypt hashes of `basic_auth_users`.
///
/// bcrypt is slow on purpose (cost 10 takes about 80 ms), and Prometheus sends the same credentials with
/// every scrape, so a successful check is remembered, as exporter-toolkit does. The cache is keyed by an
/// HMAC-SHA-256, under a key random to each authenticator, of user, hash and password, so it holds no
/// password, nothing a guess can be tested against without that key, and nothing that matches after the hash
/// changed. Failures are not remembered. An unknown user costs a bcrypt computation too, so response time
/// does not tell which users exist.
///
/// bcrypt runs on NIO's blocking-work thread pool, neither on the event loop that serves the connection nor on
/// Swift's cooperative pool (one thread per core, which also runs every scrape), and at most
/// ``maxPendingComputations`` wait at once: a flood of wrong passwords costs CPU but cannot stall scrapes or
/// queue without bound; beyond the limit a request whose credentials are not already known good is refused
/// without hashing.
public final class BasicAuthenticator: Sendable {
    /// What became of a request's credentials.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case authenticated(user: String)
        /// No `Authorization: Basic` header, or one that is not base 64 of `user:password`.
        case noCredentials
        /// An unknown user or a wrong password, deliberately not told apart.
        case invalidCredentials
        /// Too many checks were waiting; refused without hashing.
        case overloaded

        /// The user, when authenticated.
        public var user: String? {
            if case .authenticated(let user) = self { user } else { nil }
        }

        /// For the log: never the user, who may have typed a password into the user field.
        public var description: String {
            switch self {
            case .authenticated: "authenticated"
            case .noCredentials: "no credentials"
            case .invalidCredentials: "invalid credentials"
            case .overloaded: "too many password checks pending"
            }
        }
    }

    /// Checks a password against a hash: bcrypt, or in tests a wrapper that counts the calls.
    public typealias Verifier = @Sendable (_ hash: BcryptHash, _ password: [UInt8]) -> Bool

    private let users: [String: BcryptHash]
    /// Compared against for unknown users: same cost as the dearest configured hash, matches no password.
    private let decoy: BcryptHash
    private let cacheKeySecret: [UInt8]
    private let verified = NIOLockedValueBox<Set<[UInt8]>>([])
    private let pending = NIOLockedValueBox(0)
    private let threadPool: NIOThreadPool
    private let verifier: Verifier
    public let maxPendingComputations: Int

    /// Enough for every user and password a deployment uses; cleared when full.
    static let cacheLimit = 1024

    public init(
        users: [String: BcryptHash], threadPool: NIOThreadPool = .singleton, maxPendingComputations: Int = 32,
        verifier: @escaping Verifier = { hash, password in hash.verify(password: password) }
    ) {
        self.users = users
        self.threadPool = threadPool
        self.maxPendingComputations = maxPendingComputations
        self.verifier = verifier
        self.decoy = BcryptHash.decoy(cost: users.values.map(\.cost).max() ?? BcryptHash.costs.lowerBound)
        var generator = SystemRandomNumberGenerator()
        self.cacheKeySecret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Whether the request's credentials are valid, and if not, why.
    public func authenticate(_ headers: HTTPHeaders) async -> Outcome {
        guard let (user, password) = Self.credentials(headers) else { return .noCredentials }
        let hash = users[user]
        // Only known users' successes are cached, so unknown users need no key.
        let cacheKey = hash.flatMap { self.cacheKey(user: user, hash: $0, password: password) }
        if let cacheKey, verified.withLockedValue({ $0.contains(cacheKey) }) {
            return .authenticated(user: user)
        }
        let admitted = pending.withLockedValue { pending in
            guard pending < maxPendingComputations else { return false }
            pending += 1
            return true
        }
        guard admitted else { return .overloaded }
        defer { pending.withLockedValue { $0 -= 1 } }
        let candidate = hash ?? decoy
        let verifier = self.verifier
        let check: @Sendable () -> Bool = { verifier(candidate, password) }
        let matches = (try? await threadPool.runIfActive(check)) ?? false
        guard matches, hash != nil else { return .invalidCredentials }
        if let cacheKey {
            verified.withLockedValue { cache in
                if cache.count >= Self.cacheLimit { cache.removeAll() }
                cache.insert(cacheKey)
            }
        }
        return .authenticated(user: user)
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

    /// Each field behind its length, so no two different (user, hash, password) give the same message; nil if
    /// OpenSSL fails, and then the check is simply not cached.
    private func cacheKey(user: String, hash: BcryptHash, password: [UInt8]) -> [UInt8]? {
        var message: [UInt8] = []
        for field in [Array(user.utf8), Array(hash.text.utf8), password] {
            withUnsafeBytes(of: UInt32(field.count).bigEndian) { message += $0 }
            message += field
        }
        return WebCrypto.hmacSHA256(key: cacheKeySecret, message)
    }
}
