import Foundation
import Logging
import NIOConcurrencyHelpers
import PrometheusText

@testable import ExporterScrape
@testable import IPMIExporter

/// A scraper double: records calls, tracks how many run at once, and answers at once, or when the test lets it go
/// (``hold()``, ``release()``): no test waits for time to pass on it.
final class FakeScraper: Scraper, Sendable {
    private struct State {
        var calls: [ScrapeRequest] = []
        var running = 0
        var maxRunning = 0
        var cancelled = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Set while held: every scrape waits (after being counted) until it is released.
    private let gate = NIOLockedValueBox<OneShotSignal?>(nil)
    let ignoresCancellation: Bool

    init(ignoresCancellation: Bool = false) {
        self.ignoresCancellation = ignoresCancellation
    }

    var calls: [ScrapeRequest] { state.withLockedValue { $0.calls } }
    /// Scrapes that have entered and not yet returned.
    var running: Int { state.withLockedValue { $0.running } }
    var maxRunning: Int { state.withLockedValue { $0.maxRunning } }
    /// Scrapes that saw their cancellation (never counted with `ignoresCancellation`).
    var cancelled: Int { state.withLockedValue { $0.cancelled } }

    /// From now on every scrape waits until ``release()``; a cancelled one goes on at once (counted in
    /// ``cancelled``), unless the scraper ignores cancellation.
    func hold() { gate.withLockedValue { $0 = $0 ?? OneShotSignal() } }
    /// Lets every held scrape go on, and later ones run without waiting.
    func release() {
        gate.withLockedValue { gate in
            defer { gate = nil }
            return gate
        }?.fire()
    }

    func scrape(_ request: ScrapeRequest, prepared: Void) async -> ScrapeReport {
        state.withLockedValue { state in
            state.calls.append(request)
            state.running += 1
            state.maxRunning = max(state.maxRunning, state.running)
        }
        defer { state.withLockedValue { $0.running -= 1 } }
        if let gate = gate.withLockedValue({ $0 }) {
            if ignoresCancellation {
                await gate.wait()
            } else {
                await gate.waitUnlessCancelled()
            }
        }
        if Task.isCancelled && !ignoresCancellation {
            state.withLockedValue { $0.cancelled += 1 }
            return .allDown(request.module.collectors, reason: "cancelled", duration: .zero)
        }
        return ScrapeReport(
            families: [.gauge("ipmi_temperature_celsius", help: "Temperature.", value: Double(request.target.port))],
            collectors: request.module.collectors.map { CollectorStatus($0, up: true) }, duration: .zero)
    }
}

/// Polls `condition` every 10 ms for up to `timeout`; true once it holds. For waiting on other tasks
/// without assuming how fast a loaded machine schedules them.
func eventually(timeout: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A logger that drops everything, for tests that do not look at logs.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A logger whose lines are kept for inspection.
final class CapturedLog: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var text: String { lines.withLockedValue { $0.joined() } }

    func logger(level: Logger.Level = .debug, format: LogFormat = .logfmt) -> Logger {
        Logger(label: "test") { label in
            StructuredLogHandler(label: label, format: format, level: level) { line in
                self.lines.withLockedValue { $0.append(line) }
            }
        }
    }
}

/// A module for tests; the long timeout keeps a starved test machine from turning scrapes into timeouts.
func module(
    _ name: String = "default", timeout: Duration = .seconds(120), collectors: [CollectorName] = [.ipmi, .bmc]
)
    -> ModuleConfig
{
    ModuleConfig(name: name, user: "u", password: Secret("pw"), timeout: timeout, collectors: collectors)
}
