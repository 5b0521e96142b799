import IPMISensors
import NIOCore

/// The collectors of prometheus-community/ipmi_exporter, under the names its config uses.
public enum CollectorName: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ipmi
    case bmc
    case bmcWatchdog = "bmc-watchdog"
    case chassis
    case dcmi
    case sel
    case selEvents = "sel-events"
    case smLANMode = "sm-lan-mode"
    // Our own, opt-in: ipmi_exporter has no such collectors, so its default exposition stays as it is.
    /// `ipmi_sensor_threshold`: the thresholds of every threshold sensor (docs/exporter.md).
    case thresholds
    /// The rest of Get Chassis Status: intrusion, front panel lockout, power faults, restore policy.
    case chassisDetails = "chassis-details"
    /// The rest of DCMI Get Power Reading: minimum, maximum and average power over the reporting period.
    case dcmiStatistics = "dcmi-statistics"
    /// The FRU inventory and the BMC's LAN addresses.
    case fru
    case lan

    /// Collectors used when a module lists none, in ipmi_exporter's order.
    public static let defaults: [CollectorName] = [.ipmi, .dcmi, .bmc, .chassis]

    public var description: String { rawValue }
}

/// Requested maximum privilege level of a session (IPMI v2.0 section 13.17, table 13-17 values).
public enum PrivilegeLevel: String, Sendable, Hashable, CaseIterable {
    case user
    case `operator`
    case admin

    /// The value sent in the RMCP+ Open Session Request and RAKP 1.
    public var ipmiValue: UInt8 {
        switch self {
        case .user: 2
        case .operator: 3
        case .admin: 4
        }
    }
}

/// A rule of the `sel-events` collector: SEL entries whose text matches `pattern` count under `name`.
public struct SELEventRule: Hashable, Sendable {
    public let name: String
    /// A regular expression; the config loader rejects one that does not compile (file:line).
    public let pattern: String
    /// `pattern` compiled once, when the config is loaded, not at each scrape; nil (matching nothing) only for a
    /// rule built in code with a pattern that does not compile.
    public let regex: SELEventRegex?

    public init(name: String, pattern: String) {
        self.init(name: name, regex: try? SELEventRegex(pattern), pattern: pattern)
    }

    public init(name: String, regex: SELEventRegex) {
        self.init(name: name, regex: regex, pattern: regex.source)
    }

    private init(name: String, regex: SELEventRegex?, pattern: String) {
        self.name = name
        self.pattern = pattern
        self.regex = regex
    }

    public static func == (lhs: SELEventRule, rhs: SELEventRule) -> Bool {
        lhs.name == rhs.name && lhs.pattern == rhs.pattern
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(pattern)
    }
}

/// A compiled `sel_events` regular expression, shared by the concurrent scrapes of a config. Swift's `Regex` is
/// not `Sendable`: it is immutable but for the program it lowers on its first match, so that match is made here,
/// before the config is published to the scrapes, and each later match only reads the regex.
public struct SELEventRegex: @unchecked Sendable {
    public let source: String
    private let regex: Regex<AnyRegexOutput>

    public init(_ source: String) throws {
        let regex = try Regex(source)
        _ = "".contains(regex)
        self.source = source
        self.regex = regex
    }

    public func matches(_ text: String) -> Bool { text.contains(regex) }
}

/// Bridging to a controller behind the BMC (IPMI v2.0 section 6.13, Send Message): the channel and the
/// responder's slave address on it.
public struct BridgeConfig: Hashable, Sendable {
    public var channel: UInt8
    public var targetAddress: UInt8

    public init(channel: UInt8, targetAddress: UInt8) {
        self.channel = channel
        self.targetAddress = targetAddress
    }
}

/// One entry under `modules:`: how to reach and what to collect from the BMCs scraped with `module=NAME`.
public struct ModuleConfig: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var user: String
    /// From `pass`, `password_file` or `password_env`; empty for a BMC user without password. A `credentials:` rule
    /// matching the target replaces it and ``user`` (``ExporterConfig/module(named:for:)``).
    public var password: Secret
    public var privilege: PrivilegeLevel
    /// Cap on one scrape of a target (`timeout`, milliseconds in the file).
    public var timeout: Duration
    public var collectors: [CollectorName]
    /// SDR record IDs left out of the `ipmi` collector.
    public var excludeSensorIDs: Set<Int>
    /// FreeIPMI workaround flag names, lower-cased; see ``WorkaroundFlags``. Also filled from `-W` in `custom_args`.
    public var workaroundFlags: Set<String>
    /// `bridge_sensors`, or FreeIPMI's `--bridge-sensors` in `custom_args`: sensors owned by other controllers are
    /// read through Send Message instead of being left out.
    public var bridgeSensors = false
    /// Sensor names prefixed with their entity (`entity_sensor_names`, or FreeIPMI's `--entity-sensor-names` in
    /// `custom_args`).
    public var entitySensorNames = false
    public var selEvents: [SELEventRule]
    /// RMCP+ cipher suite ID; nil lets the client choose.
    public var cipherSuite: UInt8?
    /// BMC key K_g (IPMI v2.0 section 13.31) from `kg_file`; nil means K_g = the user key.
    public var kg: Secret?
    public var bridge: BridgeConfig?
    /// `driver: OPENIPMI`, `KCS`, `SSIF` or `SUNBMC` (upper-cased): the module reads this machine's own BMC through
    /// the kernel's IPMI device whatever the target, as FreeIPMI's in-band drivers do for ipmi_exporter. Nil for
    /// `LAN_2_0` (RMCP+ to the target).
    public var localDriver: String?

    /// `driver: LAN` (or `-D LAN` in `custom_args`): IPMI v1.5 sessions instead of RMCP+, as FreeIPMI's `-D LAN`.
    public var ipmi15 = false
    /// The IPMI v1.5 authentication type from `-a` in `custom_args` (NONE, STRAIGHT_PASSWORD_KEY, MD2, MD5,
    /// upper-cased); nil chooses the strongest the BMC offers.
    public var ipmi15AuthenticationType: String?

    /// True for a module of an in-band driver (``localDriver``).
    public var isLocal: Bool { localDriver != nil }

    public init(
        name: String, user: String = "", password: Secret = Secret([]), privilege: PrivilegeLevel = .operator,
        timeout: Duration = ModuleConfig.defaultTimeout, collectors: [CollectorName] = CollectorName.defaults,
        excludeSensorIDs: Set<Int> = [], workaroundFlags: Set<String> = [], selEvents: [SELEventRule] = [],
        cipherSuite: UInt8? = nil, kg: Secret? = nil, bridge: BridgeConfig? = nil
    ) {
        self.name = name
        self.user = user
        self.password = password
        self.privilege = privilege
        self.timeout = timeout
        self.collectors = collectors
        self.excludeSensorIDs = excludeSensorIDs
        self.workaroundFlags = workaroundFlags
        self.selEvents = selEvents
        self.cipherSuite = cipherSuite
        self.kg = kg
        self.bridge = bridge
    }

    /// Used when a module has no `timeout`: Prometheus' default scrape timeout.
    public static let defaultTimeout: Duration = .seconds(10)

    /// A summary without secrets, for logs.
    public var description: String {
        var parts = [
            "module=\(name)", "user=\(user)", "privilege=\(privilege.rawValue)", "timeout=\(timeout)",
            "collectors=\(collectors.map(\.rawValue).joined(separator: ","))",
        ]
        if let cipherSuite { parts.append("cipher_suite=\(cipherSuite)") }
        if let localDriver { parts.append("driver=\(localDriver)") }
        if ipmi15 { parts.append("driver=LAN" + (ipmi15AuthenticationType.map { " authentication_type=\($0)" } ?? "")) }
        if let bridge { parts.append("bridge=\(bridge.channel)/0x\(String(bridge.targetAddress, radix: 16))") }
        return parts.joined(separator: " ")
    }
}

/// FreeIPMI's workaround flag names (ipmi-sensors(8), bmc-info(8), freeipmi.conf(5), section WORKAROUNDS).
public enum WorkaroundFlags {
    /// The flags FreeIPMI documents for IPMI 2.0 LAN sessions and for sensor reading: this exporter acts on these
    /// (docs/exporter.md lists what each does here).
    public static let implemented: Set<String> = [
        "authcap", "nochecksumcheck", "idzero", "forcepermsg", "intel20", "supermicro20", "sun20", "opensesspriv",
        "integritycheckvalue", "unexpectedauth", "endianseq", "noauthcodecheck", "discretereading",
        "ignorescanningdisabled", "assumebmcowner", "assumemaxsdrrecordcount",
    ]
    /// FreeIPMI flags for in-band drivers, Serial over LAN, configuration tools and ipmiping: accepted (a config
    /// written for FreeIPMI keeps loading) with a warning that they change nothing here.
    public static let inapplicable: Set<String> = [
        "assumeio", "spinpoll", "ignoreauthcode", "nosensorsdronly", "solpayloadsize", "solport", "solstatus",
        "solpacketseq", "solchannelassumelan", "serialalertsdeferred", "incorrectendianess", "slowcommit",
        "veryslowcommit", "malformedack", "skipchecks", "ipmiping", "nodiscovery", "nosdrsupport",
    ]
    /// Every name a config may give; any other is a config error.
    public static let known = implemented.union(inapplicable)
}

/// One entry of the top-level `targets:` list, scraped when `/metrics` is requested without a target.
public struct TargetConfig: Hashable, Sendable {
    /// The target as written in the file; it becomes the `target` label of that target's series.
    public var name: String
    public var target: ScrapeTarget
    public var module: String

    public init(name: String, target: ScrapeTarget, module: String) {
        self.name = name
        self.target = target
        self.module = module
    }
}

/// Settings of the exporter itself, from the optional top-level `exporter:` block (our addition). They are
/// read at start-up; a reload that changes them logs that they apply after a restart.
public struct ExporterSettings: Hashable, Sendable {
    /// BMC sessions unused for this long are closed.
    public var sessionIdleTimeout: Duration = .seconds(600)
    /// A session silent for this long gets a Get Device ID, so that a BMC with a short session timeout (the IPMI
    /// default is 60 s) does not drop it between scrapes; zero sends none.
    public var sessionKeepaliveInterval: Duration = .seconds(20)
    /// Targets collected at the same time, over all modules.
    public var maxConcurrentScrapes: Int = 64
    /// Cold starts (RMCP+ handshake and SDR repository read of a target without a live session or a read
    /// repository) running at once, over all targets; the rest wait in arrival order and their scrapes report
    /// `ipmi_up 0` until their turn has come and gone. Warm scrapes do not wait for these slots.
    public var maxConcurrentColdStarts: Int = ExporterSettings.defaultMaxConcurrentColdStarts
    /// Cold starts waiting for one of those slots at once; one more is refused at once (its scrape reports
    /// `ipmi_up 0` with the reason) and tries again at its next scrape.
    public var maxQueuedColdStarts: Int = ExporterSettings.defaultMaxQueuedColdStarts
    /// Requests one BMC session keeps on the wire at once. Several in flight cut a scrape's time to the BMC's
    /// processing time instead of one round trip per sensor; a BMC that answers only one at a time drops the
    /// others, and the session then halves its window on each timeout down to one.
    public var maxOutstandingRequests: Int = 16
    /// After a burst of requests goes out, how long the UDP socket is left unread, so that the answers to it are read
    /// with one system call instead of waking the exporter once each (answers that take longer are read as they
    /// come, so a slow BMC sees no difference); zero reads every answer at once.
    public var readCoalescing: Duration = .microseconds(50)
    /// Subtracted from `X-Prometheus-Scrape-Timeout-Seconds` so the answer reaches Prometheus in time.
    public var scrapeTimeoutOffset: Duration = .milliseconds(500)
    /// Open HTTP connections accepted at once; further ones are closed straight away.
    public var maxConnections: Int = 512
    /// An HTTP connection with no traffic for this long is closed.
    public var httpIdleTimeout: Duration = .seconds(60)
    /// Request line plus headers of one request.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Records and sensors one BMC's SDR repository may have (`max_sdr_records`, `max_sensors`); a larger one fails
    /// the `ipmi` collector of that target with a log line instead of taking memory without bound.
    public var sdrLimits = SDRLimits()

    public init() {}
}

/// A whole config file, validated.
public struct ExporterConfig: Hashable, Sendable {
    public var modules: [String: ModuleConfig]
    public var targets: [TargetConfig]
    /// The `credentials:` rules in file order; see ``CredentialRule`` and ``module(named:for:)``.
    public var credentials: [CredentialRule]
    public var settings: ExporterSettings
    /// Accepted but noteworthy things found while reading; log them once.
    public var warnings: [ConfigWarning]

    public init(
        modules: [String: ModuleConfig] = [:], targets: [TargetConfig] = [], credentials: [CredentialRule] = [],
        settings: ExporterSettings = .init(), warnings: [ConfigWarning] = []
    ) {
        self.modules = modules
        self.targets = targets
        self.credentials = credentials
        self.settings = settings
        self.warnings = warnings
    }

    /// The module a request names, where an absent or empty name means `default`, like ipmi_exporter.
    public func module(named name: String?) -> ModuleConfig? {
        let name = (name?.isEmpty ?? true) ? "default" : name!
        return modules[name]
    }
}

extension ExporterSettings {
    /// ``readCoalescing`` as the transport takes it: nil for none.
    public var readPacing: TimeAmount? {
        readCoalescing > .zero ? TimeAmount(readCoalescing) : nil
    }
}
