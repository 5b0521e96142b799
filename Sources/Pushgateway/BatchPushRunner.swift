/// Scrapes every target through a `BatchScraper` and pushes each one as its own group
/// `{job, instance=target}`, with at most `concurrency` targets in progress at once.
public struct BatchPushRunner: Sendable {
    public var client: PushgatewayClient
    public var scraper: any BatchScraper
    public var job: String
    /// Per-target scrape timeout; nil leaves it to each module's own.
    public var scrapeTimeout: Duration?
    public var concurrency: Int

    public init(
        client: PushgatewayClient, scraper: any BatchScraper, job: String, scrapeTimeout: Duration?,
        concurrency: Int
    ) {
        self.client = client
        self.scraper = scraper
        self.job = job
        self.scrapeTimeout = scrapeTimeout
        self.concurrency = max(1, concurrency)
    }

    /// Runs the batch; `onOutcome` is called once per target as it completes (in completion order,
    /// never concurrently) with the number of targets completed so far.
    ///
    /// Cancelling the calling task (Ctrl-C) starts no further target and cancels the scrapes and pushes in
    /// progress; the summary then counts fewer completed targets than `targets`.
    public func run(
        targets: [BatchTarget], onOutcome: (BatchTargetOutcome, _ completed: Int) -> Void = { _, _ in }
    ) async -> BatchSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = BatchSummary(targets: targets.count)
        await withTaskGroup(of: BatchTargetOutcome.self) { group in
            var pending = targets.makeIterator()
            for _ in 0..<concurrency {
                guard let target = pending.next() else { break }
                group.addTask { await process(target) }
            }
            var completed = 0
            while let outcome = await group.next() {
                completed += 1
                summary.record(outcome)
                onOutcome(outcome, completed)
                if !Task.isCancelled, let target = pending.next() {
                    group.addTask { await process(target) }
                }
            }
        }
        summary.duration = start.duration(to: clock.now)
        return summary
    }

    /// Scrapes and pushes one target; the push happens even when the scrape failed.
    public func process(_ target: BatchTarget) async -> BatchTargetOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let scrape = await scraper.scrape(target: target.name, module: target.module, timeout: scrapeTimeout)
        let scrapeDuration = start.duration(to: clock.now)
        let push: Result<PushResult, PushgatewayError>
        if Task.isCancelled {
            // Interrupted: a scrape cut short would replace the group with partial metrics.
            push = .failure(PushgatewayError(kind: .cancelled, message: "not pushed: the run was interrupted"))
        } else {
            do {
                push = .success(try await client.push(scrape.body, to: .instance(target.name, job: job)))
            } catch {
                push = .failure(error)
            }
        }
        return BatchTargetOutcome(
            target: target.name, module: target.module, up: scrape.up, scrapeError: scrape.error,
            scrapeDuration: scrapeDuration,
            push: push, duration: start.duration(to: clock.now))
    }
}

/// What happened to one target.
public struct BatchTargetOutcome: Sendable {
    public var target: String
    public var module: String
    /// Whether the scrape succeeded (the pushed `ipmi_up`).
    public var up: Bool
    public var scrapeError: String?
    public var scrapeDuration: Duration
    public var push: Result<PushResult, PushgatewayError>
    /// Scrape and push together.
    public var duration: Duration

    public init(
        target: String, module: String, up: Bool, scrapeError: String?, scrapeDuration: Duration,
        push: Result<PushResult, PushgatewayError>, duration: Duration
    ) {
        self.target = target
        self.module = module
        self.up = up
        self.scrapeError = scrapeError
        self.scrapeDuration = scrapeDuration
        self.push = push
        self.duration = duration
    }

    public var pushed: Bool {
        if case .success = push { return true }
        return false
    }

    /// Scraped and pushed.
    public var succeeded: Bool { up && pushed }
}

/// Counts over a whole batch.
public struct BatchSummary: Sendable, Equatable {
    public var targets: Int
    public var completed = 0
    public var scrapeFailed = 0
    public var pushFailed = 0
    /// Targets whose scrape or push failed.
    public var failed = 0
    public var duration: Duration = .zero

    public init(targets: Int) {
        self.targets = targets
    }

    mutating func record(_ outcome: BatchTargetOutcome) {
        completed += 1
        if !outcome.up { scrapeFailed += 1 }
        if !outcome.pushed { pushFailed += 1 }
        if !outcome.succeeded { failed += 1 }
    }

    public var succeeded: Int { completed - failed }

    /// 0 when every target was scraped and pushed, 1 otherwise.
    public var exitCode: Int32 { failed == 0 && completed == targets ? 0 : 1 }
}
