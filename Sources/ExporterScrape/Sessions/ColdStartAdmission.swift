import ExporterCollectors
import IPMIClient
import IPMIExporter
import Logging

/// Cold starts of sessions: a target's handshake (when its session is not open) and, for the `ipmi` collector, its SDR
/// repository read, each admitted through the exporter-wide ``ColdStartQueue``.
public struct ColdStartAdmission: Sendable {
    /// Bounds the handshakes and SDR downloads running at once over all targets.
    public let queue: ColdStartQueue
    /// How long a probe of a session that missed an answer may take: two attempts, so one more lost datagram does
    /// not make a live session look lost.
    let probeTimeout: Duration
    private let metrics: ExporterMetrics?

    init(queue: ColdStartQueue, probeTimeout: Duration, metrics: ExporterMetrics?) {
        self.queue = queue
        self.probeTimeout = probeTimeout
        self.metrics = metrics
    }

    /// True when a scrape of `entry` with `module` needs no cold work: the session is open and, for the `ipmi`
    /// collector, the SDR repository has been read.
    func isWarm(_ entry: SessionEntry, module: ModuleConfig) async -> Bool {
        guard entry.client.isConnected else { return false }
        return module.collectors.contains(.ipmi) ? await entry.sdr.isLoaded : true
    }

    /// The target's cold start, joined if one is queued or running, else queued now: the handshake if the session
    /// is not open, then (for the `ipmi` collector) the SDR repository read. It runs in a slot of ``queue`` and does
    /// not end with the scrape that asked for it once it has a slot, so a scrape out of time leaves it to the next
    /// one. The caller must ``ColdStartJob/leave()`` it when it stops waiting.
    ///
    /// A request that times out on an open session here is taken for a lost session only if a probe
    /// (``SessionEntry/answersProbe(until:)``) goes unanswered too; then the session is reset, so the next attempt
    /// opens a new one instead of asking a BMC that no longer knows the session again and again. An SDR read that
    /// fails on a live session fails only the `ipmi` collector: the cold start succeeds, and ``SDRCache`` hands the
    /// failure to that collector.
    ///
    /// The handshake and the read have budgets of their own on the real clock (the module's timeout, the SDR
    /// download's), not the scrape's deadline: they go on for the next scrape.
    func coldStart(_ entry: SessionEntry, module: ModuleConfig, logger: Logger) -> ColdStartJob {
        let metrics = self.metrics
        let queue = self.queue
        let prefetchSDR = module.collectors.contains(.ipmi)
        let handshakeTimeout = module.timeout
        let probeTimeout = self.probeTimeout
        return entry.coldStart {
            ColdStartJob(queue: queue, priority: entry.coldStartPriority) {
                let client = entry.client
                var failed = true
                defer { entry.coldStartEnded(failed: failed) }
                if !client.isConnected {
                    do {
                        try await IPMIDeadline.$current.withValue(.now + handshakeTimeout) {
                            try await client.connect()
                        }
                        metrics?.handshake(succeeded: true)
                        metrics?.sessionOpened()
                        entry.heard()
                        await entry.sessionOpened()
                    } catch {
                        metrics?.handshake(succeeded: false)
                        throw error
                    }
                }
                if prefetchSDR {
                    do {
                        _ = try await IPMIDeadline.$current.withValue(.now + SDRCache.downloadTimeout) {
                            try await entry.sdr.sensors(from: client, logger: logger, admitted: true)
                        }
                    } catch {
                        if IPMIScraper.isSessionLost(error), await !entry.answersProbe(until: .now + probeTimeout) {
                            logger.info("session lost during a cold start; the next attempt opens a new one")
                            await client.reset()
                            metrics?.sessionClosed()
                            throw error
                        }
                        await entry.sdr.hold(error)
                    }
                }
                failed = false
            }
        }
    }
}
