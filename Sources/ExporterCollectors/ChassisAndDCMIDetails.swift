import IPMI
import IPMIExporter
import PrometheusText

/// A collector that sends one command and makes its families of the answer.
struct SingleRequestCollector<Request: IPMICommandRequest>: Collector {
    let name: CollectorName
    let request: Request
    let families: @Sendable (Request.Response) -> [MetricFamily]

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        families(try await context.session.call(request))
    }
}

extension SingleRequestCollector where Request == GetChassisStatusRequest {
    /// The opt-in `chassis-details` collector: what Get Chassis Status (IPMI v2.0 §28.2) says beyond the three
    /// series of ipmi_exporter's `chassis` collector. It is a collector of its own, not more series from `chassis`,
    /// so the default exposition stays ipmi_exporter's series for series; it asks Get Chassis Status itself (one
    /// request).
    static let chassisDetails = Self(
        name: .chassisDetails, request: GetChassisStatusRequest(), families: ChassisDetailsMetrics.families)
}

extension SingleRequestCollector where Request == DCMIGetPowerReadingRequest {
    /// The opt-in `dcmi-statistics` collector: DCMI Get Power Reading's minimum, maximum and average over the
    /// statistics reporting period (DCMI v1.5 §6.6.1), beside `dcmi`'s current reading, for the same reason as
    /// ``chassisDetails``.
    static let dcmiStatistics = Self(
        name: .dcmiStatistics, request: DCMIGetPowerReadingRequest(), families: DCMIStatisticsMetrics.families)
}

enum ChassisDetailsMetrics {
    /// ipmitool's names of the restore policies (`chassis status`, "Power Restore Policy").
    static let restorePolicies: [(GetChassisStatusResponse.RestorePolicy, String)] = [
        (.alwaysOff, "always-off"), (.previous, "previous"), (.alwaysOn, "always-on"), (.unknown, "unknown"),
    ]

    /// As ipmi_exporter's drive and cooling fault gauges: 1 when all is well, 0 when the condition is present, so
    /// `ipmi_chassis_…_state == 0` finds every problem.
    static func families(_ status: GetChassisStatusResponse) -> [MetricFamily] {
        func state(_ name: String, _ what: String, _ present: Bool) -> MetricFamily {
            .gauge(name, help: what + ": 1 no, 0 yes.", value: present ? 0 : 1)
        }
        return [
            state("ipmi_chassis_intrusion_state", "Chassis intrusion active", status.intrusion),
            state(
                "ipmi_chassis_front_panel_lockout_state", "Front panel buttons locked out", status.frontPanelLockout),
            state("ipmi_chassis_power_overload_state", "Shut down by a power overload", status.powerOverload),
            state("ipmi_chassis_power_interlock_state", "Power interlock active", status.powerInterlock),
            state("ipmi_chassis_main_power_fault_state", "Main power subsystem fault", status.mainPowerFault),
            state(
                "ipmi_chassis_power_control_fault_state", "Power controller failed to switch power",
                status.powerControlFault),
            MetricFamily(
                name: "ipmi_chassis_power_restore_policy",
                help: "Power restore policy after AC power returns: 1 for the configured policy.", type: .gauge,
                samples: restorePolicies.map { policy, name in
                    Sample(labels: [Label("policy", name)], value: status.restorePolicy == policy ? 1 : 0)
                }),
        ]
    }
}

enum DCMIStatisticsMetrics {
    /// Like `ipmi_dcmi_power_consumption_watts`, nothing while the BMC says it is not measuring.
    static func families(_ reading: DCMIGetPowerReadingResponse) -> [MetricFamily] {
        guard reading.measurementActive else { return [] }
        return [
            .gauge(
                "ipmi_dcmi_power_minimum_watts",
                help: "Lowest system power draw in the DCMI reporting period, in watts.",
                value: Double(reading.minimumWatts)),
            .gauge(
                "ipmi_dcmi_power_maximum_watts",
                help: "Highest system power draw in the DCMI reporting period, in watts.",
                value: Double(reading.maximumWatts)),
            .gauge(
                "ipmi_dcmi_power_average_watts",
                help: "Average system power draw over the DCMI reporting period, in watts.",
                value: Double(reading.averageWatts)),
            .gauge(
                "ipmi_dcmi_power_reporting_period_seconds",
                help: "Length of the DCMI statistics reporting period the minimum, maximum and average cover.",
                value: Double(reading.periodMilliseconds) / 1000),
        ]
    }
}
