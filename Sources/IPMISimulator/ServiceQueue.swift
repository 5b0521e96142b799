import IPMI

/// What a simulated BMC spends its time on, by request; ``BMCServiceTimes`` gives each kind its service time.
public enum BMCRequestKind: Sendable, Hashable, CaseIterable {
    /// Outside a session: Get Channel Authentication Capabilities, Get Channel Cipher Suites, Get System GUID.
    case sessionless
    /// Open Session, RAKP 1 and RAKP 3 (IPMI v2.0 §13.17–13.20): the key exchange and its HMACs.
    case sessionSetup
    /// Sensor readings, thresholds and hysteresis (net function sensor/event, 04h).
    case sensor
    /// SDR repository and device SDR commands (IPMI v2.0 §33, §35): info, reserve, Get SDR.
    case sdr
    /// SEL commands (IPMI v2.0 §31): info, reserve, Get SEL Entry, time, clear.
    case sel
    /// Anything else in a session: Get Device ID, Get Chassis Status, DCMI, FRU, LAN parameters, Close Session, …
    case other

    /// The kind of an in-session IPMI request, by net function and command (IPMI v2.0 appendix G).
    public init(netFn: NetFn, command: UInt8) {
        switch netFn {
        case .sensorEvent:
            // 20h–22h are Get Device SDR Info, Get Device SDR and Reserve Device SDR Repository (§35.2–35.4).
            self = (0x20...0x22).contains(command) ? .sdr : .sensor
        case .storage:
            // Storage commands 20h–2Fh are the SDR repository's (§33), 40h–5Fh the SEL's (§31); FRU (10h–12h) is
            // neither.
            switch command {
            case 0x20...0x2F: self = .sdr
            case 0x40...0x5F: self = .sel
            default: self = .other
            }
        default: self = .other
        }
    }
}

/// A simulated BMC's own time per request, by ``BMCRequestKind``.
public struct BMCServiceTimes: Sendable, Hashable {
    public var sessionless: Duration
    public var sessionSetup: Duration
    public var sensor: Duration
    public var sdr: Duration
    public var sel: Duration
    public var other: Duration

    public init(
        sessionless: Duration = .zero, sessionSetup: Duration = .zero, sensor: Duration = .zero,
        sdr: Duration = .zero, sel: Duration = .zero, other: Duration = .zero
    ) {
        (self.sessionless, self.sessionSetup, self.sensor) = (sessionless, sessionSetup, sensor)
        (self.sdr, self.sel, self.other) = (sdr, sel, other)
    }

    /// No time at all: the loopback simulator as it always was.
    public static let zero = BMCServiceTimes()

    /// Figures of a typical BMC (an ARM SoC of a few hundred MHz running one IPMI daemon; see docs/simulator.md,
    /// "The realistic profile", for the public reports they come from): a few milliseconds per sensor reading and
    /// per SDR or SEL record, tens of milliseconds for each step of the RMCP+ key exchange.
    public static let realistic = BMCServiceTimes(
        sessionless: .milliseconds(2), sessionSetup: .milliseconds(30), sensor: .milliseconds(4),
        sdr: .milliseconds(6), sel: .milliseconds(6), other: .milliseconds(3))

    public subscript(kind: BMCRequestKind) -> Duration {
        get {
            switch kind {
            case .sessionless: sessionless
            case .sessionSetup: sessionSetup
            case .sensor: sensor
            case .sdr: sdr
            case .sel: sel
            case .other: other
            }
        }
        set {
            switch kind {
            case .sessionless: sessionless = newValue
            case .sessionSetup: sessionSetup = newValue
            case .sensor: sensor = newValue
            case .sdr: sdr = newValue
            case .sel: sel = newValue
            case .other: other = newValue
            }
        }
    }

    /// The names `ipmi-exporter simulate --service-time KIND=MS` takes.
    public static let kindNames: [(name: String, kind: BMCRequestKind)] = [
        ("sessionless", .sessionless), ("session-setup", .sessionSetup), ("sensor", .sensor), ("sdr", .sdr),
        ("sel", .sel), ("other", .other),
    ]
}

/// A BMC that serves one request at a time: a request arriving while ``depth`` others wait behind the one in
/// service is dropped, any other waits its turn. Pure: the caller passes the time, in nanoseconds of any
/// monotonic clock.
struct ServiceQueue: Sendable, Hashable {
    /// Requests that may wait behind the one in service; 0 is a single receive buffer.
    let depth: Int
    /// When each admitted request that is not done yet will be, in admission (and so completion) order.
    private var finishTimes: [UInt64] = []

    init(depth: Int) {
        self.depth = max(0, depth)
    }

    /// Requests admitted and not done at `now` (the one in service and those waiting).
    mutating func occupancy(at now: UInt64) -> Int {
        // Finish times only grow, so the finished ones are a prefix.
        let done = finishTimes.prefix { $0 <= now }.count
        if done > 0 { finishTimes.removeFirst(done) }
        return finishTimes.count
    }

    /// Whether a request arriving at `now` is taken (false: dropped).
    mutating func hasRoom(at now: UInt64) -> Bool {
        occupancy(at: now) <= depth
    }

    /// Takes a request that arrived at `now` and needs `service` nanoseconds; returns when it is done: once
    /// every request ahead of it is, plus its own service time.
    mutating func admit(at now: UInt64, service: UInt64) -> UInt64 {
        let start = max(now, finishTimes.last ?? now)
        let finish = start &+ service
        finishTimes.append(finish)
        return finish
    }
}
