/// The seam between batch mode and the exporter's collectors: scrape one target once and return
/// the text exposition to push. The real implementation reuses one session per BMC for the run
/// and closes them all in `close()`.
public protocol BatchScraper: Sendable {
    /// Scrapes `target` (`host[:port]`) with the collectors of `module`, within `timeout` (nil: the
    /// module's own timeout). Never throws: a failed target still yields a body (with `ipmi_up 0`) so
    /// that the failure is visible on the gateway.
    func scrape(target: String, module: String, timeout: Duration?) async -> BatchScrapeResult

    /// Called once after the last scrape: close sessions and sockets.
    func close() async
}

extension BatchScraper {
    public func close() async {}
}

/// One target's scrape: the exposition text and whether the BMC answered.
public struct BatchScrapeResult: Sendable {
    /// Text exposition format, `ipmi_up` included, ready to push.
    public var body: String
    /// False when the BMC or any of its collectors failed.
    public var up: Bool
    /// Why it failed, for the report line.
    public var error: String?

    public init(body: String, up: Bool, error: String? = nil) {
        self.body = body
        self.up = up
        self.error = error
    }
}

/// One entry of a batch: the target as written (it becomes the `instance` label) and its module.
public struct BatchTarget: Sendable, Hashable {
    public var name: String
    public var module: String

    public init(_ name: String, module: String) {
        self.name = name
        self.module = module
    }
}
