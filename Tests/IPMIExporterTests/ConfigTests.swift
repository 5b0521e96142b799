import Foundation
import NIOCore
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

@Suite struct ConfigTests {
    static func parse(_ yaml: String, base: String = "/nonexistent") throws(ConfigError) -> ExporterConfig {
        try ConfigLoader.parse(yaml: yaml, file: "test.yml", baseDirectory: base)
    }

    @Test func coldStartBoundDefaultsToEightPerCoreAndIsValidated() throws {
        let defaults = try Self.parse("modules:\n  default: {}\n")
        #expect(defaults.settings.maxConcurrentColdStarts == 8 * System.coreCount)
        #expect(defaults.settings.maxConcurrentColdStarts >= 8)
        let error = try #require(Self.error("modules:\n  default: {}\nexporter:\n  max_concurrent_cold_starts: 0\n"))
        #expect(error.location.file == "test.yml")
        #expect(error.location.line == 4, "\(error)")
        #expect(error.message.contains("max_concurrent_cold_starts"), "\(error)")
    }

    @Test func coldStartQueueBoundDefaultsToSixtyFourPerCoreAndIsRead() throws {
        let defaults = try Self.parse("modules:\n  default: {}\n")
        #expect(defaults.settings.maxQueuedColdStarts == 64 * System.coreCount)
        let set = try Self.parse("modules:\n  default: {}\nexporter:\n  max_queued_cold_starts: 5\n")
        #expect(set.settings.maxQueuedColdStarts == 5)
        let error = try #require(
            Self.error("modules:\n  default: {}\nexporter:\n  max_queued_cold_starts: -1\n"))
        #expect(error.location.line == 4, "\(error)")
        #expect(error.message.contains("max_queued_cold_starts"), "\(error)")
    }

    /// The error for `yaml`, or nil if it parsed.
    static func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsEveryKeyOfAModule() throws {
        let config = try Self.parse(
            """
            modules:
              default:
                user: monitor
                pass: "s3cret"
                privilege: ADMIN
                driver: LAN_2_0
                timeout: 2500
                collectors: [ipmi, bmc-watchdog, sel-events, sm-lan-mode]
                exclude_sensor_ids: [2, 0x1d]
                workaround_flags: [opensesspriv, IntegrityCheckValue]
                sel_events:
                  - name: memory_ecc
                    regex: "Correctable ECC.*"
                cipher_suite: 17
                bridge: {channel: 7, target: 0x72}
              empty:
                collectors: []
            targets:
              - target: 10.0.0.5
              - {target: "[fd00::1]:1623", module: empty}
            exporter:
              session_idle_timeout: 5m
              session_keepalive_interval: 45s
              max_concurrent_scrapes: 8
              max_concurrent_cold_starts: 3
              max_outstanding_requests: 4
              read_coalescing: 80us
              scrape_timeout_offset: 250ms
            """)
        let module = try #require(config.modules["default"])
        #expect(module.user == "monitor")
        #expect(module.password.bytes == Array("s3cret".utf8))
        #expect(module.privilege == .admin)
        #expect(module.timeout == .milliseconds(2500))
        #expect(module.collectors == [.ipmi, .bmcWatchdog, .selEvents, .smLANMode])
        #expect(module.excludeSensorIDs == [2, 29])
        #expect(module.workaroundFlags == ["opensesspriv", "integritycheckvalue"])
        #expect(module.selEvents == [SELEventRule(name: "memory_ecc", pattern: "Correctable ECC.*")])
        // Compiled at load, once for every scrape of this config.
        #expect(module.selEvents.first?.regex?.matches("Correctable ECC logging limit reached") == true)
        #expect(module.selEvents.first?.regex?.matches("Uncorrectable ECC") == false)
        #expect(module.cipherSuite == 17)
        #expect(module.bridge == BridgeConfig(channel: 7, targetAddress: 0x72))
        #expect(config.modules["empty"]?.collectors == [])
        #expect(config.modules["empty"]?.privilege == .operator)
        #expect(config.modules["empty"]?.timeout == .seconds(10))
        #expect(config.targets.map(\.name) == ["10.0.0.5", "[fd00::1]:1623"])
        #expect(
            config.targets.map(\.target) == [
                ScrapeTarget(host: "10.0.0.5", port: 623), ScrapeTarget(host: "fd00::1", port: 1623),
            ])
        #expect(config.targets.map(\.module) == ["default", "empty"])
        #expect(config.settings.sessionIdleTimeout == .seconds(300))
        #expect(config.settings.sessionKeepaliveInterval == .seconds(45))
        #expect(config.settings.maxConcurrentScrapes == 8)
        #expect(config.settings.maxConcurrentColdStarts == 3)
        #expect(config.settings.maxOutstandingRequests == 4)
        #expect(config.settings.readCoalescing == .microseconds(80))
        #expect(config.settings.scrapeTimeoutOffset == .milliseconds(250))
        #expect(config.warnings.isEmpty)
    }

    @Test func defaultsMatchIPMIExporter() throws {
        let config = try Self.parse("modules:\n  default:\n    user: u\n")
        #expect(config.modules["default"]?.collectors == [.ipmi, .dcmi, .bmc, .chassis])
        let module = "modules:\n  default: {}\n"
        #expect(try Self.parse(module).settings.sessionKeepaliveInterval == .seconds(20))
        #expect(
            try Self.parse(module + "exporter:\n  session_keepalive_interval: 0s\n").settings.sessionKeepaliveInterval
                == .zero)
        #expect(try Self.parse(module + "exporter:\n  read_coalescing: 0s\n").settings.readCoalescing == .zero)
    }

    @Test func freeIPMIKeysAreAcceptedWithWarningsAndDriverLANSpeaksIPMI15() throws {
        let config = try Self.parse(
            """
            modules:
              special:
                driver: "LAN"
                collector_cmd:
                  ipmi: sudo
                custom_args:
                  ipmi:
                  - "--bridge-sensors"
                default_args:
                  sel: ["-Q"]
                workaround_flags: [assumeio]
            """)
        #expect(config.modules["special"]?.bridgeSensors == true)
        #expect(config.modules["special"]?.ipmi15 == true)
        #expect(config.modules["special"]?.isLocal == false)
        let lines = config.warnings.map(\.location.line)
        // `driver: LAN` (line 3) speaks IPMI 1.5 and `--bridge-sensors` (line 8) is honoured: no warning for either.
        #expect(lines == [4, 9, 11])
        #expect(config.warnings[0].message.contains("no effect"))
        #expect(config.warnings[2].message.contains("assumeio"))
    }

    @Test func bridgeSensorsIsAModuleFieldAndACustomArgument() throws {
        let field = try Self.parse("modules:\n  m:\n    bridge_sensors: true\n  n: {}\n")
        #expect(field.modules["m"]?.bridgeSensors == true)
        #expect(field.modules["n"]?.bridgeSensors == false)
        #expect(field.warnings.isEmpty)
        let short = try Self.parse("modules:\n  m:\n    custom_args:\n      ipmi: [\"-b\"]\n")
        #expect(short.modules["m"]?.bridgeSensors == true)
        #expect(short.warnings.isEmpty)
        // The local driver bridges too (the kernel's IPMB addressing): no warning.
        let local = try Self.parse("modules:\n  m:\n    driver: KCS\n    bridge_sensors: true\n")
        #expect(local.modules["m"]?.bridgeSensors == true)
        #expect(local.warnings.isEmpty)
        let error = try #require(Self.error("modules:\n  m:\n    bridge_sensors: maybe\n"))
        #expect(error.location.line == 3, "\(error)")
    }

    /// ipmi_exporter users select IPMI 1.5 with `-D LAN` in `custom_args` as often as with `driver: LAN`; `-a` picks
    /// the authentication type. Neither draws a warning, MD2 included; unknown types stop the load at their line.
    @Test func customArgsDriverLANAndAuthenticationType() throws {
        let config = try Self.parse(
            "modules:\n  m:\n    custom_args:\n      ipmi: [\"-D\", \"LAN\", \"--authentication-type=md5\"]\n"
                + "  n:\n    driver: LAN_2_0\n")
        #expect(config.modules["m"]?.ipmi15 == true)
        #expect(config.modules["m"]?.ipmi15AuthenticationType == "MD5")
        #expect(config.modules["n"]?.ipmi15 == false)
        #expect(config.warnings.isEmpty, "\(config.warnings)")
        let md2 = try Self.parse("modules:\n  m:\n    custom_args:\n      ipmi:\n        - -aMD2\n")
        #expect(md2.modules["m"]?.ipmi15AuthenticationType == "MD2")
        #expect(md2.warnings.isEmpty, "\(md2.warnings)")
        let bogus = try #require(Self.error("modules:\n  m:\n    custom_args:\n      ipmi: [-a, sha1]\n"))
        #expect(bogus.message.contains("sha1"), "\(bogus)")
    }

    /// A workaround flag FreeIPMI does not know stops the load at its line, in `workaround_flags` as in `-W`; every
    /// flag FreeIPMI documents for LAN sessions and sensors is acted on, so none of those draws a warning.
    @Test func unknownWorkaroundFlagIsAnErrorWithItsLine() throws {
        let acted = try Self.parse(
            "modules:\n  m:\n    workaround_flags: [" + WorkaroundFlags.implemented.sorted().joined(separator: ", ")
                + "]\n")
        #expect(acted.modules["m"]?.workaroundFlags.count == 16)
        #expect(acted.warnings.isEmpty, "\(acted.warnings)")
        let listed = try #require(
            Self.error("modules:\n  m:\n    workaround_flags:\n      - authcap\n      - madeup\n"))
        #expect(listed.location.file == "test.yml")
        #expect(listed.location.line == 5, "\(listed)")
        #expect(listed.message.contains("madeup") && listed.message.contains("authcap"), "\(listed)")
        let inArgs = try #require(
            Self.error("modules:\n  m:\n    custom_args:\n      ipmi:\n        - -W\n        - intel20,bogus\n"))
        #expect(inArgs.location.line == 6, "\(inArgs)")
        #expect(inArgs.message.contains("bogus"), "\(inArgs)")
    }

    /// `custom_args` options with a native equivalent are applied to the module; the others warn at their line.
    @Test func customArgsWithNativeEquivalentsAreHonoured() throws {
        let config = try Self.parse(
            """
            modules:
              m:
                workaround_flags: [authcap]
                custom_args:
                  ipmi:
                    - -W
                    - Intel20,opensesspriv
                    - --workaround-flags=discretereading
                    - -I3
                    - --entity-sensor-names
                    - --quiet-cache
                  bmc: ["-Wsun20", "--cipher-suite-id", "3"]
            """)
        let module = try #require(config.modules["m"])
        #expect(module.workaroundFlags == ["authcap", "intel20", "opensesspriv", "discretereading", "sun20"])
        #expect(module.cipherSuite == 3)
        #expect(module.entitySensorNames)
        #expect(!module.bridgeSensors)
        // --entity-sensor-names is acted on: only --quiet-cache draws a warning.
        #expect(config.warnings.map(\.location.line) == [11], "\(config.warnings)")
        #expect(config.warnings[0].message.contains("--quiet-cache"))
        // -I and cipher_suite must agree; -I with no value and an unknown suite are errors at their line.
        let clash = try #require(
            Self.error("modules:\n  m:\n    cipher_suite: 17\n    custom_args:\n      ipmi: [-I, \"3\"]\n"))
        #expect(clash.location.line == 5 && clash.message.contains("17"), "\(clash)")
        let missing = try #require(Self.error("modules:\n  m:\n    custom_args:\n      ipmi:\n        - -I\n"))
        #expect(missing.location.line == 5 && missing.message.contains("needs a value"), "\(missing)")
        let bad = try #require(Self.error("modules:\n  m:\n    custom_args:\n      ipmi: [-I4]\n"))
        #expect(bad.location.line == 4 && bad.message.contains("cipher suite 4"), "\(bad)")
    }

    /// ipmi_exporter's ipmi_local.yml loads as it is; an in-band driver makes a module local.
    @Test func localDriversMakeLocalModules() throws {
        let local = try Self.parse(
            """
            # Configuration file for ipmi_exporter
            modules:
                    default:
                            collectors:
                            - bmc
                            - ipmi
                            - dcmi
                            - chassis
                            - sel
                            exclude_sensor_ids:
                            - 2
                            - 29
                            - 32
            """)
        #expect(local.modules["default"]?.isLocal == false)
        #expect(local.modules["default"]?.excludeSensorIDs == [2, 29, 32])
        #expect(local.warnings.isEmpty)
        for driver in ["OPENIPMI", "KCS", "SSIF", "SUNBMC", "kcs"] {
            let config = try Self.parse("modules:\n  m:\n    driver: \(driver)\n")
            #expect(config.modules["m"]?.localDriver == driver.uppercased())
            #expect(config.warnings.count == (driver == "SUNBMC" ? 1 : 0))
        }
        #expect(try Self.parse("modules:\n  m:\n    driver: LAN_2_0\n").modules["m"]?.isLocal == false)
    }

    @Test(arguments: [
        ("modules:\n  m:\n    user: u\n    colectors: [ipmi]\n", 4, "unknown key \"colectors\""),
        ("modules:\n  m:\n    timeout: soon\n", 3, "timeout (milliseconds) must be an integer"),
        ("modules:\n  m:\n    timeout: [1]\n", 3, "must be an integer"),
        ("modules:\n  m:\n    collectors: ipmi\n", 3, "collectors must be a list"),
        (
            "modules:\n  m:\n    collectors:\n      - ipmi\n      - bmc-device-id\n", 5,
            "unknown collector \"bmc-device-id\""
        ),
        ("modules:\n  m:\n    driver: IPMB\n", 3, "OPENIPMI, KCS, SSIF, SUNBMC (local)"),
        ("modules:\n  m:\n    privilege: root\n", 3, "privilege must be user, operator or admin"),
        ("modules:\n  m:\n    cipher_suite: 4\n", 3, "not an IPMI v2.0 cipher suite"),
        ("modules:\n  m:\n    bridge: {channel: 16, target: 0x20}\n", 3, "bridge channel must be between 0 and 15"),
        ("modules:\n  m:\n    bridge: {channel: 6}\n", 3, "needs both channel and target"),
        (
            "modules:\n  m:\n    sel_events:\n      - name: x\n        regex: \"(unclosed\"\n", 5,
            "regex does not compile"
        ),
        ("modules:\n  m:\n    user: {a: b}\n", 3, "user must be a string"),
        ("moduls:\n  m: {}\n", 1, "unknown key \"moduls\" at the top level"),
        ("modules: [a, b]\n", 1, "modules must be a mapping"),
        ("modules:\n  m: {}\ntargets:\n  - target: h1\n    module: nope\n", 5, "unknown module \"nope\""),
        ("modules:\n  default: {}\ntargets:\n  - target: \"h:99999\"\n", 4, "invalid port"),
        ("modules:\n  default: {}\ntargets:\n  - module: default\n", 4, "without a target"),
        ("modules:\n  default: {}\ntargets:\n  - h1\n", 4, "must be a mapping"),
        ("exporter:\n  max_conections: 3\n", 2, "unknown key \"max_conections\" in exporter"),
        ("exporter:\n  http_idle_timeout: forever\n", 2, "positive duration"),
        ("exporter:\n  http_idle_timeout: 0s\n", 2, "positive duration"),
        (
            "exporter:\n  session_keepalive_interval: often\n", 2,
            "session_keepalive_interval must be a duration (0s or more)"
        ),
        ("modules:\n  m:\n    user: a\n  m:\n    user: b\n", 2, "duplicate key \"m\""),
        ("modules:\n  m:\n    user: [unclosed\n", 4, "invalid YAML"),
    ])
    func rejectsWithFileAndLine(yaml: String, line: Int, message: String) throws {
        let error = try #require(Self.error(yaml))
        #expect(error.location.file == "test.yml")
        #expect(error.location.line == line, "\(error)")
        #expect(error.message.contains(message), "\(error)")
        #expect(error.description.hasPrefix("test.yml:\(line):"))
    }

    @Test func passwordsNeverAppearInDescriptionsOrErrors() throws {
        let password = "Hunter2Secret"
        let config = try Self.parse("modules:\n  default:\n    user: admin\n    pass: \(password)\n")
        let module = try #require(config.modules["default"])
        var dumped = ""
        dump(module, to: &dumped)
        for text in ["\(module)", String(reflecting: module), "\(config)", String(reflecting: config), dumped] {
            #expect(!text.contains(password))
        }
        // A syntax error on the password's own line must not quote it.
        let error = try #require(Self.error("modules:\n  default:\n    pass: \"\(password)\n  x: [\n"))
        #expect(!error.description.contains(password))
        // Nor a type error.
        let typeError = try #require(Self.error("modules:\n  default:\n    pass: [\(password)]\n"))
        #expect(!typeError.description.contains(password))
    }

    @Test func readsPasswordAndKgFilesRelativeToTheConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "pa ss\n".write(to: directory.appendingPathComponent("bmc.pass"), atomically: true, encoding: .utf8)
        try "0x0102a0ff\n".write(to: directory.appendingPathComponent("kg"), atomically: true, encoding: .utf8)
        let configFile = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    password_file: bmc.pass\n    kg_file: kg\n".write(
            to: configFile, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(file: configFile.path)
        #expect(config.modules["default"]?.password.bytes == Array("pa ss".utf8))
        #expect(config.modules["default"]?.kg?.bytes == [0x01, 0x02, 0xA0, 0xFF])

        try "modules:\n  default:\n    pass: x\n    password_file: bmc.pass\n".write(
            to: configFile, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try ConfigLoader.load(file: configFile.path) }
        try "modules:\n  default:\n    password_file: missing.pass\n".write(
            to: configFile, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader.load(file: configFile.path)
            Issue.record("a missing password file must fail")
        } catch {
            #expect(error.location.line == 3)
            #expect(error.message.contains("cannot read password_file missing.pass"))
        }
    }

    @Test func rejectsAMissingFileWithItsName() {
        do {
            _ = try ConfigLoader.load(file: "/nonexistent/ipmi.yml")
            Issue.record("must fail")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/ipmi.yml: cannot read config file"))
        }
    }

    /// The example files that ship with Debian's prometheus-ipmi-exporter must load unchanged.
    @Test(arguments: ["/etc/prometheus/ipmi_remote.yml", "/etc/prometheus/ipmi_local.yml"])
    func loadsIPMIExporterExampleFiles(path: String) throws {
        try #require(FileManager.default.fileExists(atPath: path), "\(path) not installed")
        let config = try ConfigLoader.load(file: path)
        #expect(config.modules["default"] != nil)
    }

    /// Every duration under `exporter:` fed values that do not fit a timer, or are past the 24h bound: the load fails
    /// at the value's line and column, naming the key (before, `http_idle_timeout: 999999999h` loaded and then trapped
    /// on the first connection).
    @Test(arguments: [
        "session_idle_timeout", "session_keepalive_interval", "read_coalescing", "scrape_timeout_offset",
        "http_idle_timeout",
    ])
    func hostileDurationsFailTheLoad(key: String) throws {
        for value in [
            "nan", ".nan", ".inf", "-.inf", "-1s", "1e300", "1e16s", "9223372036854775807s", "18446744073709551615s",
            "999999999h", "999999999d", "25h", "86401s",
        ] {
            let error = try #require(Self.error("modules:\n  default: {}\nexporter:\n  \(key): \(value)\n"), "\(value)")
            #expect(error.location.line == 4 && error.location.column == key.count + 5, "\(value): \(error)")
            #expect(error.message.hasPrefix("\(key) must be"), "\(value): \(error)")
        }
        // The bound itself is accepted (read_coalescing has its own, smaller one).
        if key != "read_coalescing" {
            #expect(throws: Never.self) { try Self.parse("modules:\n  default: {}\nexporter:\n  \(key): 24h\n") }
        }
    }

    /// The module `timeout` (milliseconds) with the same values: refused, not converted.
    @Test func hostileModuleTimeoutsFailTheLoad() throws {
        for value in ["nan", ".inf", "-1", "0", "1e300", "1e16", "9223372036854775807", "18446744073709551615"] {
            let error = try #require(Self.error("modules:\n  default:\n    timeout: \(value)\n"), "\(value)")
            #expect(error.location.line == 3, "\(value): \(error)")
            #expect(error.message.hasPrefix("timeout (milliseconds) must be"), "\(value): \(error)")
        }
    }

    /// The SDR limits under `exporter:`: defaults far above real servers, configurable, bounded.
    @Test func sdrLimitsDefaultAndAreValidated() throws {
        let defaults = try Self.parse("modules:\n  default: {}\n")
        #expect(defaults.settings.sdrLimits.maximumRecords == 4096)
        #expect(defaults.settings.sdrLimits.maximumSensors == 8192)
        let set = try Self.parse("modules:\n  default: {}\nexporter:\n  max_sdr_records: 300\n  max_sensors: 900\n")
        #expect(set.settings.sdrLimits.maximumRecords == 300)
        #expect(set.settings.sdrLimits.maximumSensors == 900)
        for line in ["max_sdr_records: 0", "max_sdr_records: 65536", "max_sensors: 0", "max_sensors: 1e300"] {
            let error = try #require(Self.error("modules:\n  default: {}\nexporter:\n  \(line)\n"), "\(line)")
            #expect(error.location.line == 4, "\(error)")
        }
    }

    /// A config that defines no module cannot serve a single scrape: refused with the file and the reason.
    @Test(
        arguments: [
            ("", 0), ("\n\n", 0), ("# only a comment\n# and another\n", 0), ("modules:\n", 1),
            ("modules: {}\n", 1), ("modules: ~\n", 1), ("exporter:\n  max_connections: 5\n", 1),
            ("# modules to come\nmodules: {}\ntargets: []\n", 2),
        ] as [(String, Int)])
    func aConfigWithoutModulesIsRefused(yaml: String, line: Int) throws {
        let error = try #require(Self.error(yaml), "\(yaml.debugDescription) was accepted")
        #expect(error.location.file == "test.yml")
        #expect(error.location.line == line, "\(error)")
        #expect(error.message.contains("module"), "\(error)")
    }

    /// A reload that finds the file emptied (a deployment gone wrong) keeps the modules in use.
    @Test func aReloadOfAnEmptiedFileKeepsTheOldConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    user: admin\n".write(to: file, atomically: true, encoding: .utf8)
        let store = ConfigStore(path: file.path, initial: try ConfigLoader.load(file: file.path))
        for text in ["", "# emptied\n", "modules: {}\n"] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            let result = store.reload(logger: quietLogger, metrics: nil)
            guard case .failure(let error) = result else {
                Issue.record("\(text.debugDescription) was accepted on reload")
                continue
            }
            #expect(error.location.file == file.path)
            #expect(store.current.modules["default"]?.user == "admin")
        }
    }

    @Test func parsesDurations() {
        #expect(YAMLReader.parseDuration("1h30m") == .seconds(5400))
        #expect(YAMLReader.parseDuration("1500ms") == .milliseconds(1500))
        #expect(YAMLReader.parseDuration("2d") == .seconds(172_800))
        #expect(YAMLReader.parseDuration("10") == nil)
        #expect(YAMLReader.parseDuration("") == nil)
        #expect(YAMLReader.parseDuration("5x") == nil)
        #expect(YAMLReader.parseDuration("50us") == .microseconds(50))
        #expect(YAMLReader.parseDuration("50µs") == .microseconds(50))
        #expect(YAMLReader.parseDuration("1ms250us") == .microseconds(1250))
        #expect(YAMLReader.parseDuration("999999999d") == nil)  // past Int64 microseconds: refused, not a trap
    }
}

@Suite struct ScrapeTargetTests {
    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1", 623), ("10.0.0.1:1623", "10.0.0.1", 1623),
        ("bmc-1.example.com", "bmc-1.example.com", 623),
        ("[::1]:623", "::1", 623), ("[fe80::1%eth0]:700", "fe80::1%eth0", 700), ("::1", "::1", 623),
        ("[2001:db8::5]", "2001:db8::5", 623),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let target = try ScrapeTarget(parsing: text)
        #expect(target.host == host)
        #expect(target.port == port)
    }

    @Test(arguments: [
        "", ":623", "host:", "host:0", "host:65536", "host:12ab", "[::1", "[::1]x", "[host]:1", "a b", "h/x", "h?x",
    ])
    func rejects(text: String) {
        #expect(throws: TargetParseError.self) { try ScrapeTarget(parsing: text) }
    }

    @Test func describesWithBracketsForIPv6() {
        #expect(ScrapeTarget(host: "::1", port: 623).description == "[::1]:623")
        #expect(ScrapeTarget(host: "h", port: 1).description == "h:1")
    }

    @Test func parsesListenAddresses() throws {
        #expect(try ListenAddress(parsing: ":9290") == ListenAddress(host: nil, port: 9290))
        #expect(try ListenAddress(parsing: "127.0.0.1:0") == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(try ListenAddress(parsing: "[::1]:9290") == ListenAddress(host: "::1", port: 9290))
        #expect(throws: TargetParseError.self) { try ListenAddress(parsing: "127.0.0.1") }
        #expect(throws: TargetParseError.self) { try ListenAddress(parsing: ":http") }
    }
}
