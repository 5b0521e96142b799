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

/// A response that is too short or otherwise unusable.
struct UnexpectedResponse: Error, CustomStringConvertible {
    var what: String
    var description: String { "unexpected response to \(what)" }
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
        }
    }
}

struct BMCInfoCollector: Collector {
    var name: CollectorName { .bmc }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(netFn: .app, command: 0x01)
        guard let device = DeviceID(data: data) else { throw UnexpectedResponse(what: "Get Device ID") }
        // Both strings are optional in the spec; bmc-info shows N/A when a BMC lacks them.
        let firmware = await readSystemInfoString(SystemInfoString.firmwareVersion, context) ?? "N/A"
        let url = await readSystemInfoString(SystemInfoString.bmcURL, context) ?? "N/A"
        return [BMCMetrics.info(device: device, systemFirmwareVersion: firmware, bmcURL: url)]
    }

    /// Reads a string parameter block by block (16 bytes each) up to its announced length.
    private func readSystemInfoString(_ parameter: UInt8, _ context: CollectorContext) async -> String? {
        guard
            let first = try? await context.session.call(
                netFn: .app, command: SystemInfoString.command,
                data: SystemInfoString.request(parameter: parameter, block: 0)),
            let payload = SystemInfoString.blockPayload(first),
            let header = SystemInfoString.firstBlock(payload)
        else { return nil }
        var bytes = header.bytes
        var block: UInt8 = 1
        while bytes.count < header.length, block < 16 {
            guard
                let more = try? await context.session.call(
                    netFn: .app, command: SystemInfoString.command,
                    data: SystemInfoString.request(parameter: parameter, block: block)),
                let chunk = SystemInfoString.blockPayload(more), !chunk.isEmpty
            else { break }
            bytes += chunk
            block += 1
        }
        let text = SystemInfoString.text(Array(bytes.prefix(header.length)))
        return text.isEmpty ? nil : text
    }
}

struct ChassisCollector: Collector {
    var name: CollectorName { .chassis }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(netFn: .chassis, command: 0x01)
        guard let status = ChassisStatus(data: data) else { throw UnexpectedResponse(what: "Get Chassis Status") }
        return BMCMetrics.chassis(status)
    }
}

struct DCMICollector: Collector {
    var name: CollectorName { .dcmi }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(
            netFn: .groupExtension, command: DCMIPowerReading.command, data: DCMIPowerReading.requestData)
        guard let reading = DCMIPowerReading(data: data) else {
            throw UnexpectedResponse(what: "DCMI Get Power Reading")
        }
        return BMCMetrics.dcmi(reading)
    }
}

struct SELCollector: Collector {
    var name: CollectorName { .sel }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(netFn: .storage, command: 0x40)
        guard let info = SELInfo(data: data) else { throw UnexpectedResponse(what: "Get SEL Info") }
        return BMCMetrics.sel(info)
    }
}

struct BMCWatchdogCollector: Collector {
    var name: CollectorName { .bmcWatchdog }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(netFn: .app, command: 0x25)
        guard let timer = WatchdogTimer(data: data) else { throw UnexpectedResponse(what: "Get Watchdog Timer") }
        return BMCMetrics.watchdog(timer)
    }
}

/// Supermicro's LAN interface mode (OEM net function 0x30, command 0x70, sub-command 0x0C).
struct SMLANModeCollector: Collector {
    var name: CollectorName { .smLANMode }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let data = try await context.session.call(netFn: NetFn(rawValue: 0x30), command: 0x70, data: [0x0C, 0x00])
        guard let mode = data.first else { throw UnexpectedResponse(what: "Supermicro Get LAN Mode") }
        return [BMCMetrics.lanMode(mode)]
    }
}
