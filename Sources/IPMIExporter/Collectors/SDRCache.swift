import IPMI
import IPMIClient
import IPMISensors
import Logging
import Synchronization

/// The sensors of one BMC's SDR repository, kept between scrapes.
///
/// Each scrape asks only Get SDR Repository Info; the repository is read again when its addition or erase
/// timestamp or its record count changed (IPMI v2.0 §33.9 — BMCs update the timestamps on every change).
/// Concurrent callers share one read: two walks of one repository would cancel each other's reservation.
actor SDRCache {
    private struct Entry: Sendable {
        var additionTimestamp: UInt32
        var eraseTimestamp: UInt32
        var recordCount: Int
        var sensors: [SensorDefinition]

        func matches(_ info: SDRRepositoryInfo) -> Bool {
            additionTimestamp == info.additionTimestamp && eraseTimestamp == info.eraseTimestamp
                && recordCount == info.recordCount
        }
    }

    private var entry: Entry?
    private var loading: Task<Entry, any Error>?
    private let metrics: ExporterMetrics?

    init(metrics: ExporterMetrics?) {
        self.metrics = metrics
    }

    /// Forgets the repository (e.g. after the BMC rebooted), so the next scrape reads it again.
    func invalidate() {
        entry = nil
    }

    /// How long a download may take in all. It is longer than a scrape: a download that a lossy or slow BMC
    /// stretches past the deadline of the scrape that started it runs on, and the next scrape finds it done (or
    /// joins it) instead of starting over, which on such a BMC would never finish within one scrape.
    static let downloadTimeout: Duration = .seconds(60)

    func sensors(from session: any IPMIRequester, logger: Logger) async throws -> [SensorDefinition] {
        if let loading {
            return try await Self.wait(for: loading)
        }
        let reader = SDRRepositoryReader(logger: logger)
        let info = try await reader.readInfo(from: session)
        if let entry, entry.matches(info) {
            metrics?.sdrCacheHit()
            return entry.sensors
        }
        if let loading {
            return try await Self.wait(for: loading)
        }
        metrics?.sdrCacheMiss()
        let task = Task { () throws -> Entry in
            try await IPMIDeadline.$current.withValue(.now + Self.downloadTimeout) {
                let repository = try await reader.read(from: session)
                let sensors = SensorDefinition.sensors(in: repository.records)
                logger.debug(
                    "read SDR repository",
                    metadata: ["records": "\(repository.records.count)", "sensors": "\(sensors.count)"])
                return Entry(
                    additionTimestamp: repository.info.additionTimestamp,
                    eraseTimestamp: repository.info.eraseTimestamp, recordCount: repository.info.recordCount,
                    sensors: sensors)
            }
        }
        loading = task
        Task { await self.finished(task) }
        return try await Self.wait(for: task)
    }

    private func finished(_ task: Task<Entry, any Error>) async {
        let result = await task.result
        if loading == task { loading = nil }
        if case .success(let loaded) = result { entry = loaded }
    }

    /// Waits for a download until it ends or the caller's scrape deadline passes, whichever is first. The
    /// download belongs to the scrapes waiting for it: a cancelled caller (shutdown, Ctrl-C of a batch) stops it;
    /// a caller out of time only stops waiting.
    private static func wait(for task: Task<Entry, any Error>) async throws -> [SensorDefinition] {
        let deadline = IPMIDeadline.current
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let once = ResumeOnce(continuation)
                let timer = deadline.map { deadline in
                    Task {
                        try await Task.sleep(until: deadline)
                        once.resume(with: .failure(SDRDownloadInProgress()))
                    }
                }
                Task {
                    let result = await task.result
                    timer?.cancel()
                    once.resume(with: result.map(\.sensors))
                }
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// The scrape's deadline came before the SDR repository was read; the read goes on for the next scrape.
struct SDRDownloadInProgress: Error, CustomStringConvertible {
    var description: String { "the SDR repository is still being read (it goes on for the next scrape)" }
}

/// Resumes a continuation once, from whichever of several racing tasks gets there first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        let taken = continuation.withLock { stored -> CheckedContinuation<T, any Error>? in
            defer { stored = nil }
            return stored
        }
        taken?.resume(with: result)
    }
}
