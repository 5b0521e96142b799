import Yams

/// The top-level `credentials:` list (our addition) and `password_env`, kept apart from the module keys.
///
/// ```yaml
/// credentials:
///   - targets: ["10.1.*", "bmc-*.example", "db1.example:6230"]
///     user: monitor
///     password_file: /etc/ipmi-exporter/rack1.pass   # or password_env: RACK1_BMC_PASSWORD
///     kg_file: /etc/ipmi-exporter/rack1.kg           # optional
///     modules: [default, dell]                       # optional: only scrapes with these modules
/// ```
///
/// Secrets come only from files (read at load and at every reload, one trailing newline dropped) or the environment:
/// a rule has no inline password, so none ends up in the config file or a process's arguments.
extension Parser {
    /// Longest password RAKP takes as the user key (IPMI v2.0 section 13.31).
    static let maximumPasswordBytes = 20

    mutating func credentialRules(
        _ node: Node, modules: [String: ModuleConfig]
    ) throws(ConfigError) -> [CredentialRule] {
        var rules: [CredentialRule] = []
        for item in try reader.sequence(node, "credentials") {
            let rule = try credentialRule(item, modules: modules)
            for pattern in rule.patterns {
                if let earlier = rules.first(where: { Self.shadows($0, pattern, in: rule) }) {
                    warn(
                        item,
                        "pattern \"\(pattern)\" never applies: the rule at line \(earlier.location.line) matches its "
                            + "targets first")
                }
            }
            rules.append(rule)
        }
        return rules
    }

    /// True when `earlier` takes every target `pattern` of `rule` could match (same pattern, or a bare `*`) for every
    /// module `rule` applies to.
    private static func shadows(_ earlier: CredentialRule, _ pattern: TargetPattern, in rule: CredentialRule) -> Bool {
        if let scope = earlier.modules {
            guard let modules = rule.modules, modules.isSubset(of: scope) else { return false }
        }
        return earlier.patterns.contains { $0.text == "*" || $0.text.lowercased() == pattern.text.lowercased() }
    }

    private mutating func credentialRule(
        _ node: Node, modules: [String: ModuleConfig]
    ) throws(ConfigError) -> CredentialRule {
        let what = "a credentials entry"
        var patterns: [TargetPattern] = []
        var patternsNode: Node?
        var scope: Set<String>?
        var user: String?
        var password: Secret?
        var passwordKey: Node?
        var kg: Secret?
        for (key, keyNode, value) in try reader.mapping(node, what) {
            switch key {
            case "targets":
                patternsNode = value
                patterns = try targetPatterns(value)
            case "modules":
                var names: Set<String> = []
                for item in try reader.sequence(value, "modules") {
                    let name = try reader.string(item, "module name")
                    guard let module = modules[name] else {
                        throw reader.error(item, "credentials entry names unknown module \"\(name)\"")
                    }
                    if module.isLocal {
                        warn(item, "module \"\(name)\" reads the local BMC, which needs no credentials")
                    }
                    names.insert(name)
                }
                guard !names.isEmpty else {
                    throw reader.error(value, "modules is empty: leave it out to apply the entry to every module")
                }
                scope = names
            case "user":
                user = try reader.string(value, "user")
            case "password_file", "password_env":
                if let passwordKey {
                    throw reader.error(
                        keyNode,
                        "give either password_file or password_env in \(what), not both (line \(reader.location(passwordKey).line))"
                    )
                }
                passwordKey = keyNode
                password =
                    key == "password_file"
                    ? try secretFile(value, key: key, maxBytes: Self.maximumPasswordBytes) : try secretVariable(value)
            case "kg_file":
                kg = try secretFile(value, key: "kg_file", maxBytes: 20)
            case "pass":
                // Deliberately not accepted: a rule exists to keep passwords out of the config file.
                throw reader.error(
                    keyNode, "a credentials entry takes its password from password_file or password_env, not pass")
            default:
                throw reader.error(
                    keyNode,
                    "unknown key \"\(key)\" in \(what) (valid: targets, user, password_file, password_env, kg_file, modules)"
                )
            }
        }
        guard let patternsNode else { throw reader.error(node, "credentials entry without targets") }
        guard !patterns.isEmpty else {
            throw reader.error(patternsNode, "targets of a credentials entry is empty")
        }
        guard let user else {
            throw reader.error(node, "credentials entry without a user (write user: \"\" for the null user)")
        }
        guard let password else {
            throw reader.error(
                node, "credentials entry without password_file or password_env (an empty file for no password)")
        }
        return CredentialRule(
            patterns: patterns, modules: scope, user: user, password: password, kg: kg,
            location: reader.location(node))
    }

    /// One pattern or a list of them.
    private func targetPatterns(_ node: Node) throws(ConfigError) -> [TargetPattern] {
        let items: [Node]
        if case .scalar = node, !reader.isNull(node) {
            items = [node]
        } else {
            items = try reader.sequence(node, "targets")
        }
        var patterns: [TargetPattern] = []
        for item in items {
            let text = try reader.string(item, "target pattern")
            do {
                patterns.append(try TargetPattern(parsing: text))
            } catch {
                throw reader.error(item, "invalid target pattern \"\(text)\": \(error.reason)")
            }
        }
        return patterns
    }

    /// The value of the environment variable `node` names. An unset variable is an error (most likely a unit file
    /// that lost its `Environment=`); a set but empty one is an empty password, as an empty password file is.
    func secretVariable(_ node: Node) throws(ConfigError) -> Secret {
        let name = try reader.string(node, "password_env")
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
            name.utf8.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            })
        else {
            throw reader.error(node, "password_env must name an environment variable (letters, digits and _)")
        }
        guard let value = environment[name] else {
            throw reader.error(node, "password_env: the environment variable \(name) is not set")
        }
        let secret = Secret(value)
        // The value is not quoted: only its length, which a reader of the error needs to fix it.
        guard secret.bytes.count <= Self.maximumPasswordBytes else {
            throw reader.error(
                node,
                "password_env: \(name) holds \(secret.bytes.count) bytes, more than the \(Self.maximumPasswordBytes) "
                    + "of an IPMI v2.0 password")
        }
        return secret
    }
}
