/// One entry of the top-level `credentials:` list: the user and password (and optionally K_g) for the targets
/// matching one of its patterns, so that BMCs with different passwords need no module each.
///
/// Precedence: the rules are tried in file order and the first whose patterns match the target (and whose
/// `modules`, when given, include the module scraped with) wins; its user and password replace the module's, its
/// K_g too when it has `kg_file`. Everything else (privilege, cipher suite, collectors, timeout …) stays the
/// module's. A target that no rule matches is scraped with the module's own `user` and password.
public struct CredentialRule: Hashable, Sendable, CustomStringConvertible {
    public var patterns: [TargetPattern]
    /// The modules the rule applies to; nil for every module.
    public var modules: Set<String>?
    public var user: String
    public var password: Secret
    /// Replaces the module's K_g when present; nil keeps the module's.
    public var kg: Secret?
    /// Where the rule starts in the config file: named in debug logs, so an operator sees which rule a scrape used.
    public var location: ConfigLocation

    public init(
        patterns: [TargetPattern], modules: Set<String>? = nil, user: String, password: Secret, kg: Secret? = nil,
        location: ConfigLocation
    ) {
        self.patterns = patterns
        self.modules = modules
        self.user = user
        self.password = password
        self.kg = kg
        self.location = location
    }

    /// True when the rule gives the credentials of `target` scraped with module `module`.
    public func applies(to target: ScrapeTarget, module: String) -> Bool {
        if let modules, !modules.contains(module) { return false }
        return patterns.contains { $0.matches(target) }
    }

    /// `module` with the rule's credentials.
    public func apply(to module: ModuleConfig) -> ModuleConfig {
        var module = module
        module.user = user
        module.password = password
        if let kg { module.kg = kg }
        return module
    }

    /// The rule without its secrets: where it is and whom it logs in as.
    public var description: String { "credentials at \(location) (user \(user))" }
}

/// A pattern of a credentials rule: a host or a glob of hosts, with or without a port.
///
/// - `*` stands for any run of characters (dots included, so `10.1.*` covers `10.1.2.3`), `?` for one; host names
///   compare without regard to case, as DNS does.
/// - Without a port (`10.1.*`, `bmc-*.example`, `fd00::*`) the pattern matches the host on any port; with one
///   (`bmc1.example:6230`, `[fd00::1]:623`) only on that port.
/// - It is matched against the target as requested (`target=` or the `targets:` entry), never a name resolved
///   from it: `10.1.*` does not match a host name that resolves into 10.1.0.0/16.
public struct TargetPattern: Hashable, Sendable, CustomStringConvertible {
    /// As written in the config file.
    public let text: String
    /// Lower-cased ASCII.
    private let host: [UInt8]
    private let port: Int?

    /// Parses a pattern, or throws a one-line reason.
    public init(parsing text: String) throws(TargetParseError) {
        guard !text.isEmpty else { throw TargetParseError("pattern is empty") }
        guard text.utf8.count <= 300 else { throw TargetParseError("pattern is too long") }
        let (hostText, portText, _) = try ScrapeTarget.split(text, what: "pattern")
        guard !hostText.isEmpty else { throw TargetParseError("pattern has no host") }
        for scalar in hostText.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_", ":", "%", "*", "?": continue
            default:
                throw TargetParseError(
                    "invalid character in pattern (a host name or address, with * and ? as wildcards)")
            }
        }
        if let portText {
            self.port = try ScrapeTarget.port(portText, what: "pattern (a number from 1 to 65535, no wildcards)")
        } else {
            self.port = nil
        }
        self.text = text
        self.host = Array(hostText.lowercased().utf8)
    }

    public var description: String { text }

    public func matches(_ target: ScrapeTarget) -> Bool {
        if let port, port != target.port { return false }
        return Self.glob(host, matches: Array(target.host.utf8))
    }

    /// Wildcard matching of `*` and `?` with ASCII case folded, by the usual two-pointer walk that backtracks only to
    /// the last `*`: linear in practice, at worst pattern length × text length, and no recursion a crafted target
    /// could make deep.
    static func glob(_ pattern: [UInt8], matches text: [UInt8]) -> Bool {
        var steps = 0
        return glob(pattern, matches: text, steps: &steps)
    }

    /// ``glob(_:matches:)`` that also counts the loop's steps, so a test can show the bound without timing it.
    static func glob(_ pattern: [UInt8], matches text: [UInt8], steps: inout Int) -> Bool {
        let star = UInt8(ascii: "*")
        let question = UInt8(ascii: "?")
        var p = 0
        var t = 0
        var lastStar: Int?
        var resume = 0
        while t < text.count {
            steps += 1
            if p < pattern.count, pattern[p] == question || pattern[p] == lower(text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == star {
                lastStar = p
                resume = t
                p += 1
            } else if let star = lastStar {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

extension ExporterConfig {
    /// The first `credentials:` rule for `target` scraped with module `module`, nil when none matches.
    public func credentialRule(for target: ScrapeTarget, module: String) -> CredentialRule? {
        credentials.first { $0.applies(to: target, module: module) }
    }

    /// The module a request names (absent or empty: `default`) with the credentials it has for `target`: those of
    /// the first matching `credentials:` rule, else its own. A module of a local driver needs none and is returned
    /// as it is.
    public func module(named name: String?, for target: ScrapeTarget) -> ModuleConfig? {
        guard let module = module(named: name) else { return nil }
        guard !module.isLocal, let rule = credentialRule(for: target, module: module.name) else { return module }
        return rule.apply(to: module)
    }
}
