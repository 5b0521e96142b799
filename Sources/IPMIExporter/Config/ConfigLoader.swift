import Foundation
import Yams

/// Reads prometheus-community/ipmi_exporter's YAML config as it is, plus our documented additions.
///
/// ```yaml
/// modules:
///   default:
///     user: monitor
///     pass: secret            # or password_file: /etc/ipmi-exporter/bmc.pass, or password_env: VAR (our additions)
///     privilege: user         # user | operator | admin; default operator, as FreeIPMI
///     driver: LAN_2_0         # LAN_2_0 or absent (RMCP+); LAN: IPMI 1.5 sessions (MD5, straight password);
///                             # OPENIPMI, KCS, SSIF, SUNBMC: this machine's BMC through /dev/ipmi0 (local)
///     timeout: 10000          # milliseconds; caps one scrape of a target (default 10000)
///     collectors: [ipmi, bmc, chassis]
///     exclude_sensor_ids: [2, 29]
///     workaround_flags: [opensesspriv]
///     sel_events: [{name: correctable_memory_error, regex: "Correctable memory error.*"}]
///     cipher_suite: 3         # our addition; absent: the client chooses
///     kg_file: /etc/ipmi-exporter/kg   # our addition: K_g as raw bytes or 0x-prefixed hex
///     bridge: {channel: 7, target: 0x72}  # our addition
///     # collector_cmd, default_args, custom_args: accepted, warned about, no effect (no FreeIPMI here)
/// targets:                    # our addition: scraped by /metrics without a target
///   - {target: "10.0.0.5", module: default}
/// credentials:                # our addition: user and password per target; first match wins (see CredentialRule)
///   - targets: ["10.1.*", "bmc-*.example"]
///     user: monitor
///     password_file: /etc/ipmi-exporter/rack1.pass   # or password_env: RACK1_PASS
/// exporter:                   # our addition; defaults shown
///   session_idle_timeout: 10m
///   session_keepalive_interval: 20s   # 0s: no keep-alives
///   max_concurrent_scrapes: 64
///   max_concurrent_cold_starts: 16   # default 8 per CPU core
///   max_queued_cold_starts: 128      # default 8 per concurrent cold start
///   max_outstanding_requests: 16
///   read_coalescing: 50us     # 0s: read each answer as it arrives
///   scrape_timeout_offset: 500ms
///   max_connections: 512
///   http_idle_timeout: 60s
///   max_header_bytes: 16384
///   max_sdr_records: 4096     # records read from one BMC's SDR repository at most
///   max_sensors: 8192         # sensors one repository may describe (shared records expanded)
/// ```
///
/// Every duration under `exporter:` is at most 24h (``YAMLReader/longestDuration``).
public enum ConfigLoader {
    /// Reads and validates the file at `path`; secret files named in it are read relative to its directory, and
    /// `password_env` variables from `environment` (the process's).
    public static func load(
        file path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ExporterConfig {
        let text = try readText(file: path, what: "config file")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, file: path, baseDirectory: directory, environment: environment)
    }

    /// Validates YAML text; `file` names it in messages, `baseDirectory` resolves relative secret files and
    /// `environment` holds the variables `password_env` may name.
    public static func parse(
        yaml: String, file: String, baseDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ExporterConfig {
        let reader = YAMLReader(file: file)
        let root = try compose(yaml: yaml, file: file)
        var parser = Parser(reader: reader, baseDirectory: baseDirectory, environment: environment)
        // An empty file (or one of only comments) is most likely a deployment that went wrong: loading it would
        // leave no module, so every scrape would fail with "unknown module" while the exporter looks healthy.
        guard let root else {
            throw ConfigError(
                location: ConfigLocation(file: file, line: 0, column: 0),
                message: "the config file is empty: it must define at least one module under modules:")
        }
        return try parser.config(root)
    }

    /// The UTF-8 text of a config file; `what` names the file in errors.
    package static func readText(file path: String, what: String) throws(ConfigError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(
                location: ConfigLocation(file: path, line: 0, column: 0),
                message: "cannot read \(what): \(Self.reason(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(location: ConfigLocation(file: path, line: 0, column: 0), message: "\(what) is not UTF-8")
        }
        return text
    }

    /// The YAML tree, nil for an empty file; syntax errors with their position.
    package static func compose(yaml: String, file: String) throws(ConfigError) -> Node? {
        do {
            return try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw ConfigError(location: ConfigLocation(file: file, line: 0, column: 0), message: "cannot parse YAML")
        }
    }

    /// A YAML syntax error with its position. Yams' own description quotes the offending line, which may hold
    /// a password, so only the problem and position are kept.
    static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        func at(_ mark: Mark, _ problem: String) -> ConfigError {
            ConfigError(
                location: ConfigLocation(file: file, line: mark.line, column: mark.column),
                message: "invalid YAML: \(problem)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return at(mark, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            // The context's text is the whole file: only its mark is used.
            let names = Set(duplicates).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigError(
                location: ConfigLocation(file: file, line: context.mark.line, column: context.mark.column),
                message: "duplicate key \(names)")
        default:
            return ConfigError(location: ConfigLocation(file: file, line: 0, column: 0), message: "invalid YAML")
        }
    }

    package static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

/// One pass over the composed tree. Internal so that sections kept in their own files (the `credentials:`
/// rules, ConfigLoader+Credentials.swift) extend it.
struct Parser {
    let reader: YAMLReader
    let baseDirectory: String
    /// Where `password_env` names are looked up: the process environment, or a test's.
    let environment: [String: String]
    var warnings: [ConfigWarning] = []

    init(reader: YAMLReader, baseDirectory: String, environment: [String: String]) {
        self.reader = reader
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    mutating func config(_ root: Node) throws(ConfigError) -> ExporterConfig {
        var config = ExporterConfig()
        var targetsNode: Node?
        var modulesNode: Node?
        var credentialsNode: Node?
        for (key, keyNode, value) in try reader.mapping(root, "the config file") {
            switch key {
            case "modules":
                modulesNode = keyNode
                for (name, nameNode, moduleNode) in try reader.mapping(value, "modules") {
                    guard !name.isEmpty else { throw reader.error(nameNode, "module name is empty") }
                    config.modules[name] = try module(name: name, moduleNode)
                }
            case "targets":
                targetsNode = value  // checked after modules, which may come later in the file
            case "exporter":
                config.settings = try settings(value)
            case "credentials":
                credentialsNode = value  // checked after modules, which its rules may name
            default:
                throw reader.error(
                    keyNode,
                    "unknown key \"\(key)\" at the top level (expected modules, targets, credentials or exporter)")
            }
        }
        // ipmi_exporter falls back to FreeIPMI's defaults without a module, which only work in-band on the local
        // host; this exporter only speaks to remote BMCs, so without a module it could not serve a single scrape.
        guard !config.modules.isEmpty else {
            throw reader.error(
                modulesNode ?? root,
                modulesNode == nil
                    ? "no modules: the config file must define at least one module under modules:"
                    : "modules is empty: define at least one module (e.g. default) with its credentials")
        }
        if let credentialsNode {
            config.credentials = try credentialRules(credentialsNode, modules: config.modules)
        }
        if let targetsNode {
            config.targets = try targets(targetsNode, modules: config.modules)
        }
        config.warnings = warnings
        return config
    }

    private mutating func module(name: String, _ node: Node) throws(ConfigError) -> ModuleConfig {
        var module = ModuleConfig(name: name)
        var passwordNode: Node?
        var passwordSources: [Node] = []
        var customArgsSuite: (suite: UInt8, node: Node)?
        let what = "module \"\(name)\""
        for (key, keyNode, value) in try reader.mapping(node, what) {
            switch key {
            case "user":
                module.user = try reader.string(value, "user")
            case "pass":
                passwordNode = value
                passwordSources.append(keyNode)
                module.password = Secret(try reader.string(value, "pass"))
            case "password_file":
                passwordSources.append(keyNode)
                module.password = try secretFile(value, key: "password_file", maxBytes: 20)
            case "password_env":
                passwordSources.append(keyNode)
                module.password = try secretVariable(value)
            case "privilege":
                let text = try reader.string(value, "privilege")
                guard let level = PrivilegeLevel(rawValue: text.lowercased()) else {
                    throw reader.error(value, "privilege must be user, operator or admin, found \"\(text)\"")
                }
                module.privilege = level
            case "driver":
                module.localDriver = try driver(value)
                module.ipmi15 = try reader.string(value, "driver").uppercased() == "LAN"
            case "timeout":
                let milliseconds = try reader.integer(value, "timeout (milliseconds)", in: 1...3_600_000)
                module.timeout = .milliseconds(milliseconds)
            case "collectors":
                module.collectors = try collectors(value)
            case "exclude_sensor_ids":
                var ids: Set<Int> = []
                for item in try reader.sequence(value, "exclude_sensor_ids") {
                    ids.insert(try reader.integer(item, "sensor ID", in: 0...0xFFFF))
                }
                module.excludeSensorIDs = ids
            case "workaround_flags":
                for item in try reader.sequence(value, "workaround_flags") {
                    module.workaroundFlags.insert(try workaroundFlag(try reader.string(item, "workaround flag"), item))
                }
            case "sel_events":
                module.selEvents = try selEvents(value)
            case "entity_sensor_names":
                module.entitySensorNames = try reader.boolean(value, "entity_sensor_names")
            case "bridge_sensors":
                module.bridgeSensors = try reader.boolean(value, "bridge_sensors")
            case "collector_cmd", "default_args":
                try checkFreeIPMIKey(key, value)
                warn(keyNode, "\(key) has no effect: this exporter speaks IPMI itself and runs no FreeIPMI commands")
            case "custom_args":
                try checkFreeIPMIKey(key, value)
                customArgsSuite = try customArgs(value, into: &module)
            case "cipher_suite":
                module.cipherSuite = try cipherSuite(try reader.integer(value, "cipher_suite", in: 0...255), value)
            case "kg_file":
                module.kg = try secretFile(value, key: "kg_file", maxBytes: 20)
            case "bridge":
                module.bridge = try bridge(value)
            default:
                throw reader.error(keyNode, "unknown key \"\(key)\" in \(what)")
            }
        }
        if passwordSources.count > 1 {
            throw reader.error(
                passwordSources[1], "give one of pass, password_file or password_env in \(what), not several")
        }
        if let customArgsSuite {
            if let configured = module.cipherSuite, configured != customArgsSuite.suite {
                throw reader.error(
                    customArgsSuite.node,
                    "custom_args asks for cipher suite \(customArgsSuite.suite), cipher_suite for \(configured)")
            }
            module.cipherSuite = customArgsSuite.suite
        }
        if module.password.bytes.count > 20 {
            // RAKP uses the first 20 bytes of the password as the user key (IPMI v2.0 section 13.31);
            // FreeIPMI and ipmitool refuse longer ones rather than truncating silently.
            throw reader.error(passwordNode ?? node, "the password of \(what) is longer than 20 bytes")
        }
        return module
    }

    /// Nil for the network drivers; the upper-cased name of a local one. FreeIPMI's in-band drivers all reach the
    /// BMC through the kernel here: the OpenIPMI device serves KCS, SMIC, BT and SSIF system interfaces alike.
    private mutating func driver(_ node: Node) throws(ConfigError) -> String? {
        let text = try reader.string(node, "driver")
        switch text.uppercased() {
        case "", "LAN_2_0":
            return nil
        case "LAN":
            return nil
        case "OPENIPMI", "KCS", "SSIF", "SUNBMC":
            if text.uppercased() == "SUNBMC" {
                warn(node, "driver SUNBMC (Solaris) is read through the Linux OpenIPMI device")
            }
            return text.uppercased()
        default:
            throw reader.error(
                node,
                "driver \"\(text)\" is not supported: LAN_2_0 (remote RMCP+), LAN (remote IPMI 1.5) or OPENIPMI, KCS, SSIF,"
                    + " SUNBMC (local)")
        }
    }

    private func collectors(_ node: Node) throws(ConfigError) -> [CollectorName] {
        var names: [CollectorName] = []
        for item in try reader.sequence(node, "collectors") {
            let text = try reader.string(item, "collector")
            guard let name = CollectorName(rawValue: text) else {
                let valid = CollectorName.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error(item, "unknown collector \"\(text)\" (valid: \(valid))")
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    private func selEvents(_ node: Node) throws(ConfigError) -> [SELEventRule] {
        var rules: [SELEventRule] = []
        for item in try reader.sequence(node, "sel_events") {
            var name: String?
            var regex: SELEventRegex?
            for (key, keyNode, value) in try reader.mapping(item, "a sel_events entry") {
                switch key {
                case "name": name = try reader.string(value, "name")
                case "regex":
                    let text = try reader.string(value, "regex")
                    // Compiled here, once per config: one that does not compile stops the load at its line.
                    do {
                        regex = try SELEventRegex(text)
                    } catch {
                        throw reader.error(value, "regex does not compile: \(error)")
                    }
                default: throw reader.error(keyNode, "unknown key \"\(key)\" in a sel_events entry (name, regex)")
                }
            }
            guard let name, !name.isEmpty else { throw reader.error(item, "sel_events entry without a name") }
            guard let regex else { throw reader.error(item, "sel_events entry \"\(name)\" without a regex") }
            rules.append(SELEventRule(name: name, regex: regex))
        }
        return rules
    }

    private func bridge(_ node: Node) throws(ConfigError) -> BridgeConfig {
        var channel: Int?
        var target: Int?
        for (key, keyNode, value) in try reader.mapping(node, "bridge") {
            switch key {
            case "channel": channel = try reader.integer(value, "bridge channel", in: 0...15)
            case "target": target = try reader.integer(value, "bridge target address", in: 0...255)
            default: throw reader.error(keyNode, "unknown key \"\(key)\" in bridge (channel, target)")
            }
        }
        guard let channel, let target else { throw reader.error(node, "bridge needs both channel and target") }
        return BridgeConfig(channel: UInt8(channel), targetAddress: UInt8(target))
    }

    /// `collector_cmd: {ipmi: sudo}` and `*_args: {ipmi: [...]}` must still be well-formed and name collectors.
    /// A `workaround_flags` name (or one from `-W` in `custom_args`), lower-cased: FreeIPMI's flags for LAN sessions
    /// and sensors are acted on, its others draw a warning, anything else stops the load.
    private mutating func workaroundFlag(_ text: String, _ node: Node) throws(ConfigError) -> String {
        let flag = text.lowercased()
        guard WorkaroundFlags.known.contains(flag) else {
            let valid = WorkaroundFlags.implemented.sorted().joined(separator: ", ")
            throw reader.error(node, "unknown workaround flag \"\(text)\" (FreeIPMI's flags acted on here: \(valid))")
        }
        if WorkaroundFlags.inapplicable.contains(flag) {
            warn(node, "workaround flag \"\(flag)\" has no effect: it concerns FreeIPMI's in-band, SOL or other tools")
        }
        return flag
    }

    /// A cipher suite ID from `cipher_suite` or from `-I` in `custom_args`.
    private mutating func cipherSuite(_ suite: Int, _ node: Node) throws(ConfigError) -> UInt8 {
        guard [0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17].contains(suite) else {
            throw reader.error(
                node, "cipher suite \(suite) is not an IPMI v2.0 cipher suite (0-3, 6-8, 11, 12, 15-17)")
        }
        if suite == 0 {
            warn(
                node,
                "cipher suite 0: the session is unauthenticated (no authentication, integrity or confidentiality); "
                    + "anyone on the path can read and forge its messages")
        }
        return UInt8(suite)
    }

    /// ipmi_exporter's `custom_args` (FreeIPMI arguments per collector): those with a native equivalent are applied
    /// to the module, since one session serves all its collectors (`-W`, `-I`, `--entity-sensor-names`,
    /// `--bridge-sensors`), the rest draw a warning. Returns the cipher suite `-I` asked for, which
    /// the caller checks against `cipher_suite` once the whole module is read.
    private mutating func customArgs(
        _ node: Node, into module: inout ModuleConfig
    ) throws(ConfigError) -> (suite: UInt8, node: Node)? {
        var suite: (suite: UInt8, node: Node)?
        for (name, _, value) in try reader.mapping(node, "custom_args") {
            let nodes = try reader.sequence(value, "custom_args.\(name)")
            var arguments: [String] = []
            for item in nodes { arguments.append(try reader.string(item, "argument")) }
            let items: [FreeIPMIArguments.Item]
            switch FreeIPMIArguments.parse(arguments) {
            case .failure(let failure): throw reader.error(nodes[failure.index], "custom_args: \(failure.message)")
            case .success(let parsed): items = parsed
            }
            for item in items {
                let at = nodes[item.index]
                switch item.option {
                case .workaroundFlags(let flags):
                    for flag in flags { module.workaroundFlags.insert(try workaroundFlag(flag, at)) }
                case .cipherSuite(let text):
                    guard let id = Int(text) else {
                        throw reader.error(at, "custom_args: cipher suite \"\(text)\" is not a number")
                    }
                    let parsed = try cipherSuite(id, at)
                    if let earlier = suite, earlier.suite != parsed {
                        throw reader.error(at, "custom_args asks for cipher suites \(earlier.suite) and \(parsed)")
                    }
                    suite = (parsed, at)
                case .bridgeSensors:
                    module.bridgeSensors = true
                case .entitySensorNames:
                    module.entitySensorNames = true
                case .driverType(let text):
                    switch text.uppercased() {
                    case "LAN": module.ipmi15 = true
                    case "LAN_2_0": break
                    default:
                        warn(
                            at,
                            "custom_args driver \"\(text)\" has no effect: use driver: in the module for local drivers")
                    }
                case .authenticationType(let text):
                    let name = text.uppercased()
                    guard ["NONE", "STRAIGHT_PASSWORD_KEY", "MD2", "MD5"].contains(name) else {
                        throw reader.error(
                            at,
                            "custom_args: authentication type \"\(text)\" is not NONE, STRAIGHT_PASSWORD_KEY, MD2 or MD5"
                        )
                    }
                    if name == "NONE" {
                        warn(at, "authentication type NONE sends the password check and data unauthenticated")
                    }
                    module.ipmi15AuthenticationType = name
                case .other(let argument):
                    warn(at, "custom_args \"\(argument)\" has no effect: this exporter runs no FreeIPMI commands")
                }
            }
        }
        return suite
    }

    private func checkFreeIPMIKey(_ key: String, _ node: Node) throws(ConfigError) {
        for (name, nameNode, value) in try reader.mapping(node, key) {
            guard CollectorName(rawValue: name) != nil else {
                throw reader.error(nameNode, "unknown collector \"\(name)\" in \(key)")
            }
            if key == "collector_cmd" {
                _ = try reader.string(value, "\(key).\(name)")
            } else {
                for item in try reader.sequence(value, "\(key).\(name)") { _ = try reader.string(item, "argument") }
            }
        }
    }

    func secretFile(_ node: Node, key: String, maxBytes: Int) throws(ConfigError) -> Secret {
        let path = try reader.string(node, key)
        guard !path.isEmpty else { throw reader.error(node, "\(key) is empty") }
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path) : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw reader.error(node, "cannot read \(key) \(path): \(ConfigLoader.reason(error))")
        }
        var bytes = Array(data)
        // Files written by editors and `echo` end in a newline that is not part of the secret.
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        if key == "kg_file", let decoded = Self.hexKey(bytes) {
            bytes = decoded
        }
        guard bytes.count <= maxBytes else {
            throw reader.error(node, "\(key) \(path) holds more than \(maxBytes) bytes")
        }
        return Secret(bytes)
    }

    /// `0x` followed by an even number of hex digits, as FreeIPMI accepts K_g on its command line.
    private static func hexKey(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] | 0x20 == UInt8(ascii: "x"),
            bytes.count % 2 == 0
        else { return nil }
        var out: [UInt8] = []
        var index = 2
        while index < bytes.count {
            guard let high = hexDigit(bytes[index]), let low = hexDigit(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func targets(_ node: Node, modules: [String: ModuleConfig]) throws(ConfigError) -> [TargetConfig] {
        var result: [TargetConfig] = []
        var seen: Set<String> = []
        for item in try reader.sequence(node, "targets") {
            var targetText: String?
            var targetNode = item
            var moduleName = "default"
            var moduleNode = item
            for (key, keyNode, value) in try reader.mapping(item, "a targets entry") {
                switch key {
                case "target":
                    targetText = try reader.string(value, "target")
                    targetNode = value
                case "module":
                    moduleName = try reader.string(value, "module")
                    moduleNode = value
                default: throw reader.error(keyNode, "unknown key \"\(key)\" in a targets entry (target, module)")
                }
            }
            guard let targetText else { throw reader.error(item, "targets entry without a target") }
            let target: ScrapeTarget
            do {
                target = try ScrapeTarget(parsing: targetText)
            } catch {
                throw reader.error(targetNode, "invalid target \"\(targetText)\": \(error.reason)")
            }
            guard modules[moduleName] != nil else {
                throw reader.error(moduleNode, "target \(targetText) names unknown module \"\(moduleName)\"")
            }
            guard seen.insert("\(target)|\(moduleName)").inserted else {
                throw reader.error(targetNode, "target \(targetText) with module \(moduleName) is listed twice")
            }
            result.append(TargetConfig(name: targetText, target: target, module: moduleName))
        }
        return result
    }

    private func settings(_ node: Node) throws(ConfigError) -> ExporterSettings {
        var settings = ExporterSettings()
        for (key, keyNode, value) in try reader.mapping(node, "exporter") {
            switch key {
            case "session_idle_timeout": settings.sessionIdleTimeout = try reader.duration(value, key)
            case "session_keepalive_interval":
                settings.sessionKeepaliveInterval = try reader.duration(value, key, allowZero: true)
            case "max_concurrent_scrapes":
                settings.maxConcurrentScrapes = try reader.integer(value, key, in: 1...100_000)
            case "max_concurrent_cold_starts":
                settings.maxConcurrentColdStarts = try reader.integer(value, key, in: 1...100_000)
            case "max_queued_cold_starts":
                settings.maxQueuedColdStarts = try reader.integer(value, key, in: 0...1_000_000)
            case "max_outstanding_requests":
                settings.maxOutstandingRequests = try reader.integer(value, key, in: 1...64)
            case "read_coalescing":
                let pause = try reader.duration(value, key, allowZero: true)
                guard pause <= .milliseconds(100) else {
                    throw reader.error(value, "\(key) must be at most 100ms (it delays every answer by up to that)")
                }
                settings.readCoalescing = pause
            case "scrape_timeout_offset":
                settings.scrapeTimeoutOffset = try reader.duration(value, key, allowZero: true)
            case "max_connections": settings.maxConnections = try reader.integer(value, key, in: 1...1_000_000)
            case "http_idle_timeout": settings.httpIdleTimeout = try reader.duration(value, key)
            case "max_header_bytes": settings.maxHeaderBytes = try reader.integer(value, key, in: 1024...1_048_576)
            // Record IDs are 16-bit (IPMI v2.0 §33), so no repository holds more than 65,535 records; each record
            // expands into at most 15 sensors (§43.2).
            case "max_sdr_records": settings.sdrLimits.maximumRecords = try reader.integer(value, key, in: 1...65_535)
            case "max_sensors": settings.sdrLimits.maximumSensors = try reader.integer(value, key, in: 1...983_025)
            default:
                let valid = [
                    "session_idle_timeout", "session_keepalive_interval", "max_concurrent_scrapes",
                    "max_concurrent_cold_starts", "max_queued_cold_starts",
                    "max_outstanding_requests", "read_coalescing",
                    "scrape_timeout_offset", "max_connections", "http_idle_timeout", "max_header_bytes",
                    "max_sdr_records", "max_sensors",
                ]
                throw reader.error(
                    keyNode, "unknown key \"\(key)\" in exporter (valid: \(valid.joined(separator: ", ")))")
            }
        }
        return settings
    }

    mutating func warn(_ node: Node, _ message: String) {
        warnings.append(ConfigWarning(location: reader.location(node), message: message))
    }
}
