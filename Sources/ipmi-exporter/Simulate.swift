import ArgumentParser
import Foundation
import IPMI
import IPMISimulator
import Logging
import Synchronization

/// `ipmi-exporter simulate`: simulated BMCs on consecutive UDP ports, for tests, benchmarks and trying the
/// exporter without hardware.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve simulated BMCs (IPMI v2.0 / RMCP+) on consecutive UDP ports.",
        discussion: """
            Every BMC accepts the test credential user "admin", password "password" (administrator), plus \
            "operator"/"operator" and "reader"/"reader" unless --config defines other users. These are test \
            credentials of the simulator: never reuse them elsewhere. Listens on loopback unless told otherwise.
            """
    )

    @Option(help: "HOST:PORT of the first BMC; the others follow on the next ports.")
    var listen: String = "127.0.0.1:6230"

    @Option(help: "Number of BMCs.")
    var count: Int = 1

    @Option(help: "YAML file describing users, cipher suites and sensors (default: the built-in server).")
    var config: String?

    @Option(help: "Fraction of received datagrams to drop, e.g. 0.05.")
    var loss: Double = 0

    @Option(
        help: """
            loopback (answers at once, any number at a time; the default) or realistic (one request at a time, a \
            few ms per sensor reading, 30 ms per key-exchange step, 4 waiting at most, 1 ms round trip). The \
            options below change the profile's figures.
            """)
    var bmcProfile: String = "loopback"

    @Option(help: "Milliseconds the BMC spends on every request, on top of its service times.")
    var latency: Int = 0

    @Option(
        help:
            "Serve one request at a time with at most N waiting; more are dropped (0: a single receive buffer).")
    var queueDepth: Int?

    @Flag(help: "Serve one request at a time and take none while busy (the same as --queue-depth 0).")
    var oneRequestAtATime = false

    @Option(
        help: """
            KIND=MS, repeatable: the BMC's time per request of a kind (sessionless, session-setup, sensor, sdr, \
            sel, other).
            """)
    var serviceTime: [String] = []

    @Option(help: "Milliseconds of network round trip added to every answer (fractions allowed).")
    var roundTripTime: Double?

    @Option(help: "Fraction of answers with a corrupted byte.")
    var corrupt: Double = 0

    @Option(help: "Fraction of answers cut short.")
    var truncate: Double = 0

    @Option(help: "Fraction of datagrams duplicated in each direction; the copy comes up to --max-delay later.")
    var duplicate: Double = 0

    @Option(help: "Fraction of datagrams in each direction held back up to --max-delay (they arrive out of order).")
    var delayRate: Double = 0

    @Option(help: "Milliseconds: the longest delay of a held-back or duplicated datagram.")
    var maxDelay: Int = 0

    @Flag(help: "Readings without drift: each BMC reads the same for ever, across reboots too.")
    var steady = false

    @Option(help: "At start-up, write every BMC's sensor readings (by port, then sensor name) as JSON to PATH.")
    var truthFile: String?

    @Flag(help: "Refuse every Open Session as if all session slots were taken.")
    var slotsExhausted = false

    @Flag(help: "No SDR repository: its commands answer C1h (invalid command), as on BMCs without one.")
    var noSDRRepository = false

    @Flag(
        name: .customLong("device-sdrs"),
        help: "Offer the SDRs as device SDRs too (Get Device SDR Info, Get Device SDR; IPMI v2.0 §35).")
    var deviceSDRs = false

    @Option(
        name: .customLong("quirk"),
        help:
            "Behave as a BMC that needs this FreeIPMI workaround flag (repeatable): \(BMCQuirks.names.map(\.name).joined(separator: ", "))."
    )
    var quirks: [String] = []

    @Option(
        help: "Add N entries to every BMC's SEL (after those of --config), one per sensor in turn, oldest first.")
    var selEntries: Int = 0

    @Option(help: "Every SECONDS, reboot one BMC picked at random (sessions wiped, SDR timestamps moved); 0: never.")
    var rebootEvery: Double = 0

    @Option(
        help:
            "Every SECONDS, print a status line: open sessions over all BMCs, BMCs with one, the most on one BMC, and reboots so far; 0: never."
    )
    var statusEvery: Double = 0

    @Flag(help: "Print the built-in server configuration (YAML) and exit.")
    var printDefaultConfig = false

    @Option(help: "Log level: trace, debug, info, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        guard count >= 1, count <= 60000 else { throw ValidationError("--count must be between 1 and 60000") }
        guard (0...1).contains(loss), (0...1).contains(corrupt), (0...1).contains(truncate) else {
            throw ValidationError("--loss, --corrupt and --truncate are fractions between 0 and 1")
        }
        guard (0...Self.longestLatencyMilliseconds).contains(latency) else {
            throw ValidationError("--latency must be between 0 and \(Self.longestLatencyMilliseconds) milliseconds")
        }
        guard (0...1).contains(duplicate), (0...1).contains(delayRate) else {
            throw ValidationError("--duplicate and --delay-rate are fractions between 0 and 1")
        }
        // A minute is far beyond any real network's reordering, and keeps the delay within what NIO schedules.
        guard (0...Self.longestLatencyMilliseconds).contains(maxDelay) else {
            throw ValidationError("--max-delay must be between 0 and \(Self.longestLatencyMilliseconds) milliseconds")
        }
        guard (0...SimulatorConfiguration.maximumSELEntries).contains(selEntries) else {
            throw ValidationError("--sel-entries must be between 0 and \(SimulatorConfiguration.maximumSELEntries)")
        }
        _ = try Self.period("--reboot-every", rebootEvery)
        _ = try Self.period("--status-every", statusEvery)
        _ = try serviceModel()
    }

    /// The `--bmc-profile` with the service options applied over it.
    func serviceModel() throws -> BMCFaults {
        guard var faults = BMCFaults.profiles.first(where: { $0.name == bmcProfile })?.faults else {
            let names = BMCFaults.profiles.map(\.name).joined(separator: ", ")
            throw ValidationError("--bmc-profile must be one of \(names)")
        }
        if let queueDepth {
            guard (0...Self.longestQueue).contains(queueDepth) else {
                throw ValidationError("--queue-depth must be between 0 and \(Self.longestQueue)")
            }
            faults.queueDepth = queueDepth
        }
        if oneRequestAtATime { faults.queueDepth = 0 }
        for entry in serviceTime {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = BMCServiceTimes.kindNames.first(where: { $0.name == parts[0] })?.kind,
                let time = Double(parts[1]).flatMap(Self.milliseconds)
            else {
                let names = BMCServiceTimes.kindNames.map(\.name).joined(separator: ", ")
                throw ValidationError(
                    "--service-time takes KIND=MS, KIND one of \(names), MS from 0 to \(Self.longestLatencyMilliseconds)"
                )
            }
            faults.serviceTimes[kind] = time
        }
        if let roundTripTime {
            guard let time = Self.milliseconds(roundTripTime) else {
                throw ValidationError(
                    "--round-trip-time must be between 0 and \(Self.longestLatencyMilliseconds) milliseconds")
            }
            faults.roundTripTime = time
        }
        return faults
    }

    /// More waiting requests than any BMC holds; the queue's bookkeeping stays small.
    static let longestQueue = 1024

    /// Milliseconds (fractions allowed) within 0…``longestLatencyMilliseconds``, or nil.
    static func milliseconds(_ value: Double) -> Duration? {
        guard value.isFinite, (0...Double(longestLatencyMilliseconds)).contains(value)
        else { return nil }
        return .nanoseconds(Int64((value * 1_000_000).rounded()))
    }

    /// A minute per answer is far past any client's timeout.
    static let longestLatencyMilliseconds = 60_000
    static let periods: ClosedRange<Duration> = .milliseconds(1)...(.seconds(86_400))

    /// A `--*-every SECONDS` flag: nil for 0 (never), else a duration from a millisecond to a day; anything else
    /// (negative, NaN, infinite, 1e300) is a usage error, checked by ``TimeBounds`` rather than trapping later.
    static func period(_ flag: String, _ seconds: Double) throws -> Duration? {
        if seconds == 0 { return nil }
        guard let period = TimeBounds.duration(seconds: seconds, in: periods) else {
            throw ValidationError("\(flag) must be 0 (never) or between 0.001 and 86400 seconds")
        }
        return period
    }

    func run() async throws {
        if printDefaultConfig {
            print(SimulatorConfiguration.defaultServerYAML)
            return
        }
        var logger = Logger(label: "ipmi-exporter.simulate")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            port > 0, port + count - 1 <= 65535
        else { throw ValidationError("--listen must be HOST:PORT with room for \(count) ports") }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var configuration: SimulatorConfiguration
        if let config {
            let text = try String(contentsOfFile: config, encoding: .utf8)
            configuration = try SimulatorConfiguration.parse(yaml: text)
        } else {
            configuration = .defaultServer
        }
        configuration.addSELEntries(selEntries)
        var faults = try serviceModel()
        faults.lossRate = loss
        faults.latency = .milliseconds(latency)
        faults.corruptionRate = corrupt
        faults.truncationRate = truncate
        faults.sessionSlotsExhausted = slotsExhausted
        faults.duplicationRate = duplicate
        faults.delayRate = delayRate
        faults.maxDelay = .milliseconds(maxDelay)
        faults.noSDRRepository = noSDRRepository
        faults.deviceSDRs = deviceSDRs
        for name in quirks {
            guard let quirk = BMCQuirks(name: name) else { throw ValidationError("unknown --quirk \(name)") }
            faults.quirks.insert(quirk)
        }
        let fleet = try await SimulatedBMCFleet.start(
            count: count, basePort: port, host: host, configuration: steady ? configuration.steady : configuration,
            faults: faults, logger: logger)
        if let truthFile {
            // Written before "Serving …" so that whoever waits for that line finds the file complete.
            try await fleet.truthJSON().write(to: URL(fileURLWithPath: truthFile), options: .atomic)
        }
        say(
            "Serving \(fleet.count) simulated BMC(s): \(fleet.addresses.first!)"
                + (fleet.count > 1 ? " … \(fleet.addresses.last!)" : ""))
        say(
            "Test credential: user admin, password password (e.g. ipmitool -I lanplus -H \(host) -p \(port) -U admin -P password -C 17 sdr elist)"
        )
        let reboots = RebootCount()
        await withTaskGroup(of: Void.self) { group in
            if let rebootPeriod = try? Self.period("--reboot-every", rebootEvery) {
                group.addTask {
                    await fleet.rebootAtRandom(every: rebootPeriod) { _ in
                        reboots.value.add(1, ordering: .relaxed)
                    }
                }
            }
            if let statusPeriod = try? Self.period("--status-every", statusEvery) {
                group.addTask {
                    while (try? await Task.sleep(for: statusPeriod)) != nil {
                        // Per BMC too: several exporters sharing a fleet (scripts/check-sharded-live.sh) must
                        // each hold one session per BMC of their share, and no BMC may see two.
                        var perBMC: [Int] = []
                        for index in 0..<fleet.count {
                            guard let count = try? await fleet.sessionCount(bmc: index) else { break }
                            perBMC.append(count)
                        }
                        guard perBMC.count == fleet.count else { break }
                        say(
                            "status: sessions=\(perBMC.reduce(0, +)) reboots=\(reboots.value.load(ordering: .relaxed))"
                                + " bmcs=\(fleet.count) bmcs_with_sessions=\(perBMC.filter { $0 > 0 }.count)"
                                + " max_sessions_per_bmc=\(perBMC.max() ?? 0)"
                        )
                    }
                }
            }
            await waitForTermination()
            group.cancelAll()
        }
        await fleet.stop()
    }

    /// Writes a line to standard output at once (print buffers when stdout is a pipe).
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Returns on SIGINT or SIGTERM.
    private func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "simulate.signals")
            let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
            nonisolated(unsafe) var resumed = false
            for source in sources {
                source.setEventHandler {
                    guard !resumed else { return }
                    resumed = true
                    for s in sources { s.cancel() }
                    continuation.resume()
                }
                source.resume()
            }
        }
    }
}

/// Reboots done by `--reboot-every`, shown by `--status-every`.
private final class RebootCount: Sendable {
    let value = Atomic<Int>(0)
}
