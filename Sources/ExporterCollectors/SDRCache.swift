import IPMI
import IPMIClient
import IPMIExporter
import IPMISensors
import Logging

/// The sensors of one BMC's SDR repository, kept between scrapes.
///
/// Each scrape asks only Get SDR Repository Info; the repository is read again when its addition or erase
/// timestamp or its record count changed (IPMI v2.0 §33.9 — BMCs update the timestamps on every change).
/// Concurrent callers share one read: two walks of one repository would cancel each other's reservation. A read that
/// fails keeps what it read (``SDRDownloadProgress``) for the next one, which goes on from there if the repository
/// did not change.
///
/// A BMC that refuses Get SDR Repository Info (C1h and the other refusals, ``CompletionCode/isRefusal``) has its
/// device SDRs read instead (IPMI v2.0 §35.2–35.4); one that refuses both makes only the `ipmi` collector fail, with
/// ``SDRUnavailable``. Which of the two a BMC has, or that it has neither, is remembered until ``sessionOpened()``
/// (a new session, perhaps after a reboot or a firmware update), so a refused command is not asked again each scrape.
///
/// The `thresholds` collector keeps the thresholds it read here too, for the sensors they were read for.
package actor SDRCache {
    private struct Entry: Sendable {
        var source: SDRSource
        var additionTimestamp: UInt32
        var eraseTimestamp: UInt32
        var recordCount: Int
        var sensors: [SensorDefinition]
        var entityNames: EntitySensorNames
        /// The repository's FRU device locators, for the `fru` collector.
        var fruLocators: [FRUDeviceLocatorRecord] = []
        /// Intel's Node Manager discovery record, the first one (as FreeIPMI takes it), for the SEL's Node Manager
        /// texts.
        var nodeManager: IntelNodeManagerRecord?

        func matches(_ info: SDRRepositoryInfo, from source: SDRSource) -> Bool {
            self.source == source && additionTimestamp == info.additionTimestamp
                && eraseTimestamp == info.eraseTimestamp
                && recordCount == info.recordCount
        }
    }

    private var entry: Entry?
    /// What the `fru` and `lan` collectors read once per session, kept beside the SDRs of the same BMC.
    package nonisolated let inventory = InventoryCache()
    /// Where this BMC's SDRs are, once known in this session.
    private var source: SDRSource?
    /// The BMC refused both SDR sources in this session.
    private var unavailable: SDRUnavailable?
    /// The fallback to device SDRs was logged at info once for this target; later sessions log it at debug.
    private var fallbackLogged = false
    private var loading: Task<Entry, any Error>?
    /// What the downloads that failed so far read; the next one goes on from there (if the repository is the same).
    private var progress = SDRDownloadProgress()
    /// A failed download of a cold start, for the `ipmi` collector of the scrape that waited for it (see
    /// ``hold(_:)``).
    private var heldFailure: (any Error)?
    private let metrics: ExporterMetrics?
    /// Downloads wait their turn here (a download is cold work, see ``ColdStartQueue``); nil: no bound.
    private let coldStarts: ColdStartQueue?
    /// Records and sensors one repository may have (`max_sdr_records`, `max_sensors`); beyond, the read fails.
    private let limits: SDRLimits
    /// `workaround_flags: [assumemaxsdrrecordcount]`: walks stop at the record count the info gives.
    private let assumeMaxRecordCount: Bool
    /// The `thresholds` collector's values and the sensors they belong to (SDRCache+Thresholds.swift).
    var thresholds: CachedThresholds?

    /// Controllers behind the BMC that refused bridged sensor reads in this session
    /// (``SensorReader/isBridgeRefusal(_:)``): their sensors are not asked for again until a new session.
    private(set) var refusedBridges: [BridgeTarget: CompletionCode] = [:]
    /// Controllers behind the BMC whose bridged reads went unanswered, each left out for a while.
    private var silentBridges = SilentControllers()

    /// The sensors last read, without asking the BMC whether they changed.
    var cachedSensors: [SensorDefinition]? { entry?.sensors }
    /// The target's System Event Log, kept as long as its SDRs are (with the target's session entry).
    package nonisolated let sel = SELCache()

    package init(
        metrics: ExporterMetrics?, coldStarts: ColdStartQueue? = nil, limits: SDRLimits = SDRLimits(),
        assumeMaxRecordCount: Bool = false
    ) {
        self.metrics = metrics
        self.coldStarts = coldStarts
        self.limits = limits
        self.assumeMaxRecordCount = assumeMaxRecordCount
    }

    /// True when a repository has been read (it may since have changed; the next ``sensors(from:logger:admitted:)``
    /// finds out with one Get SDR Repository Info).
    /// Also true when the BMC is known to have no SDRs in this session: there is nothing to download then.
    package var isLoaded: Bool { entry != nil || unavailable != nil }

    /// How the sensors read last are named with their entities (``EntitySensorNames``).
    package var entityNames: EntitySensorNames? { entry?.entityNames }
    /// Intel's Node Manager discovery record of the repository last read, if it has one.
    var nodeManager: IntelNodeManagerRecord? { entry?.nodeManager }

    /// A new session: what the BMC supports is asked again (a reboot or a firmware update may have changed it).
    /// The sensors read stay, checked with one info request as usual; the FRU inventory and LAN channels of
    /// ``inventory`` are forgotten, and so is the manufacturer and product the SEL is interpreted for.
    package func sessionOpened() async {
        source = nil
        unavailable = nil
        // Thresholds can be set at run time without a change to the SDRs: a new session reads them again.
        thresholds = nil
        refusedBridges = [:]
        silentBridges = SilentControllers()
        await inventory.sessionOpened()
        await sel.sessionOpened()
    }

    /// The controllers behind the BMC whose sensors are not asked for now: those that refused in this session and
    /// those left out for a while after they went silent.
    func bridgesToSkip(at now: ContinuousClock.Instant = .now) -> Set<BridgeTarget> {
        Set(refusedBridges.keys).union(silentBridges.skipped(at: now))
    }

    /// Takes in what the controllers behind the BMC did with a batch of bridged reads, each logged at info when it
    /// changes:
    /// - one that refused is remembered for the rest of the session and counted in
    ///   `ipmi_exporter_errors_total{reason="unsupported"}`;
    /// - one that left every read unanswered is left out for a while (``SilentControllers``), logged with how long,
    ///   and counted in `ipmi_exporter_errors_total{reason="timeout"}`; its first answer after that ends it.
    func noteBridgedReads(
        _ batch: SensorReader.BatchReadings, logger: Logger, at now: ContinuousClock.Instant = .now
    ) {
        for (bridge, code) in batch.refusedControllers.sorted(by: { $0.key < $1.key })
        where refusedBridges[bridge] == nil {
            refusedBridges[bridge] = code
            metrics?.error(reason: "unsupported")
            logger.info(
                "bridged sensor reads refused; the sensors of this controller are not read again in this session",
                metadata: ["controller": "\(bridge)", "reason": "\(code)"])
        }
        let change = silentBridges.record(
            silent: batch.silentControllers, answered: batch.answeringControllers, at: now)
        for (bridge, wait) in change.silent.sorted(by: { $0.key < $1.key }) {
            metrics?.error(reason: "timeout")
            logger.info(
                "no bridged sensor read answered; the sensors of this controller are left out for a while",
                metadata: ["controller": "\(bridge)", "retry_in": "\(wait)"])
        }
        for bridge in change.recovered.sorted() {
            logger.info("bridged sensor reads answered again", metadata: ["controller": "\(bridge)"])
        }
    }

    /// Keeps the failure of a download that a cold start made, so the next ``sensors(from:logger:admitted:)`` that
    /// is not a cold start's throws it instead of downloading again: the cold start does not fail for an unusable
    /// repository (the collectors that need no SDRs still run), and the `ipmi` collector of the scrape reports why.
    package func hold(_ failure: any Error) {
        heldFailure = failure
    }

    /// How long a download may take in all. It is longer than a scrape: a download that a lossy or slow BMC
    /// stretches past the deadline of the scrape that started it runs on, and the next scrape finds it done (or
    /// joins it) instead of starting over, which on such a BMC would never finish within one scrape.
    package static let downloadTimeout: Duration = .seconds(60)

    /// The repository's sensors, read again if it changed. `admitted`: the caller already holds a cold-start slot
    /// (the cold start of a target downloads under its own), so the download does not queue for another.
    package func sensors(
        from session: any IPMIRequester, logger: Logger, admitted: Bool = false
    ) async throws -> [SensorDefinition] {
        if let failure = heldFailure {
            heldFailure = nil
            if !admitted { throw failure }
        }
        if let loading {
            return try await adopt(Self.wait(for: loading), from: loading)
        }
        if var unavailable {
            unavailable.remembered = true
            throw unavailable
        }
        let (reader, info) = try await locate(from: session, logger: logger)
        if let entry, entry.matches(info, from: reader.source) {
            metrics?.sdrCacheHit()
            return entry.sensors
        }
        if let loading {
            return try await adopt(Self.wait(for: loading), from: loading)
        }
        metrics?.sdrCacheMiss()
        let queue = admitted ? nil : coldStarts
        let download: @Sendable () async throws -> Entry = {
            // The time allowed starts when the download is admitted, not while it waits for a slot.
            try await IPMIDeadline.$current.withValue(.now + Self.downloadTimeout) {
                var progress = await self.takeProgress()
                let repository: SDRRepository
                do {
                    repository = try await reader.read(from: session, resuming: &progress)
                } catch let error as IPMICommandError where error.completionCode.isRefusal {
                    // A BMC that lists its SDRs and then refuses to hand one over does so again: remembered.
                    throw await self.refused(SDRUnavailable(readRefused: error))
                } catch {
                    await self.keep(progress)
                    throw error
                }
                let sensors = try reader.sensors(in: repository)
                logger.debug(
                    "read SDR repository",
                    metadata: ["records": "\(repository.records.count)", "sensors": "\(sensors.count)"])
                return Entry(
                    source: reader.source, additionTimestamp: repository.info.additionTimestamp,
                    eraseTimestamp: repository.info.eraseTimestamp, recordCount: repository.info.recordCount,
                    sensors: sensors, entityNames: EntitySensorNames(records: repository.records),
                    fruLocators: repository.records.compactMap {
                        if case .fruDeviceLocator(let locator) = $0 { return locator }
                        return nil
                    },
                    nodeManager: repository.records.lazy.compactMap {
                        if case .intelNodeManager(let record) = $0 { return record }
                        return nil
                    }.first)
            }
        }
        let task = Task { () throws -> Entry in
            // A download outside a cold start is for a target with an open session.
            if let queue { return try await queue.run(priority: .answered, download) }
            return try await download()
        }
        loading = task
        Task { await self.finished(task) }
        return try await adopt(Self.wait(for: task), from: task)
    }

    /// The FRU device locators of the repository (read, or checked, as for ``sensors(from:logger:admitted:)``). A
    /// failure a cold start holds is thrown but left for the `ipmi` collector of the scrape, which reports it.
    package func fruLocators(from session: any IPMIRequester, logger: Logger) async throws -> [FRUDeviceLocatorRecord] {
        if let heldFailure { throw heldFailure }
        _ = try await sensors(from: session, logger: logger)
        return entry?.fruLocators ?? []
    }

    /// A reader for where the BMC keeps its SDRs, and their info: the source found earlier in this session, else
    /// the SDR repository, else (that refused) the device SDRs. Both refused: ``SDRUnavailable``, remembered.
    private func locate(
        from session: any IPMIRequester, logger: Logger
    ) async throws -> (SDRRepositoryReader, SDRRepositoryInfo) {
        if let source {
            let reader = SDRRepositoryReader(
                logger: logger, limits: limits, source: source, assumeMaxRecordCount: assumeMaxRecordCount)
            return (reader, try await reader.readInfo(from: session))
        }
        let repository = SDRRepositoryReader(
            logger: logger, limits: limits, source: .repository, assumeMaxRecordCount: assumeMaxRecordCount)
        let repositoryRefusal: IPMICommandError
        do {
            let info = try await repository.readInfo(from: session)
            source = .repository
            return (repository, info)
        } catch let error as IPMICommandError where error.completionCode.isRefusal {
            repositoryRefusal = error
        }
        let device = SDRRepositoryReader(
            logger: logger, limits: limits, source: .device, assumeMaxRecordCount: assumeMaxRecordCount)
        do {
            let info = try await device.readInfo(from: session)
            source = .device
            logger.log(
                level: fallbackLogged ? .debug : .info, "no SDR repository; reading the device SDRs",
                metadata: ["reason": "\(repositoryRefusal)"])
            fallbackLogged = true
            return (device, info)
        } catch let error as IPMICommandError where error.completionCode.isRefusal {
            let failure = SDRUnavailable(repository: repositoryRefusal, device: error)
            unavailable = failure
            throw failure
        }
    }

    private func refused(_ failure: SDRUnavailable) -> SDRUnavailable {
        unavailable = failure
        return failure
    }

    private func takeProgress() -> SDRDownloadProgress {
        defer { progress = SDRDownloadProgress() }
        return progress
    }

    private func keep(_ progress: SDRDownloadProgress) {
        self.progress = progress
    }

    /// Keeps a download's result as soon as a caller has it, so a scrape right after sees the repository as read
    /// (``finished(_:)`` does the same for a download nobody waited for to the end).
    private func adopt(_ loaded: Entry, from task: Task<Entry, any Error>) -> [SensorDefinition] {
        if loading == task {
            loading = nil
            entry = loaded
        }
        return loaded.sensors
    }

    private func finished(_ task: Task<Entry, any Error>) async {
        let result = await task.result
        if loading == task { loading = nil }
        if case .success(let loaded) = result { entry = loaded }
    }

    /// Waits for a download until it ends or the caller's scrape deadline passes, whichever is first. The
    /// download belongs to the scrapes waiting for it: a caller cancelled before its deadline (shutdown, Ctrl-C of a
    /// batch) stops it; a caller out of time, or cancelled because it is, only stops waiting.
    private static func wait(for task: Task<Entry, any Error>) async throws -> Entry {
        guard let entry = try await value(of: task, until: IPMIDeadline.current, cancelTaskOnCancel: true) else {
            throw SDRDownloadInProgress()
        }
        return entry
    }
}

/// The BMC has no sensors to read in this session: it refused both Get SDR Repository Info and Get Device SDR Info,
/// or it refused a Get SDR of the repository it listed.
package struct SDRUnavailable: Error, Hashable, CustomStringConvertible, Sendable {
    package var repository: IPMICommandError?
    package var device: IPMICommandError?
    package var readRefused: IPMICommandError?
    /// Thrown again from memory, without asking the BMC: not a new error to count.
    package var remembered = false

    package init(repository: IPMICommandError, device: IPMICommandError) {
        self.repository = repository
        self.device = device
    }

    package init(readRefused: IPMICommandError) {
        self.readRefused = readRefused
    }

    package var description: String {
        if let readRefused { return "the BMC refuses to hand over its SDRs (Get SDR: \(readRefused))" }
        return "the BMC has no SDR repository (Get SDR Repository Info: \(repository.map { "\($0)" } ?? "?")) and no "
            + "device SDRs (Get Device SDR Info: \(device.map { "\($0)" } ?? "?"))"
    }
}

/// The scrape's deadline came before the SDR repository was read; the read goes on for the next scrape.
package struct SDRDownloadInProgress: Error, CustomStringConvertible {
    package var description: String { "the SDR repository is still being read (it goes on for the next scrape)" }
}
