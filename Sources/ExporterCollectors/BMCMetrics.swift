import IPMI
import IPMIExporter
import PrometheusText

/// The metric families of the non-sensor collectors, with the names and labels of ipmi_exporter.
enum BMCMetrics {
    static func info(device: GetDeviceIDResponse, systemFirmwareVersion: String, bmcURL: String) -> MetricFamily {
        MetricFamily(
            name: "ipmi_bmc_info",
            help: "Constant 1, labelled with the BMC's firmware revision, manufacturer, system firmware and URL.",
            type: .gauge,
            samples: [
                Sample(
                    labels: [
                        // bmc-info's `%u.%02x`: the BCD minor byte as two hex digits ("9.08").
                        Label("firmware_revision", "\(device.firmwareMajor).\(hex2(device.firmwareMinor))"),
                        Label("manufacturer_id", ManufacturerNames.describe(device.manufacturerID)),
                        Label("system_firmware_version", systemFirmwareVersion),
                        Label("bmc_url", bmcURL),
                    ], value: 1)
            ])
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    static func chassis(_ status: GetChassisStatusResponse) -> [MetricFamily] {
        [
            .gauge("ipmi_chassis_power_state", help: "Chassis power: 1 on, 0 off.", value: status.powerOn ? 1 : 0),
            // ipmi_exporter reports these inverted (1 = no fault), and dashboards rely on it.
            .gauge(
                "ipmi_chassis_drive_fault_state", help: "Drive fault: 1 no fault, 0 fault.",
                value: status.driveFault ? 0 : 1),
            .gauge(
                "ipmi_chassis_cooling_fault_state", help: "Cooling or fan fault: 1 no fault, 0 fault.",
                value: status.coolingFault ? 0 : 1),
        ]
    }

    static func dcmi(_ reading: DCMIGetPowerReadingResponse) -> [MetricFamily] {
        // Like ipmi_exporter, no sample when the BMC says it is not measuring.
        guard reading.measurementActive else { return [] }
        return [
            .gauge(
                "ipmi_dcmi_power_consumption_watts", help: "Current system power draw reported by DCMI, in watts.",
                value: Double(reading.currentWatts))
        ]
    }

    static func sel(_ info: GetSELInfoResponse) -> [MetricFamily] {
        [
            .gauge(
                "ipmi_sel_logs_count", help: "Number of entries in the System Event Log.",
                value: Double(info.entries)),
            .gauge(
                "ipmi_sel_free_space_bytes", help: "Free space left in the System Event Log, in bytes.",
                value: Double(info.freeSpaceBytes)),
        ]
    }

    /// nil for an answer without the present countdown (ipmi_sim sends six of the eight bytes): FreeIPMI's
    /// bmc-watchdog, which ipmi_exporter runs, rejects it, so the collector is down rather than reporting part of it.
    static func watchdog(_ timer: GetWatchdogTimerResponse) -> [MetricFamily]? {
        guard let present = timer.presentCountdown else { return nil }
        func oneHot(_ name: String, _ help: String, label: String, names: [String], active: String?) -> MetricFamily {
            MetricFamily(
                name: name, help: help, type: .gauge,
                samples: names.map { Sample(labels: [Label(label, $0)], value: $0 == active ? 1 : 0) })
        }
        return [
            .gauge(
                "ipmi_bmc_watchdog_timer_state", help: "Watchdog timer: 1 running, 0 stopped.",
                value: timer.running ? 1 : 0),
            oneHot(
                "ipmi_bmc_watchdog_timer_use_state", "Watchdog timer use: 1 for the current use.", label: "name",
                names: GetWatchdogTimerResponse.timerUses, active: timer.timerUseName),
            .gauge(
                "ipmi_bmc_watchdog_logging_state", help: "Watchdog expiry logging: 1 enabled, 0 disabled.",
                value: timer.loggingEnabled ? 1 : 0),
            oneHot(
                "ipmi_bmc_watchdog_timeout_action_state", "Watchdog timeout action: 1 for the configured action.",
                label: "action", names: GetWatchdogTimerResponse.timeoutActions, active: timer.timeoutActionName),
            oneHot(
                "ipmi_bmc_watchdog_pretimeout_interrupt_state",
                "Watchdog pre-timeout interrupt: 1 for the configured interrupt.", label: "interrupt",
                names: GetWatchdogTimerResponse.pretimeoutInterrupts, active: timer.pretimeoutInterruptName),
            .gauge(
                "ipmi_bmc_watchdog_pretimeout_interval_seconds", help: "Watchdog pre-timeout interval in seconds.",
                value: timer.pretimeoutIntervalSeconds),
            // Countdowns come in 100 ms units; bmc-watchdog prints whole seconds (divided by 10, truncated).
            .gauge(
                "ipmi_bmc_watchdog_initial_countdown_seconds", help: "Watchdog initial countdown in seconds.",
                value: Double(timer.initialCountdown / 10)),
            .gauge(
                "ipmi_bmc_watchdog_current_countdown_seconds", help: "Watchdog present countdown in seconds.",
                value: Double(present / 10)),
        ]
    }

    static func lanMode(_ mode: UInt8) -> MetricFamily {
        .gauge(
            "ipmi_config_lan_mode", help: "Supermicro LAN interface mode: 0 dedicated, 1 shared, 2 failover.",
            value: Double(mode))
    }
}

/// The manufacturer as FreeIPMI's bmc-info prints it, which ipmi_exporter copies into `manufacturer_id`: "NAME (NUMBER)"
/// for the IANA Private Enterprise Numbers FreeIPMI has a name for, the number alone otherwise. The names are
/// ``freeIPMITable`` (IANAEnterpriseNames.swift), generated from the installed libfreeipmi by
/// scripts/generate-iana-names.py.
enum ManufacturerNames {
    /// Where line N of ``freeIPMITable`` starts in its UTF-8, for every line, then one past the end: found once, so a
    /// look-up slices the table instead of keeping 47,000 strings.
    private static let lineStarts: [Int32] = {
        var starts: [Int32] = [0]
        var offset: Int32 = 0
        for byte in freeIPMITable.utf8 {
            offset += 1
            if byte == UInt8(ascii: "\n") { starts.append(offset) }
        }
        // The last line has no line break after it.
        starts.append(offset + 1)
        return starts
    }()

    static func name(_ number: UInt32) -> String? {
        let line = Int(number)
        guard line < lineStarts.count - 1 else { return nil }
        let start = Int(lineStarts[line])
        let end = Int(lineStarts[line + 1]) - 1
        guard end > start else { return nil }
        let utf8 = freeIPMITable.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: start)
        let to = utf8.index(from, offsetBy: end - start)
        return String(freeIPMITable[from..<to])
    }

    static func describe(_ number: UInt32) -> String {
        guard let name = name(number) else { return String(number) }
        return "\(name) (\(number))"
    }
}

/// The watchdog's fields as the exporter reports them, with the names FreeIPMI's bmc-watchdog prints.
extension GetWatchdogTimerResponse {
    /// In the order of the use codes 1…5 (IPMI v2.0 table 27-7; 0 and 6-7 are reserved).
    static let timerUses = ["BIOS FRB2", "BIOS POST", "OS LOAD", "SMS/OS", "OEM"]
    static let timeoutActions = ["None", "Hard Reset", "Power Down", "Power Cycle"]
    static let pretimeoutInterrupts = ["None", "SMI", "NMI / Diagnostic Interrupt", "Messaging Interrupt"]

    /// The spec's bit is "don't log"; the exporter reports the logging flag the other way round.
    var loggingEnabled: Bool { !dontLog }
    var pretimeoutIntervalSeconds: Double { Double(pretimeoutInterval) }

    var timerUseName: String? {
        (1...5).contains(timerUse) ? Self.timerUses[Int(timerUse) - 1] : nil
    }
    var timeoutActionName: String? {
        Self.timeoutActions.element(at: timeoutAction)
    }
    var pretimeoutInterruptName: String? {
        Self.pretimeoutInterrupts.element(at: pretimeoutInterrupt)
    }
}
