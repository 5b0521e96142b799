import Testing

@testable import Pushgateway

@Suite struct BatchReportTests {
    private func outcome(up: Bool, push: Result<PushResult, PushgatewayError>) -> BatchTargetOutcome {
        BatchTargetOutcome(
            target: "10.0.0.1:623", module: "default", up: up, scrapeError: up ? nil : "connection timed out",
            scrapeDuration: .milliseconds(5), push: push, duration: .milliseconds(1234))
    }

    @Test func successfulTargetLine() {
        let result = PushResult(url: "http://gw/x", statusCode: 200, attempts: 1, duration: .milliseconds(3))
        #expect(
            BatchLogfmt.line(for: outcome(up: true, push: .success(result)))
                == "level=info target=10.0.0.1:623 module=default scrape=ok push=ok status=200 attempts=1 duration=1.234s"
        )
    }

    @Test func failedTargetLineQuotesMessages() {
        let error = PushgatewayError(
            kind: .httpStatus, url: "http://gw/x", attempts: 1, statusCode: 400, responseBody: "bad \"x\"",
            message: "HTTP 400: bad \"x\"")
        #expect(
            BatchLogfmt.line(for: outcome(up: false, push: .failure(error)))
                == "level=error target=10.0.0.1:623 module=default scrape=failed scrape_error=\"connection timed out\""
                + " push=failed status=400 attempts=1 push_error=\"HTTP 400: bad \\\"x\\\"\" duration=1.234s")
    }

    /// A BMC's error text may hold any byte: control characters come out escaped as in the log handler, so a
    /// report line can neither split in two nor move the cursor of the terminal showing it.
    @Test func controlCharactersAreEscaped() {
        #expect(
            BatchLogfmt.render([("scrape_error", "bad\nline\u{1B}[2J\tend\\")])
                == #"scrape_error="bad\nline\u001b[2J\tend\\""#)
    }

    @Test func summaryLine() {
        var summary = BatchSummary(targets: 3)
        summary.completed = 3
        summary.failed = 1
        summary.scrapeFailed = 1
        summary.duration = .milliseconds(2005)
        #expect(
            BatchLogfmt.summaryLine(summary)
                == "level=error msg=\"batch push finished\" targets=3 ok=2 failed=1 scrape_failed=1 push_failed=0 duration=2.005s"
        )
        #expect(summary.exitCode == 1)
    }

    @Test func progressBar() {
        let bar = BatchProgressBar(total: 50, width: 10)
        #expect(
            bar.render(completed: 25, failed: 1, elapsed: .milliseconds(1250))
                == "[#####-----] 25/50 ok=24 failed=1 1.250s")
        #expect(
            bar.render(completed: 50, failed: 0, elapsed: .seconds(3)) == "[##########] 50/50 ok=50 failed=0 3.000s")
    }
}
