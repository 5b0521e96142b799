import ExporterCollectors
import IPMI
import IPMIClient
import IPMIExporter
import IPMILocalDevice
import IPMISensors
import Logging

/// This machine's own BMC, read through the kernel's IPMI device (`/dev/ipmi0`) as ipmi_exporter reads it with
/// FreeIPMI's in-band drivers: what `/metrics` collects with the `default` module, and what every module with a local
/// `driver:` scrapes. The device is opened on first use and kept (no session to set up or keep alive); it is opened
/// again after it failed. The SDR repository is cached as for a remote target, and one collection runs at a time.
public actor LocalBMC {
    /// The device to open; nil: the first of ``OpenIPMIDevice/standardPaths`` that exists.
    public nonisolated let devicePath: String?
    let sdr: SDRCache
    /// Held by the collection using the device (the coordinator's single flight is per module; this is per device).
    let gate = AsyncSlots(limit: 1)
    private let options: LocalDeviceOptions
    private let logger: Logger
    private var device: OpenIPMIDevice?
    /// The last failure of each collector, so that one failing the same way on every scrape is logged once.
    private var failures: [CollectorName: String] = [:]
    private var openFailure: String?

    public init(
        devicePath: String?, metrics: ExporterMetrics?, sdrLimits: SDRLimits = SDRLimits(),
        options: LocalDeviceOptions = LocalDeviceOptions(), logger: Logger
    ) {
        self.devicePath = devicePath
        self.sdr = SDRCache(metrics: metrics, limits: sdrLimits)
        self.options = options
        var logger = logger
        logger[metadataKey: "target"] = "local"
        self.logger = logger
    }

    /// Whether local collection should be on when the operator did not say: a device exists.
    public static func deviceExists(at path: String?) -> Bool {
        guard let path else { return OpenIPMIDevice.existingPath() != nil }
        return OpenIPMIDevice.existingPath(among: [path]) != nil
    }

    /// The open device, opening it if needed. A failure to open is logged when it differs from the last one.
    func open() async throws -> OpenIPMIDevice {
        if let device { return device }
        do {
            let opened = try await OpenIPMIDevice.open(path: devicePath, options: options, logger: logger)
            device = opened
            // A reopened device may front a BMC that changed (reboot, firmware update): ask again what it has.
            await sdr.sessionOpened()
            if openFailure != nil { logger.info("local IPMI device open again", metadata: ["path": "\(opened.path)"]) }
            openFailure = nil
            return opened
        } catch {
            let message = "\(error)"
            if message != openFailure {
                logger.error("cannot open the local IPMI device", metadata: ["error": "\(message)"])
            }
            openFailure = message
            throw error
        }
    }

    /// Drops the device after an error that may mean it is gone (a read failure, closed); the next scrape reopens it.
    func failed(with error: any Error) async {
        guard let error = error as? LocalDeviceError, !error.isTimeout, let device else { return }
        self.device = nil
        await device.close()
    }

    /// True when `failure` is news for `collector` (and should be logged above debug); records it. Nil: it worked.
    func recordOutcome(of collector: CollectorName, failure: String?) -> Bool {
        let previous = failures[collector]
        failures[collector] = failure
        return failure != nil && failure != previous
    }

    /// Closes the device (at shutdown).
    public func close() async {
        await device?.close()
        device = nil
    }
}

extension ScrapeTarget {
    /// The target of the local collection that `/metrics` runs: this machine's BMC, not a host on the network (no
    /// parsed target has an empty host).
    public static let localBMC = ScrapeTarget(host: "", port: 0)
}
