import IPMI
import IPMISensors
import Logging

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

    func sensors(from session: any IPMIRequester, logger: Logger) async throws -> [SensorDefinition] {
        if let loading {
            return try await loading.value.sensors
        }
        let reader = SDRRepositoryReader(logger: logger)
        let info = try await reader.readInfo(from: session)
        if let entry, entry.matches(info) {
            metrics?.sdrCacheHit()
            return entry.sensors
        }
        if let loading {
            return try await loading.value.sensors
        }
        metrics?.sdrCacheMiss()
        let task = Task { () throws -> Entry in
            let repository = try await reader.read(from: session)
            let sensors = SensorDefinition.sensors(in: repository.records)
            logger.debug(
                "read SDR repository",
                metadata: ["records": "\(repository.records.count)", "sensors": "\(sensors.count)"])
            return Entry(
                additionTimestamp: repository.info.additionTimestamp, eraseTimestamp: repository.info.eraseTimestamp,
                recordCount: repository.info.recordCount, sensors: sensors)
        }
        loading = task
        defer { loading = nil }
        // The download is shared with scrapes that arrive meanwhile, but it belongs to this caller: when its
        // scrape is cancelled (shutdown, Ctrl-C of a batch) the download stops too instead of running on.
        let loaded = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        entry = loaded
        return loaded.sensors
    }
}
