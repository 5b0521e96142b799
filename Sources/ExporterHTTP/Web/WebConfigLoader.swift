import Foundation
import IPMIExporter
import NIOCore
import NIOHTTP1
import NIOSSL
import Yams

/// Reads the exporter-toolkit web configuration file. Every problem (unknown key, wrong type, unreadable or
/// unusable certificate, malformed hash) stops start-up with file, line and column; secret values (keys,
/// hashes) are never quoted. Relative file names are relative to the web config file's directory, as in
/// exporter-toolkit.
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt            # or cert: inline PEM
///   key_file: server.key             # or key: inline PEM
///   client_auth_type: RequireAndVerifyClientCert
///   client_ca_file: clients-ca.crt   # or client_ca: inline PEM
///   client_allowed_sans: [prometheus.example.net]
///   min_version: TLS12               # TLS10 | TLS11 | TLS12 | TLS13
///   max_version: TLS13
///   cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
///   curve_preferences: [X25519, CurveP256]
/// http_server_config:
///   headers: {X-Content-Type-Options: nosniff}
/// basic_auth_users:
///   prometheus: $2y$10$...
/// rate_limit: {interval: 1s, burst: 20}
/// ```
public enum WebConfigLoader {
    public static func load(file path: String) throws(ConfigError) -> WebConfig {
        let text = try ConfigLoader.readText(file: path, what: "web config file")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, file: path, baseDirectory: directory)
    }

    /// Validates YAML text; `file` names it in messages and `baseDirectory` resolves relative file names.
    public static func parse(yaml: String, file: String, baseDirectory: String) throws(ConfigError) -> WebConfig {
        let reader = YAMLReader(file: file)
        let root = try ConfigLoader.compose(yaml: yaml, file: file)
        guard let root else { return WebConfig() }
        var parser = WebConfigParser(reader: reader, baseDirectory: baseDirectory)
        return try parser.config(root)
    }
}

private struct WebConfigParser {
    let reader: YAMLReader
    let baseDirectory: String
    var warnings: [ConfigWarning] = []
    var files: [String] = []

    mutating func config(_ root: Node) throws(ConfigError) -> WebConfig {
        var config = WebConfig()
        for (key, keyNode, value) in try reader.mapping(root, "the web config file") {
            switch key {
            case "tls_server_config": config.tls = try tls(value)
            case "http_server_config": config.responseHeaders = try httpServer(value)
            case "basic_auth_users": config.basicAuthUsers = try users(value)
            case "rate_limit": config.rateLimit = try rateLimit(value)
            default:
                throw reader.error(
                    keyNode,
                    "unknown key \"\(key)\" at the top level "
                        + "(expected tls_server_config, http_server_config, basic_auth_users or rate_limit)")
            }
        }
        config.warnings = warnings
        config.files = files
        return config
    }

    // MARK: tls_server_config

    private static let tlsKeys = [
        "cert", "key", "client_ca", "cert_file", "key_file", "client_ca_file", "client_auth_type",
        "client_allowed_sans", "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites",
        "curve_preferences",
    ]

    private mutating func tls(_ node: Node) throws(ConfigError) -> WebTLSConfig? {
        let entries = try reader.mapping(node, "tls_server_config")
        var values: [String: (keyNode: Node, value: Node)] = [:]
        for (key, keyNode, value) in entries {
            guard Self.tlsKeys.contains(key) else {
                throw reader.error(
                    keyNode,
                    "unknown key \"\(key)\" in tls_server_config (valid: \(Self.tlsKeys.joined(separator: ", ")))")
            }
            values[key] = (keyNode, value)
        }
        // As exporter-toolkit: TLS is on when a certificate, key, client CA or client auth type is given.
        let enabling = ["cert", "key", "cert_file", "key_file", "client_ca", "client_ca_file", "client_auth_type"]
        guard enabling.contains(where: { isSet(values[$0]) }) else {
            if let (_, entry) = values.first(where: { isSet($0.value) }) {
                warn(entry.keyNode, "tls_server_config has no certificate: TLS is off and its settings have no effect")
            }
            return nil
        }

        guard let certificates = try pem(values, inline: "cert", file: "cert_file", node, required: true) else {
            return nil
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificates.bytes)
        } catch {
            throw reader.error(certificates.node, "\(certificates.what) holds no usable PEM certificate")
        }
        guard !chain.isEmpty else {
            throw reader.error(certificates.node, "\(certificates.what) holds no PEM certificate")
        }
        guard let keyPEM = try pem(values, inline: "key", file: "key_file", node, required: true) else { return nil }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: keyPEM.bytes, format: .pem)
        } catch {
            throw reader.error(
                keyPEM.node, "\(keyPEM.what) holds no usable PEM private key (encrypted keys are not supported)")
        }

        var clientAuth = ClientAuthType.noClientCert
        if let entry = values["client_auth_type"], isSet(entry) {
            let text = try reader.string(entry.value, "client_auth_type")
            // RequireClientCert: exporter-toolkit's older name for RequireAnyClientCert, still accepted there.
            guard let parsed = ClientAuthType(rawValue: text == "RequireClientCert" ? "RequireAnyClientCert" : text)
            else {
                let valid = ClientAuthType.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error(entry.value, "invalid client_auth_type \"\(text)\" (valid: \(valid))")
            }
            clientAuth = parsed
        }
        var clientCAs: [NIOSSLCertificate] = []
        if let caPEM = try pem(values, inline: "client_ca", file: "client_ca_file", node, required: false) {
            do {
                clientCAs = try NIOSSLCertificate.fromPEMBytes(caPEM.bytes)
            } catch {
                throw reader.error(caPEM.node, "\(caPEM.what) holds no usable PEM certificate")
            }
            guard !clientCAs.isEmpty else { throw reader.error(caPEM.node, "\(caPEM.what) holds no PEM certificate") }
            guard clientAuth != .noClientCert else {
                throw reader.error(
                    caPEM.node,
                    "a client CA is set but client_auth_type is NoClientCert; set client_auth_type, e.g. "
                        + "RequireAndVerifyClientCert")
            }
        }
        if clientAuth.verifiesCertificates && clientCAs.isEmpty {
            throw reader.error(
                values["client_auth_type"]!.value,
                "client_auth_type \(clientAuth.rawValue) verifies client certificates: set client_ca_file or client_ca")
        }

        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        switch clientAuth {
        case .noClientCert:
            configuration.certificateVerification = .none
        case .requestClientCert:
            configuration.certificateVerification = .optionalVerification
        case .requireAnyClientCert:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyClientCertIfGiven:
            configuration.certificateVerification = .optionalVerification
        case .requireAndVerifyClientCert:
            configuration.certificateVerification = .noHostnameVerification
        }
        if !clientCAs.isEmpty {
            configuration.trustRoots = .certificates(clientCAs)
        } else if clientAuth != .noClientCert {
            // Certificates are asked for but not verified (a custom verification accepts them); an empty
            // store keeps the platform's roots out of the CA names sent to the client.
            configuration.trustRoots = .certificates([])
        }

        var allowedSANs: [String] = []
        if let entry = values["client_allowed_sans"] {
            for item in try reader.sequence(entry.value, "client_allowed_sans") {
                let name = try reader.string(item, "client_allowed_sans entry")
                guard !name.isEmpty else { throw reader.error(item, "client_allowed_sans entry is empty") }
                allowedSANs.append(name)
            }
            if !allowedSANs.isEmpty && !clientAuth.requiresCertificate {
                throw reader.error(
                    entry.keyNode,
                    "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert or RequireAnyClientCert")
            }
        }

        let minimum = try version(values["min_version"], "min_version") ?? .tlsv12
        let maximum = try version(values["max_version"], "max_version") ?? .tlsv13
        configuration.minimumTLSVersion = minimum
        configuration.maximumTLSVersion = maximum
        if let entry = values["max_version"], Self.order(maximum) < Self.order(minimum) {
            throw reader.error(entry.value, "max_version is lower than min_version")
        }
        if let entry = values["cipher_suites"] {
            let suites = try cipherSuites(entry.value)
            if !suites.isEmpty { configuration.cipherSuiteValues = suites }
        }
        if let entry = values["prefer_server_cipher_suites"] {
            if try reader.boolean(entry.value, "prefer_server_cipher_suites") == false {
                warn(entry.value, "prefer_server_cipher_suites: false has no effect; the TLS library's order is used")
            }
        }
        if let entry = values["curve_preferences"] {
            let curves = try curves(entry.value)
            if !curves.isEmpty { configuration.curves = curves }
        }

        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw reader.error(node, "cannot set up TLS with these settings (does the key match the certificate?)")
        }
        return WebTLSConfig(context: context, clientAuth: clientAuth, allowedClientSANs: allowedSANs)
    }

    /// PEM bytes from an inline key or a file key, at most one of which may be set.
    private mutating func pem(
        _ values: [String: (keyNode: Node, value: Node)], inline: String, file: String, _ section: Node,
        required: Bool
    ) throws(ConfigError) -> (bytes: [UInt8], node: Node, what: String)? {
        let inlineEntry = values[inline].flatMap { isSet($0) ? $0 : nil }
        let fileEntry = values[file].flatMap { isSet($0) ? $0 : nil }
        switch (inlineEntry, fileEntry) {
        case (.some, .some(let fileEntry)):
            throw reader.error(fileEntry.keyNode, "set either \(inline) or \(file), not both")
        case (.some(let entry), nil):
            return (Array(try reader.string(entry.value, inline).utf8), entry.value, inline)
        case (nil, .some(let entry)):
            let path = try reader.string(entry.value, file)
            let bytes = try reader.fileContents(entry.value, file, baseDirectory: baseDirectory)
            files.append(YAMLReader.resolve(path, baseDirectory: baseDirectory))
            return (bytes, entry.value, "\(file) \(path)")
        case (nil, nil):
            guard required else { return nil }
            throw reader.error(section, "tls_server_config needs \(file) (or \(inline))")
        }
    }

    /// Present with a value: exporter-toolkit reads null and "" alike as not set.
    private func isSet(_ entry: (keyNode: Node, value: Node)?) -> Bool {
        guard let entry, !reader.isNull(entry.value) else { return false }
        guard case .scalar(let scalar) = entry.value else { return true }
        return !scalar.string.isEmpty
    }

    private func version(_ entry: (keyNode: Node, value: Node)?, _ what: String) throws(ConfigError) -> TLSVersion? {
        guard let entry, isSet(entry) else { return nil }
        let text = try reader.string(entry.value, what)
        switch text {
        case "TLS10": return .tlsv1
        case "TLS11": return .tlsv11
        case "TLS12": return .tlsv12
        case "TLS13": return .tlsv13
        default: throw reader.error(entry.value, "invalid \(what) \"\(text)\" (valid: TLS10, TLS11, TLS12, TLS13)")
        }
    }

    private static func order(_ version: TLSVersion) -> Int {
        switch version {
        case .tlsv1: 10
        case .tlsv11: 11
        case .tlsv12: 12
        case .tlsv13: 13
        }
    }

    /// Go's names for the TLS 1.0–1.2 suites (crypto/tls), as exporter-toolkit takes them, with the
    /// IANA code points BoringSSL knows them by.
    static let cipherSuitesByGoName: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// TLS 1.3 suites are not configurable (in Go as in BoringSSL).
    static let tls13Suites: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ]

    private mutating func cipherSuites(_ node: Node) throws(ConfigError) -> [NIOTLSCipher] {
        var suites: [NIOTLSCipher] = []
        for item in try reader.sequence(node, "cipher_suites") {
            let name = try reader.string(item, "cipher_suites entry")
            if Self.tls13Suites.contains(name) {
                warn(item, "\(name) is a TLS 1.3 suite: TLS 1.3 suites are not configurable, entry ignored")
                continue
            }
            guard let suite = Self.cipherSuitesByGoName[name] else {
                let valid = Self.cipherSuitesByGoName.keys.sorted().joined(separator: ", ")
                throw reader.error(item, "unknown or unsupported cipher suite \"\(name)\" (valid: \(valid))")
            }
            suites.append(suite)
        }
        return suites
    }

    private func curves(_ node: Node) throws(ConfigError) -> [NIOTLSCurve] {
        let byGoName: [String: NIOTLSCurve] = [
            "CurveP256": .secp256r1, "CurveP384": .secp384r1, "CurveP521": .secp521r1, "X25519": .x25519,
            "X25519MLKEM768": .x25519_MLKEM768,
        ]
        var curves: [NIOTLSCurve] = []
        for item in try reader.sequence(node, "curve_preferences") {
            let name = try reader.string(item, "curve_preferences entry")
            guard let curve = byGoName[name] else {
                let valid = byGoName.keys.sorted().joined(separator: ", ")
                throw reader.error(item, "unknown curve \"\(name)\" (valid: \(valid))")
            }
            curves.append(curve)
        }
        return curves
    }

    // MARK: http_server_config

    /// The headers exporter-toolkit allows, with the values it accepts where it restricts them.
    private static let allowedHeaders: [String: [String]?] = [
        "Content-Security-Policy": nil, "X-Frame-Options": ["deny", "sameorigin"],
        "X-Content-Type-Options": ["nosniff"], "X-XSS-Protection": nil, "Strict-Transport-Security": nil,
    ]

    private mutating func httpServer(_ node: Node) throws(ConfigError) -> HTTPHeaders {
        var headers: HTTPHeaders = [:]
        for (key, keyNode, value) in try reader.mapping(node, "http_server_config") {
            switch key {
            case "http2":
                if try reader.boolean(value, "http2") {
                    warn(value, "http2: the exporter serves HTTP/1.1 only; http2: true has no effect")
                }
            case "headers":
                for (name, nameNode, headerValue) in try reader.mapping(value, "headers") {
                    guard let allowed = Self.allowedHeaders[name] else {
                        let valid = Self.allowedHeaders.keys.sorted().joined(separator: ", ")
                        throw reader.error(nameNode, "header \"\(name)\" cannot be set (valid: \(valid))")
                    }
                    let text = try reader.string(headerValue, name)
                    if text.isEmpty { continue }
                    if let allowed, !allowed.contains(text.lowercased()) {
                        throw reader.error(
                            headerValue,
                            "invalid \(name) \"\(text)\" (valid: \(allowed.joined(separator: ", ")))")
                    }
                    guard !text.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                        throw reader.error(headerValue, "\(name) must be on one line")
                    }
                    headers.add(name: name, value: text)
                }
            default:
                throw reader.error(keyNode, "unknown key \"\(key)\" in http_server_config (valid: http2, headers)")
            }
        }
        return headers
    }

    // MARK: rate_limit

    /// `interval` is a Go duration (`1s`, `250ms`, `1m`); 0 or absent turns the limiter off, as in exporter-toolkit.
    private func rateLimit(_ node: Node) throws(ConfigError) -> RateLimit? {
        var interval: Duration = .zero
        var burst = 0
        var burstNode: Node?
        for (key, keyNode, value) in try reader.mapping(node, "rate_limit") {
            switch key {
            case "interval":
                let text = try reader.string(value, "interval")
                if text == "0" || text.isEmpty { continue }
                interval = try reader.duration(value, "rate_limit interval")
            case "burst":
                burst = try reader.integer(value, "rate_limit burst", in: 0...1_000_000)
                burstNode = value
            default:
                throw reader.error(keyNode, "unknown key \"\(key)\" in rate_limit (valid: interval, burst)")
            }
        }
        guard interval > .zero else { return nil }
        guard burst > 0 else {
            throw reader.error(burstNode ?? node, "rate_limit burst must be at least 1 when interval is set")
        }
        return RateLimit(interval: interval, burst: burst)
    }

    // MARK: basic_auth_users

    private func users(_ node: Node) throws(ConfigError) -> [String: BcryptHash] {
        var users: [String: BcryptHash] = [:]
        for (name, nameNode, value) in try reader.mapping(node, "basic_auth_users") {
            guard !name.isEmpty, !name.contains(":") else {
                throw reader.error(nameNode, "basic_auth_users: a user name must be non-empty and without ':'")
            }
            let text = try reader.string(value, "the password hash of \(name)")
            guard let hash = BcryptHash(parsing: text) else {
                // The value is not quoted: it is, or is close to, a secret.
                throw reader.error(
                    value,
                    "the password of \(name) is not a bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31, 60 characters); "
                        + "make one with htpasswd -nBC 10 \"\" | tr -d ':\\n'")
            }
            users[name] = hash
        }
        return users
    }

    private mutating func warn(_ node: Node, _ message: String) {
        warnings.append(ConfigWarning(location: reader.location(node), message: message))
    }
}
