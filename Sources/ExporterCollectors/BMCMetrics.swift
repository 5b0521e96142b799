import IPMIExporter
import PrometheusText

/// The metric families of the non-sensor collectors, with the names and labels of ipmi_exporter.
enum BMCMetrics {
    static func info(device: DeviceID, systemFirmwareVersion: String, bmcURL: String) -> MetricFamily {
        MetricFamily(
            name: "ipmi_bmc_info",
            help: "Constant 1, labelled with the BMC's firmware revision, manufacturer, system firmware and URL.",
            type: .gauge,
            samples: [
                Sample(
                    labels: [
                        Label("firmware_revision", device.firmwareRevision),
                        Label("manufacturer_id", ManufacturerNames.describe(device.manufacturerID)),
                        Label("system_firmware_version", systemFirmwareVersion),
                        Label("bmc_url", bmcURL),
                    ], value: 1)
            ])
    }

    static func chassis(_ status: ChassisStatus) -> [MetricFamily] {
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

    static func dcmi(_ reading: DCMIPowerReading) -> [MetricFamily] {
        // Like ipmi_exporter, no sample when the BMC says it is not measuring.
        guard reading.measurementActive else { return [] }
        return [
            .gauge(
                "ipmi_dcmi_power_consumption_watts", help: "Current system power draw reported by DCMI, in watts.",
                value: Double(reading.currentWatts))
        ]
    }

    static func sel(_ info: SELInfo) -> [MetricFamily] {
        [
            .gauge(
                "ipmi_sel_logs_count", help: "Number of entries in the System Event Log.",
                value: Double(info.entries)),
            .gauge(
                "ipmi_sel_free_space_bytes", help: "Free space left in the System Event Log, in bytes.",
                value: Double(info.freeSpaceBytes)),
        ]
    }

    static func watchdog(_ timer: WatchdogTimer) -> [MetricFamily] {
        func oneHot(_ name: String, _ help: String, label: String, names: [String], active: String?) -> MetricFamily {
            MetricFamily(
                name: name, help: help, type: .gauge,
                samples: names.map { Sample(labels: [Label(label, $0)], value: $0 == active ? 1 : 0) })
        }
        var families: [MetricFamily] = [
            .gauge(
                "ipmi_bmc_watchdog_timer_state", help: "Watchdog timer: 1 running, 0 stopped.",
                value: timer.running ? 1 : 0),
            oneHot(
                "ipmi_bmc_watchdog_timer_use_state", "Watchdog timer use: 1 for the current use.", label: "name",
                names: WatchdogTimer.timerUses, active: timer.timerUseName),
            .gauge(
                "ipmi_bmc_watchdog_logging_state", help: "Watchdog expiry logging: 1 enabled, 0 disabled.",
                value: timer.loggingEnabled ? 1 : 0),
            oneHot(
                "ipmi_bmc_watchdog_timeout_action_state", "Watchdog timeout action: 1 for the configured action.",
                label: "action", names: WatchdogTimer.timeoutActions, active: timer.timeoutActionName),
            oneHot(
                "ipmi_bmc_watchdog_pretimeout_interrupt_state",
                "Watchdog pre-timeout interrupt: 1 for the configured interrupt.", label: "interrupt",
                names: WatchdogTimer.pretimeoutInterrupts, active: timer.pretimeoutInterruptName),
            .gauge(
                "ipmi_bmc_watchdog_pretimeout_interval_seconds", help: "Watchdog pre-timeout interval in seconds.",
                value: timer.pretimeoutIntervalSeconds),
            .gauge(
                "ipmi_bmc_watchdog_initial_countdown_seconds", help: "Watchdog initial countdown in seconds.",
                value: timer.initialCountdownSeconds),
        ]
        if let present = timer.presentCountdownSeconds {
            families.append(
                .gauge(
                    "ipmi_bmc_watchdog_current_countdown_seconds", help: "Watchdog present countdown in seconds.",
                    value: present))
        }
        return families
    }

    static func lanMode(_ mode: UInt8) -> MetricFamily {
        .gauge(
            "ipmi_config_lan_mode", help: "Supermicro LAN interface mode: 0 dedicated, 1 shared, 2 failover.",
            value: Double(mode))
    }
}

/// IANA enterprise numbers of common BMC makers, printed as bmc-info prints the manufacturer.
enum ManufacturerNames {
    static let known: [UInt32: String] = [
        2: "IBM", 11: "Hewlett-Packard", 42: "Sun Microsystems", 111: "Oracle", 343: "Intel Corporation",
        674: "Dell Inc.", 2011: "Huawei Technologies Co., Ltd.", 4413: "Broadcom Corporation",
        5771: "Cisco Systems, Inc.",
        7154: "Advanced Micro Devices, Inc.", 7244: "Quanta Computer Inc.", 10368: "Fujitsu Siemens Computers",
        10876: "Super Micro Computer Inc.", 11129: "Google, Inc.", 19046: "Lenovo", 20974: "American Megatrends, Inc.",
        40092: "ASPEED Technology Inc.", 47196: "Hewlett Packard Enterprise", 49622: "Inspur",
        51158: "Ampere Computing",
    ]

    static func describe(_ id: UInt32) -> String {
        if let name = known[id] { return "\(name) (\(id))" }
        return "Unknown (\(id))"
    }
}
