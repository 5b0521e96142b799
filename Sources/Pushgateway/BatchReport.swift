import LogFormatting

/// Renders batch outcomes as logfmt lines (`key=value`, values quoted when needed), the format of
/// non-interactive runs such as cron jobs.
public enum BatchLogfmt {
    /// One line per target, e.g.
    /// `level=info target=10.0.0.1:623 module=default scrape=ok push=ok status=200 attempts=1 duration=0.012s`.
    public static func line(for outcome: BatchTargetOutcome) -> String {
        var fields: [(String, String)] = [
            ("level", outcome.succeeded ? "info" : "error"),
            ("target", outcome.target),
            ("module", outcome.module),
            ("scrape", outcome.up ? "ok" : "failed"),
        ]
        if let error = outcome.scrapeError { fields.append(("scrape_error", error)) }
        switch outcome.push {
        case .success(let result):
            fields += [("push", "ok"), ("status", "\(result.statusCode)"), ("attempts", "\(result.attempts)")]
        case .failure(let error):
            fields.append(("push", "failed"))
            if let status = error.statusCode { fields.append(("status", "\(status)")) }
            fields += [("attempts", "\(error.attempts)"), ("push_error", error.message)]
        }
        fields.append(("duration", seconds(outcome.duration)))
        return render(fields)
    }

    /// The closing line, e.g. `level=info msg="batch push finished" targets=3 ok=3 failed=0 …`.
    public static func summaryLine(_ summary: BatchSummary) -> String {
        render([
            ("level", summary.exitCode == 0 ? "info" : "error"),
            ("msg", "batch push finished"),
            ("targets", "\(summary.targets)"),
            ("ok", "\(summary.succeeded)"),
            ("failed", "\(summary.failed)"),
            ("scrape_failed", "\(summary.scrapeFailed)"),
            ("push_failed", "\(summary.pushFailed)"),
            ("duration", seconds(summary.duration)),
        ])
    }

    public static func render(_ fields: [(String, String)]) -> String {
        Logfmt.line(fields)
    }

    /// Seconds with millisecond precision: `1.234s`.
    public static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        let millis = Int(whole) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }
}

/// A one-line progress bar for interactive runs, redrawn in place with a carriage return.
public struct BatchProgressBar: Sendable {
    public var total: Int
    public var width: Int

    public init(total: Int, width: Int = 30) {
        self.total = total
        self.width = width
    }

    /// The bar's text without the leading carriage return, e.g.
    /// `[###############---------------] 25/50 ok=24 failed=1 1.250s`.
    public func render(completed: Int, failed: Int, elapsed: Duration) -> String {
        let filled = total == 0 ? width : min(width, completed * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return
            "[\(bar)] \(completed)/\(total) ok=\(completed - failed) failed=\(failed) \(BatchLogfmt.seconds(elapsed))"
    }
}
