import ArgumentParser
import Foundation
import IPMI
import IPMIExporter
import Logging
import NIOConcurrencyHelpers
import Pushgateway
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// `ipmi-exporter push`: scrape every target once and push each one's metrics to a Pushgateway as
/// the group `{job, instance=<target>}`. Exit status 0 when every target was scraped and pushed,
/// 1 when any failed, 2 for bad usage or configuration, 130 (SIGINT) or 143 (SIGTERM) when interrupted.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Scrape a list of BMCs once and push each one's metrics to a Prometheus Pushgateway.",
        discussion: """
            Each target becomes its own group, PUT to <push.url>/metrics/job/<job>/instance/<target>, so \
            metrics that disappeared do not linger. A target that cannot be scraped still pushes ipmi_up 0. \
            Targets come from --target, --targets-file (one per line, # comments) or else the config's \
            targets list. Exit status: 0 all scraped and pushed, 1 any failed, 2 bad usage or config. SIGINT \
            or SIGTERM stops the run: no further scrapes or pushes, every BMC session closed, exit status \
            128 + the signal number (130, 143); a second signal exits at once.
            """)

    @Option(name: .customLong("config.file"), help: "Exporter configuration file (modules, credentials, targets).")
    var configFile: String?

    @Option(name: .customLong("push.url"), help: "Pushgateway base URL, e.g. http://pushgateway:9091.")
    var pushURL: String?

    @Option(name: .customLong("push.job"), help: "Value of the job label of every group.")
    var job = "ipmi"

    @Option(name: .customLong("target"), help: "A BMC to scrape, HOST[:PORT]; repeatable.")
    var targets: [String] = []

    @Option(name: .customLong("targets-file"), help: "File with one target per line.")
    var targetsFile: String?

    @Option(
        name: .customLong("module"),
        help: "Module to scrape with (default: the target's module in the config's targets list, else 'default').")
    var module: String?

    @Option(name: .customLong("concurrency"), help: "Targets scraped and pushed at the same time.")
    var concurrency = 8

    @Option(
        name: .customLong("timeout"),
        help: "Scrape timeout per target (e.g. 10s, 1500ms; at most 1h); default: the module's.")
    var timeout: String?

    @Option(name: .customLong("push.timeout"), help: "Timeout of one push attempt (at most 1h).")
    var pushTimeout = "10s"

    @Option(name: .customLong("push.connect-timeout"), help: "Connection timeout of one push attempt (at most 1h).")
    var pushConnectTimeout = "5s"

    @Option(name: .customLong("push.retries"), help: "Retries after connection errors and 5xx answers.")
    var pushRetries = 3

    @Option(name: .customLong("push.basic-auth-file"), help: "File holding user:password for the gateway.")
    var basicAuthFile: String?

    @Option(name: .customLong("push.header"), help: "Extra request header 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(name: .customLong("push.ca-file"), help: "CA bundle (PEM) to verify an https gateway.")
    var caFile: String?

    @Option(name: .customLong("push.cert-file"), help: "Client certificate (PEM) for the gateway.")
    var certFile: String?

    @Option(name: .customLong("push.key-file"), help: "Private key (PEM) of the client certificate.")
    var keyFile: String?

    @Option(name: .customLong("log.level"), help: "debug, info, warning or error (messages go to stderr).")
    var logLevel = "error"

    func run() async throws {
        let plan: PushPlan
        do {
            plan = try makePlan()
        } catch {
            writeStandardError(
                "ipmi-exporter push: \(error)\nSee 'ipmi-exporter push --help' for more information.\n")
            throw ExitCode(UsageFailure.exitStatus)
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        let console = ProgressConsole(writer: StandardStreams())
        // Log messages go through the console so that they never cut through the progress bar.
        LoggingSystem.bootstrap { label in
            StructuredLogHandler(label: label, format: .logfmt, level: plan.logLevel) { line in
                console.printLines(line, to: .standardError)
            }
        }
        let logger = Logger(label: "ipmi-exporter.push")

        let backend: PushScrapeBackend
        let client: PushgatewayClient
        do {
            backend = try await PushScrapeBackend.load(configFile: plan.configFile, logger: logger)
            client = try PushgatewayClient(configuration: plan.gateway, logger: logger)
        } catch {
            writeStandardError("ipmi-exporter push: \(error)\n")
            throw ExitCode(UsageFailure.exitStatus)
        }
        defer { client.shutdown() }

        let targets =
            plan.targets.isEmpty
            ? backend.configTargets(module: plan.module)
            : backend.commandLineTargets(plan.targets, module: plan.module)
        guard !targets.isEmpty else {
            writeStandardError(
                "ipmi-exporter push: no targets: give --target, --targets-file or targets in the config\n")
            throw ExitCode(UsageFailure.exitStatus)
        }
        for module in Set(targets.map(\.module)) where backend.config.module(named: module) == nil {
            writeStandardError("ipmi-exporter push: unknown module \"\(module)\" (not in \(plan.configFile))\n")
            throw ExitCode(UsageFailure.exitStatus)
        }

        let runner = BatchPushRunner(
            client: client, scraper: backend.scraper, job: plan.job, scrapeTimeout: plan.scrapeTimeout,
            concurrency: plan.concurrency)
        let output = PushOutput(total: targets.count, interactive: interactive, console: console)
        // Trapped before the batch starts, so an early Ctrl-C is not lost.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let batch = Task {
            await runner.run(targets: targets) { outcome, completed in
                output.record(outcome, completed: completed)
            }
        }
        let interruption = NIOLockedValueBox<UnixSignal?>(nil)
        let watcher = Task {
            for await signal in signals {
                let first = interruption.withLockedValue { seen in
                    defer { seen = seen ?? signal }
                    return seen == nil
                }
                // The first signal stops the batch and lets the sessions be closed; a second one does not wait.
                guard first else { Glibc.exit(128 + signal.rawValue) }
                batch.cancel()
            }
        }
        let summary = await batch.value
        // Every session of the run is closed, also after an interruption: BMCs have few session slots.
        await backend.scraper.close()
        watcher.cancel()
        if let signal = interruption.withLockedValue({ $0 }) {
            output.interrupted(by: signal, summary)
            throw ExitCode(128 + signal.rawValue)
        }
        output.finish(summary)
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }

    /// Everything from the command line, checked; throws `PushUsageError` for exit status 2.
    func makePlan() throws -> PushPlan {
        guard let configFile else { throw PushUsageError("--config.file is required") }
        guard FileManager.default.isReadableFile(atPath: configFile) else {
            throw PushUsageError("cannot read config file \(configFile)")
        }
        guard let pushURL else { throw PushUsageError("--push.url is required") }
        guard !job.isEmpty else { throw PushUsageError("--push.job must not be empty") }
        guard concurrency >= 1 else { throw PushUsageError("--concurrency must be at least 1") }
        guard pushRetries >= 0 else { throw PushUsageError("--push.retries must not be negative") }
        guard let level = Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) else {
            throw PushUsageError("unknown --log.level \(logLevel)")
        }

        var list = targets
        if let targetsFile {
            guard let text = try? String(contentsOfFile: targetsFile, encoding: .utf8) else {
                throw PushUsageError("cannot read targets file \(targetsFile)")
            }
            list += Self.targets(fromFileText: text)
        }
        var seen = Set<String>()
        list = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }

        var parsedHeaders: [HTTPHeader] = []
        for text in headers {
            guard let header = HTTPHeader(parsing: text) else {
                throw PushUsageError("--push.header must look like 'Name: value', got '\(text)'")
            }
            parsedHeaders.append(header)
        }
        var basicAuth: BasicAuth?
        if let basicAuthFile { basicAuth = try BasicAuth(contentsOfFile: basicAuthFile) }
        for (flag, path) in [("--push.ca-file", caFile), ("--push.cert-file", certFile), ("--push.key-file", keyFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw PushUsageError("cannot read \(flag) \(path)")
            }
        }

        let gateway = PushgatewayConfiguration(
            url: pushURL,
            basicAuth: basicAuth,
            headers: parsedHeaders,
            tls: TLSFiles(caFile: caFile, certFile: certFile, keyFile: keyFile),
            connectTimeout: try Self.duration("--push.connect-timeout", pushConnectTimeout),
            timeout: try Self.duration("--push.timeout", pushTimeout),
            retry: RetryPolicy(maxRetries: pushRetries))
        return PushPlan(
            configFile: configFile, gateway: gateway, job: job, module: module, targets: list,
            scrapeTimeout: try timeout.map { try Self.duration("--timeout", $0) }, concurrency: concurrency,
            logLevel: level)
    }

    /// One target per line; blank lines and `#` comments are skipped.
    static func targets(fromFileText text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let target = content.trimmingCharacters(in: .whitespaces)
            return target.isEmpty ? nil : target
        }
    }

    private static func duration(_ flag: String, _ text: String) throws -> Duration {
        guard let value = PushDuration.parse(text) else {
            throw PushUsageError(
                "\(flag) must be a positive duration \(PushDuration.rangeText) like 10s, 1500ms or 1m30s, got '\(text)'"
            )
        }
        return value
    }
}

/// The checked options of one `push` run.
struct PushPlan: Sendable {
    var configFile: String
    var gateway: PushgatewayConfiguration
    var job: String
    /// nil: each target's module from the config, else `default`.
    var module: String?
    /// Empty when the config's targets are to be used.
    var targets: [String]
    /// nil: each module's own timeout.
    var scrapeTimeout: Duration?
    var concurrency: Int
    var logLevel: Logger.Level
}

/// Bad usage or configuration: reported on stderr, exit status 2.
struct PushUsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prometheus-style durations: `1500ms`, `10s`, `1m30s`, `2h`; a bare number means seconds.
enum PushDuration {
    /// Every duration flag of `push` is a timeout of one scrape or one push: a millisecond to an hour (the longest
    /// module `timeout` a config accepts).
    static let range: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3600))
    static let rangeText = "at most 1h"

    /// The duration, in whole milliseconds, or nil when `text` is not a duration or is outside ``range`` (NaN,
    /// infinite, negative, `1e300`, ...: refused by ``TimeBounds``, never converted unchecked).
    static func parse(_ text: String) -> Duration? {
        guard let seconds = seconds(text), let duration = TimeBounds.duration(seconds: seconds, in: range) else {
            return nil
        }
        let milliseconds = Duration.milliseconds(TimeBounds.milliseconds(duration))
        return milliseconds >= range.lowerBound ? milliseconds : nil
    }

    /// The seconds `text` stands for, as a double that may be huge or infinite, or nil when it is not a duration.
    private static func seconds(_ text: String) -> Double? {
        if let seconds = Double(text) { return seconds }
        var total = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number) else { return nil }
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total
    }
}

/// Per-target output: a progress bar on a terminal (failures printed above it), logfmt lines
/// otherwise; a summary line at the end either way. All of it goes to stdout, through the console that
/// log messages (stderr) share with the bar.
final class PushOutput: Sendable {
    let interactive: Bool
    let bar: BatchProgressBar
    private let console: ProgressConsole
    private let start = ContinuousClock.now
    private let failed = NIOLockedValueBox(0)

    init(total: Int, interactive: Bool, console: ProgressConsole) {
        self.interactive = interactive
        self.bar = BatchProgressBar(total: total)
        self.console = console
        if interactive { console.drawBar(bar.render(completed: 0, failed: 0, elapsed: .zero)) }
    }

    func record(_ outcome: BatchTargetOutcome, completed: Int) {
        let failed = self.failed.withLockedValue { count in
            if !outcome.succeeded { count += 1 }
            return count
        }
        guard interactive else {
            console.printLines(BatchLogfmt.line(for: outcome), to: .standardOutput)
            return
        }
        if !outcome.succeeded { console.printLines(BatchLogfmt.line(for: outcome), to: .standardOutput) }
        console.drawBar(bar.render(completed: completed, failed: failed, elapsed: ContinuousClock.now - start))
    }

    func finish(_ summary: BatchSummary) {
        console.finishBar()
        console.printLines(BatchLogfmt.summaryLine(summary), to: .standardOutput)
    }

    /// Stopped by a signal: which one and how far the batch got, then the usual summary.
    func interrupted(by signal: UnixSignal, _ summary: BatchSummary) {
        console.finishBar()
        let line = BatchLogfmt.render([
            ("level", "error"), ("msg", "batch push interrupted, sessions closed"), ("signal", "\(signal)"),
            ("completed", "\(summary.completed)"), ("targets", "\(summary.targets)"),
        ])
        console.printLines(line, to: .standardOutput)
        console.printLines(BatchLogfmt.summaryLine(summary), to: .standardOutput)
    }
}

/// The process's standard output and error, written at once with write(2).
struct StandardStreams: TerminalWriter {
    func write(_ text: String, to stream: TerminalStream) {
        writeAll(stream == .standardOutput ? STDOUT_FILENO : STDERR_FILENO, text)
    }
}

private func writeStandardError(_ text: String) {
    writeAll(STDERR_FILENO, text)
}

private func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        bytes = bytes.dropFirst(written)
    }
}
