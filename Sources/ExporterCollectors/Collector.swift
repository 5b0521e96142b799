import IPMI
import IPMIExporter
import IPMISensors
import Logging
import PrometheusText

/// What a collector works with during one scrape: the live session of the target and its cached SDRs.
package struct CollectorContext: Sendable {
    package var session: any IPMIRequester
    package var module: ModuleConfig
    package var sdr: SDRCache
    package var logger: Logger
    /// The target's SEL, kept with its SDRs (``SDRCache/sel``).
    package var sel: SELCache { sdr.sel }

    package init(session: any IPMIRequester, module: ModuleConfig, sdr: SDRCache, logger: Logger) {
        self.session = session
        self.module = module
        self.sdr = sdr
        self.logger = logger
    }
}

/// One of ipmi_exporter's collectors, speaking IPMI itself instead of running a FreeIPMI program.
/// Throwing marks the collector `ipmi_up{collector} 0`.
package protocol Collector: Sendable {
    var name: CollectorName { get }
    func collect(_ context: CollectorContext) async throws -> [MetricFamily]
}

package enum Collectors {
    package static func make(_ name: CollectorName) -> any Collector {
        switch name {
        case .ipmi: SensorCollector()
        case .bmc: BMCInfoCollector()
        case .bmcWatchdog: BMCWatchdogCollector()
        case .chassis: ChassisCollector()
        case .dcmi: DCMICollector()
        case .sel: SELCollector()
        case .selEvents: SELEventsCollector()
        case .smLANMode: SMLANModeCollector()
        case .thresholds: ThresholdsCollector()
        case .chassisDetails: SingleRequestCollector.chassisDetails
        case .dcmiStatistics: SingleRequestCollector.dcmiStatistics
        case .fru: FRUCollector()
        case .lan: LANCollector()
        }
    }
}

struct BMCInfoCollector: Collector {
    var name: CollectorName { .bmc }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let device = try await context.session.call(GetDeviceIDRequest())
        // Both strings are optional in the spec; bmc-info shows N/A when a BMC lacks them.
        let firmware =
            await readSystemInfoString(GetSystemInfoParametersRequest.systemFirmwareVersion, context) ?? "N/A"
        let url = await readSystemInfoString(GetSystemInfoParametersRequest.bmcURL, context) ?? "N/A"
        return [BMCMetrics.info(device: device, systemFirmwareVersion: firmware, bmcURL: url)]
    }

    /// Reads a string parameter block by block (16 bytes each) up to its announced length.
    private func readSystemInfoString(_ parameter: UInt8, _ context: CollectorContext) async -> String? {
        guard
            let first = try? await context.session.call(
                GetSystemInfoParametersRequest(parameter: parameter, setSelector: 0)),
            let header = try? first.stringBlock().firstBlockHeader()
        else { return nil }
        var bytes = header.text
        var set: UInt8 = 1
        while bytes.count < header.length, set < 16 {
            guard
                let more = try? await context.session.call(
                    GetSystemInfoParametersRequest(parameter: parameter, setSelector: set)),
                let chunk = try? more.stringBlock().bytes, !chunk.isEmpty
            else { break }
            bytes += chunk
            set += 1
        }
        // An empty string is what bmc-info prints (and ipmi_exporter exports) for a parameter set to nothing; "N/A"
        // is only for a BMC that does not answer.
        return SystemInfoStringBlock.text(Array(bytes.prefix(header.length)))
    }
}

struct ChassisCollector: Collector {
    var name: CollectorName { .chassis }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        BMCMetrics.chassis(try await context.session.call(GetChassisStatusRequest()))
    }
}

struct DCMICollector: Collector {
    var name: CollectorName { .dcmi }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        BMCMetrics.dcmi(try await context.session.call(DCMIGetPowerReadingRequest()))
    }
}

struct SELCollector: Collector {
    var name: CollectorName { .sel }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        // With `sel-events` in the module, through the SEL cache, so that both share the request; alone, straight
        // to the session: the cache is an actor, and the hops to it and back cost more than the request itself.
        if context.module.collectors.contains(.selEvents) {
            return BMCMetrics.sel(try await context.sel.info(from: context.session))
        }
        return BMCMetrics.sel(try await context.session.call(GetSELInfoRequest()))
    }
}

struct BMCWatchdogCollector: Collector {
    var name: CollectorName { .bmcWatchdog }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        guard let families = BMCMetrics.watchdog(try await context.session.call(GetWatchdogTimerRequest())) else {
            throw IPMIError.malformed("Get Watchdog Timer response without the present countdown")
        }
        return families
    }
}

/// Supermicro's LAN interface mode (OEM net function 0x30, command 0x70, sub-command 0x0C).
struct SMLANModeCollector: Collector {
    var name: CollectorName { .smLANMode }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        [BMCMetrics.lanMode(try await context.session.call(SupermicroGetLANModeRequest()).mode)]
    }
}
