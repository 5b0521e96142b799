// The tables in this file restate, as data, FreeIPMI's defaults so that our output matches what admins see from
// `ipmi-sensors` / `ipmimonitoring`: the sensor-state interpretation documented in
// /etc/freeipmi/freeipmi_interpret_sensor.conf and the short event texts of the IPMI v2.0 "Sensor and Event
// Code Tables" (§42.1 table 42-2 generic, §42.2 table 42-3 sensor-specific).

/// A (event/reading type code, sensor type) pair.
struct InterpretationKey: Hashable {
    var eventReadingType: UInt8
    var sensorType: UInt8

    init(_ eventReadingType: UInt8, _ sensorType: UInt8) {
        self.eventReadingType = eventReadingType
        self.sensorType = sensorType
    }
}

enum InterpretationTables {
    /// States per offset for threshold sensors: [no event, LNC, LC, LNR, UNC, UC, UNR] (n nominal, w warning,
    /// c critical). FreeIPMI's default maps the non-critical thresholds to Nominal; we deliberately report Warning
    /// (as ipmitool's "nc" does), see README.
    static let threshold = "nwccwcc"

    /// Discrete sensors: letters for [no event, offset 0, offset 1, ...]. Generic event/reading types (02h–0Ch) are
    /// only interpreted for the sensor types FreeIPMI knows; sensor-specific ones (6Fh) are keyed by sensor type.
    static let discrete: [InterpretationKey: String] = [
        InterpretationKey(0x03, 0x01): "nnw",  // temperature_state
        InterpretationKey(0x05, 0x01): "nnc",  // temperature_limit
        InterpretationKey(0x07, 0x01): "nnwccwccwn",  // temperature_transition_severity
        InterpretationKey(0x03, 0x02): "nnw",  // voltage_state
        InterpretationKey(0x05, 0x02): "nnc",  // voltage_limit
        InterpretationKey(0x06, 0x02): "nnc",  // voltage_performance
        InterpretationKey(0x07, 0x02): "nnwccwccwn",  // voltage_transition_severity
        InterpretationKey(0x07, 0x03): "nnwccwccwn",  // current_transition_severity
        InterpretationKey(0x03, 0x04): "nnw",  // fan_state
        InterpretationKey(0x07, 0x04): "nnwccwccwn",  // fan_transition_severity
        InterpretationKey(0x08, 0x04): "ncn",  // fan_device_present
        InterpretationKey(0x0A, 0x04): "nnwwwwwcwc",  // fan_transition_availability
        InterpretationKey(0x0B, 0x04): "nncwcccww",  // fan_redundancy
        InterpretationKey(0x03, 0x05): "nnc",  // physical_security_state
        InterpretationKey(0x03, 0x07): "nnc",  // processor_state
        InterpretationKey(0x03, 0x08): "nnw",  // power_supply_state
        InterpretationKey(0x07, 0x08): "nnwccwccwn",  // power_supply_transition_severity
        InterpretationKey(0x0B, 0x08): "nncwcccww",  // power_supply_redundancy
        InterpretationKey(0x03, 0x09): "nnw",  // power_unit_state
        InterpretationKey(0x07, 0x09): "nnwccwccwn",  // power_unit_transition_severity
        InterpretationKey(0x08, 0x09): "ncn",  // power_unit_device_present
        InterpretationKey(0x0B, 0x09): "nncwcccww",  // power_unit_redundancy
        InterpretationKey(0x0B, 0x0A): "nncwcccww",  // cooling_device_redundancy
        InterpretationKey(0x03, 0x0C): "nnc",  // memory_state
        InterpretationKey(0x07, 0x0C): "nnwccwccwn",  // memory_transition_severity
        InterpretationKey(0x0B, 0x0C): "nncwcccww",  // memory_redundancy
        InterpretationKey(0x03, 0x0D): "nwn",  // drive_slot_state
        InterpretationKey(0x04, 0x0D): "nnc",  // drive_slot_predictive_failure
        InterpretationKey(0x07, 0x0D): "nnwccwccwn",  // drive_slot_transition_severity
        InterpretationKey(0x08, 0x0D): "ncn",  // drive_slot_device_present
        InterpretationKey(0x03, 0x0E): "nnw",  // post_memory_resize_state
        InterpretationKey(0x03, 0x0F): "nnw",  // system_firmware_progress_state
        InterpretationKey(0x08, 0x0F): "ncn",  // system_firmware_progress_device_present
        InterpretationKey(0x07, 0x0F): "nnwccwccwn",  // system_firmware_progress_transition_severity
        InterpretationKey(0x02, 0x12): "nnnn",  // system_event_transition_state
        InterpretationKey(0x03, 0x12): "nnw",  // system_event_state
        InterpretationKey(0x07, 0x12): "nnwccwccwn",  // system_event_transition_severity
        InterpretationKey(0x03, 0x14): "nnn",  // button_switch_state
        InterpretationKey(0x07, 0x14): "nnwccwccwn",  // button_switch_transition_severity
        InterpretationKey(0x03, 0x15): "nnc",  // module_board_state
        InterpretationKey(0x08, 0x15): "ncn",  // module_board_device_present
        InterpretationKey(0x07, 0x18): "nnwccwccwn",  // chassis_transition_severity
        InterpretationKey(0x07, 0x19): "nnwccwccwn",  // chip_set_transition_severity
        InterpretationKey(0x07, 0x1B): "nnwccwccwn",  // cable_interconnect_transition_severity
        InterpretationKey(0x03, 0x1E): "nnc",  // boot_error_state
        InterpretationKey(0x07, 0x1E): "nnwccwccwn",  // boot_error_transition_severity
        InterpretationKey(0x03, 0x20): "nnc",  // os_critical_stop_state
        InterpretationKey(0x07, 0x21): "nnwccwccwn",  // slot_connector_transition_severity
        InterpretationKey(0x03, 0x24): "nnc",  // platform_alert_state
        InterpretationKey(0x08, 0x25): "ncn",  // entity_presence_device_present
        InterpretationKey(0x07, 0x28): "nnwccwccwn",  // management_subsystem_health_transition_severity
        InterpretationKey(0x08, 0x28): "ncn",  // management_subsystem_health_device_present
        InterpretationKey(0x6F, 0x05): "nccccccc",  // physical_security
        InterpretationKey(0x6F, 0x06): "ncccccc",  // platform_security_violation_attempt
        InterpretationKey(0x6F, 0x07): "ncccccccnccwcw",  // processor
        InterpretationKey(0x6F, 0x08): "nnccccccw",  // power_supply
        InterpretationKey(0x6F, 0x09): "nnnwwcccc",  // power_unit
        InterpretationKey(0x6F, 0x0C): "nwccccwncnwc",  // memory
        InterpretationKey(0x6F, 0x0D): "nnccnnccnc",  // drive_slot
        InterpretationKey(0x6F, 0x0F): "nccn",  // system_firmware_progress
        InterpretationKey(0x6F, 0x10): "nccnccwc",  // event_logging_disabled
        InterpretationKey(0x6F, 0x12): "nwncnnw",  // system_event
        InterpretationKey(0x6F, 0x13): "ncccwcccwcccw",  // critical_interrupt
        InterpretationKey(0x6F, 0x14): "nnnnww",  // button_switch
        InterpretationKey(0x6F, 0x1B): "nnc",  // cable_interconnect
        InterpretationKey(0x6F, 0x1E): "nccccw",  // boot_error
        InterpretationKey(0x6F, 0x1F): "nnnnnnnwnnwc",  // os_boot
        InterpretationKey(0x6F, 0x21): "ncwnnnnwwwn",  // slot_connector
        InterpretationKey(0x6F, 0x22): "nnnnnnnnnnnnnncc",  // system_acpi_power_state
        InterpretationKey(0x6F, 0x23): "nwcccnnnnw",  // watchdog2
        InterpretationKey(0x6F, 0x25): "nncc",  // entity_presence
        InterpretationKey(0x6F, 0x28): "ncccccc",  // management_subsystem_health
        InterpretationKey(0x6F, 0x29): "nwcn",  // battery
        InterpretationKey(0x6F, 0x2A): "nnnwc",  // session_audit
        InterpretationKey(0x6F, 0x2B): "nwwccccnn",  // version_change
        InterpretationKey(0x6F, 0x2C): "nccwwnwwc",  // fru_state
    ]

    /// Short generic event texts, by event/reading type code, indexed by offset.
    static let genericEvents: [UInt8: [String]] = [
        0x02: ["Transition to Idle", "Transition to Active", "Transition to Busy"],
        0x03: ["State Deasserted", "State Asserted"],
        0x04: ["Predictive Failure deasserted", "Predictive Failure asserted"],
        0x05: ["Limit Not Exceeded", "Limit Exceeded"],
        0x06: ["Performance Met", "Performance Lags"],
        0x07: [
            "transition to OK", "transition to Non-Critical from OK", "transition to Critical from less severe",
            "transition to Non-recoverable from less severe", "transition to Non-Critical from more severe",
            "transition to Critical from Non-recoverable", "transition to Non-recoverable", "Monitor", "Informational",
        ],
        0x08: ["Device Removed/Device Absent", "Device Inserted/Device Present"],
        0x09: ["Device Disabled", "Device Enabled"],
        0x0A: [
            "transition to Running", "transition to In Test", "transition to Power Off", "transition to On Line",
            "transition to Off Line", "transition to Off Duty", "transition to Degraded", "transition to Power Save",
            "Install Error",
        ],
        0x0B: [
            "Fully Redundant", "Redundancy Lost", "Redundancy Degraded",
            "Non-redundant:Sufficient Resources from Redundant",
            "Non-redundant:Sufficient Resources from Insufficient Resources", "Non-redundant:Insufficient Resources",
            "Redundancy Degraded from Fully Redundant", "Redundancy Degraded from Non-redundant",
        ],
        0x0C: ["D0 Power State", "D1 Power State", "D2 Power State", "D3 Power State"],
    ]

    /// Short sensor-specific event texts, by sensor type, indexed by offset.
    static let sensorSpecificEvents: [UInt8: [String]] = [
        0x05: [
            "General Chassis Intrusion", "Drive Bay intrusion", "I/O Card area intrusion", "Processor area intrusion",
            "LAN Leash Lost", "Unauthorized dock", "FAN area intrusion",
        ],
        0x06: [
            "Secure Mode Violation attempt", "Pre-boot Password Violation - user password",
            "Pre-boot Password Violation - setup password", "Pre-boot Password Violation - network boot password",
            "Other pre-boot Password Violation", "Out-of-band Access Password Violation",
        ],
        0x07: [
            "IERR", "Thermal Trip", "FRB1/BIST failure", "FRB2/Hang in POST failure",
            "FRB3/Processor Startup/Initialization failure", "Configuration Error",
            "SM BIOS `Uncorrectable CPU-complex Error'", "Processor Presence detected", "Processor disabled",
            "Terminator Presence Detected", "Processor Automatically Throttled", "Machine Check Exception",
            "Correctable Machine Check Error",
        ],
        0x08: [
            "Presence detected", "Power Supply Failure detected", "Predictive Failure",
            "Power Supply input lost (AC/DC)", "Power Supply input lost or out-of-range",
            "Power Supply input out-of-range, but present", "Configuration error", "Power Supply Inactive",
        ],
        0x09: [
            "Power Off/Power Down", "Power Cycle", "240VA Power Down", "Interlock Power Down",
            "AC lost/Power input lost", "Soft Power Control Failure", "Power Unit Failure detected",
            "Predictive Failure",
        ],
        0x0C: [
            "Correctable memory error", "Uncorrectable memory error", "Parity", "Memory Scrub Failed",
            "Memory Device Disabled", "Correctable memory error logging limit reached", "Presence detected",
            "Configuration error", "Spare", "Memory Automatically Throttled", "Critical Overtemperature",
        ],
        0x0D: [
            "Drive Presence", "Drive Fault", "Predictive Failure", "Hot Spare",
            "Consistency Check / Parity Check in progress", "In Critical Array", "In Failed Array",
            "Rebuild/Remap in progress", "Rebuild/Remap Aborted",
        ],
        0x0F: ["System Firmware Error", "System Firmware Hang", "System Firmware Progress"],
        0x10: [
            "Correctable Memory Error Logging Disabled", "Event Type Logging Disabled", "Log Area Reset/Cleared",
            "All Event Logging Disabled", "SEL Full", "SEL Almost Full",
            "Correctable Machine Check Error Logging Disabled",
        ],
        0x11: [
            "BIOS Watchdog Reset", "OS Watchdog Reset", "OS Watchdog Shut Down", "OS Watchdog Power Down",
            "OS Watchdog Power Cycle", "OS Watchdog NMI/Diagnostic Interrupt", "OS Watchdog Expired, status only",
            "OS Watchdog pre-timeout Interrupt, non-NMI",
        ],
        0x12: [
            "System Reconfigured", "OEM System Boot Event", "Undetermined system hardware failure",
            "Entry added to Auxiliary Log", "PEF Action", "Timestamp Clock Synch",
        ],
        0x13: [
            "Front Panel NMI/Diagnostic Interrupt", "Bus Timeout", "I/O channel check NMI", "Software NMI", "PCI PERR",
            "PCI SERR", "EISA Fail Safe Timeout", "Bus Correctable Error", "Bus Uncorrectable Error", "Fatal NMI",
            "Bus Fatal Error", "Bus Degraded",
        ],
        0x14: [
            "Power Button pressed", "Sleep Button pressed", "Reset Button pressed", "FRU latch open",
            "FRU service request button",
        ],
        // Chip set: FreeIPMI 1.6's short table names "Thermal Trip" (01h) but its maximum index stops at 00h.
        0x19: ["Soft Power Control Failure"],
        0x1B: ["Cable/Interconnect is connected", "Configuration Error - Incorrect cable connected"],
        0x1D: [
            "Initiated by power up", "Initiated by hard reset", "Initiated by warm reset", "User requested PXE boot",
            "Automatic boot to diagnostic", "OS / run-time software initiated hard reset",
            "OS / run-time software initiated warm reset", "System Restart",
        ],
        0x1E: [
            "No bootable media", "Non-bootable diskette left in drive", "PXE Server not found", "Invalid boot sector",
            "Timeout waiting for user selection of boot source",
        ],
        0x1F: [
            "A: boot completed", "C: boot completed", "PXE boot completed", "Diagnostic boot completed",
            "CD-ROM boot completed", "ROM boot completed", "boot completed - boot device not specified",
            "Base OS/Hypervisor Installation started", "Base OS/Hypervisor Installation completed",
            "Base OS/Hypervisor Installation aborted", "Base OS/Hypervisor Installation failed",
        ],
        0x20: [
            "Critical stop during OS load", "Run-time Critical Stop", "OS Graceful Stop", "OS Graceful Shutdown",
            "Soft Shutdown initiated by PEF", "Agent Not Responding",
        ],
        0x21: [
            "Fault Status asserted", "Identify Status asserted", "Slot/Connector Device installed/attached",
            "Slot/Connector Ready for Device Installation", "Slot/Connector Ready for Device Removal",
            "Slot Power is Off", "Slot/Connector Device Removal Request", "Interlock asserted", "Slot is Disabled",
            "Slot holds spare device",
        ],
        0x22: [
            "S0/G0", "S1", "S2", "S3", "S4", "S5/G2", "S4/S5 soft-off", "G3/Mechanical Off",
            "Sleeping in an S1, S2, or S3 states", "G1 sleeping", "S5 entered by override", "Legacy ON state",
            "Legacy OFF state", "Unspecified", "Unknown",
        ],
        0x23: [
            "Timer expired, status only", "Hard Reset", "Power Down", "Power Cycle", "reserved", "reserved", "reserved",
            "reserved", "Timer interrupt",
        ],
        0x24: [
            "platform generated page", "platform generated LAN alert", "Platform Event Trap generated",
            "platform generated SNMP trap, OEM format",
        ],
        0x25: ["Entity Present", "Entity Absent", "Entity Disabled"],
        0x27: ["LAN Heartbeat Lost", "LAN Heartbeat"],
        0x28: [
            "sensor access degraded or unavailable", "controller access degraded or unavailable",
            "management controller off-line", "management controller unavailable", "sensor failure", "FRU failure",
        ],
        0x29: ["battery low", "battery failed", "battery presence detected"],
        0x2A: ["Session Activated", "Session Deactivated", "Invalid Username or Password", "Invalid Password Disable"],
        0x2B: [
            "Hardware change detected with associated Entity",
            "Firmware or software change detected with associated Entity",
            "Hardware incompatibility detected with associated Entity",
            "Firmware or software incompatibility detected with associated Entity",
            "Entity is of an invalid or unsupported hardware version",
            "Entity contains an invalid or unsupported firmware or software version",
            "Hardware Change detected with associated Entity was successful",
            "Software or F/W Change detected with associated Entity was successful",
        ],
        0x2C: [
            "FRU Not Installed", "FRU Inactive", "FRU Activation Requested", "FRU Activation In Progress", "FRU Active",
            "FRU Deactivation Requested", "FRU Deactivation In Progress", "FRU Communication Lost",
        ],
    ]
}
