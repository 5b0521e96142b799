import IPMI
import IPMISensors
import Logging
import Synchronization

/// The sensors of one BMC's SDR repository, kept between scrapes.
///
/// Each scrape asks only Get SDR Repository Info; the repository is read again when its addition or erase
/// timestamp or its record count changed (IPMI v2.0 §33.9 — BMCs update the timestamps on every change).
final class SDRCache: Sendable {
    private struct Entry: Sendable {
        var additionTimestamp: UInt32
        var eraseTimestamp: UInt32
        var recordCount: Int
        var sensors: [SensorDefinition]
    }

    private let entry = Mutex<Entry?>(nil)
    private let metrics: ExporterMetrics?

    init(metrics: ExporterMetrics?) {
        self.metrics = metrics
    }

    /// Forgets the repository (e.g. after the BMC rebooted), so the next scrape reads it again.
    func invalidate() {
        entry.withLock { $0 = nil }
    }

    func sensors(from session: any IPMIRequester, logger: Logger) async throws -> [SensorDefinition] {
        let reader = SDRRepositoryReader(logger: logger)
        let info = try await reader.readInfo(from: session)
        let cached = entry.withLock { current -> [SensorDefinition]? in
            guard let current, current.additionTimestamp == info.additionTimestamp,
                current.eraseTimestamp == info.eraseTimestamp, current.recordCount == info.recordCount
            else { return nil }
            return current.sensors
        }
        if let cached {
            metrics?.sdrCacheHit()
            return cached
        }
        metrics?.sdrCacheMiss()
        let repository = try await reader.read(from: session)
        let sensors = SensorDefinition.sensors(in: repository.records)
        logger.debug(
            "read SDR repository",
            metadata: ["records": "\(repository.records.count)", "sensors": "\(sensors.count)"])
        entry.withLock {
            $0 = Entry(
                additionTimestamp: repository.info.additionTimestamp, eraseTimestamp: repository.info.eraseTimestamp,
                recordCount: repository.info.recordCount, sensors: sensors)
        }
        return sensors
    }
}
