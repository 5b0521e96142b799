/// What FreeIPMI's `ipmi-sel` prints for event data 2 and 3 of a SEL entry when event data 1 says they hold a
/// sensor-specific extension code (bits 7:6 or 5:4 = 11b, IPMI v2.0 §29.7 table 29-6): the meaning IPMI v2.0 table
/// 42-3 gives those bytes for the entry's sensor type and offset, in FreeIPMI's words. It asks by sensor type alone,
/// whatever the event/reading type, so a generic or threshold event of such a sensor type is read the same way. Where
/// FreeIPMI has no text (nil here), ipmi-sel prints the byte as "Event Data2 = XXh" / "Event Data3 = XXh".
///
/// Pure (no I/O, no clock); the collector renders a text once per entry and keeps it (``SELCache/texts(of:sensors:device:)``).
enum SELEventData {
    /// ipmi-sel's separator between the parts of one event's text.
    static let separator = " ; "

    /// Event data 2 of sensor type `sensorType`, event offset `offset` (0-15).
    static func data2Text(sensorType: UInt8, offset: UInt8, data2: UInt8) -> String? {
        let (low, high) = (Int(data2 & 0x0F), Int(data2 >> 4))
        switch sensorType {
        // Physical security, LAN leash lost (offset 04h): the network controller.
        case 0x05 where offset == 0x04:
            return "Network controller #\(data2)"
        // System firmware progress: 00h error, 01h hang, 02h progress, each with its own code table.
        case 0x0F where offset == 0x00:
            return text(firmwareErrors, Int(data2))
        case 0x0F where offset == 0x01 || offset == 0x02:
            return text(firmwareProgress, Int(data2))
        // Event logging disabled: 00h correctable memory error logging (the module), 01h event type logging (the
        // event/reading type), 06h correctable machine check error logging (the instance).
        case 0x10 where offset == 0x00:
            return "Memory module/device #\(data2)"
        case 0x10 where offset == 0x01:
            return "Event/Reading Type Code #\(data2)"
        case 0x10 where offset == 0x06:
            return "Instance ID #\(data2)"
        // System event, entry added to auxiliary log (03h): the spec puts the log entry action in bits 7:4 and the
        // log type in 3:0; FreeIPMI names bits 3:0 with the action table and bits 7:4 with the log type table.
        case 0x12 where offset == 0x03:
            let parts = [text(auxiliaryLogActions, low), text(auxiliaryLogTypes, high)].compactMap { $0 }
            return parts.isEmpty ? nil : parts.joined(separator: separator)
        // System event, timestamp clock synch (05h): bits 3:0 which clock, bit 7 first or second of the pair; both
        // parts are always printed, an unknown clock as nothing before the separator.
        case 0x12 where offset == 0x05:
            let clock = text(timestampClocks, low) ?? ""
            let pair = data2 & 0x80 == 0 ? "event is first of pair" : "event is second of pair"
            return clock + separator + pair
        // (System event, PEF action (04h): FreeIPMI builds a text of the actions but reports it empty, so ipmi-sel
        // prints the byte.)
        // Chip set, soft power control failure (00h): the requested power state.
        case 0x19 where offset == 0x00:
            return text(requestedPowerStates, Int(data2))
        // System boot / restart initiated, system restart (07h): bits 3:0 the restart cause.
        case 0x1D where offset == 0x07:
            return text(restartCauses, low)
        // Slot/connector, any offset: bits 6:0 the slot/connector type.
        case 0x21:
            return text(slotConnectorTypes, Int(data2 & 0x7F))
        // Watchdog 2, any offset: bits 3:0 the timer use at expiration, 7:4 the interrupt type.
        case 0x23:
            return watchdogTimerUses[low] + separator + watchdogInterrupts[high]
        // Management subsystem health: 00h sensor access degraded or unavailable and 04h sensor failure name the
        // sensor; 05h FRU failure: bit 7 logical FRU device, 4:3 LUN, 2:0 private bus ID.
        case 0x28 where offset == 0x00 || offset == 0x04:
            return "Sensor Number #\(data2)"
        case 0x28 where offset == 0x05:
            let logical =
                data2 & 0x80 == 0
                ? "device is not a logical FRU Device"
                : "device is logical FRU Device (accessed via FRU commands to mgmt. controller"
            return logical + separator + "LUN for Master Write-Read command or FRU Command #\(data2 >> 3 & 0x03)"
                + separator + "Private bus ID #\(data2 & 0x07)"
        // Session audit, session activated (00h): bits 5:0 the user ID, 0 unspecified.
        case 0x2A where offset == 0x00:
            let user = data2 & 0x3F
            return user == 0
                ? "User ID for user that activated session = Unspecified"
                : "User ID for user that activated session #\(user)"
        // Version change, any offset: the version change type.
        case 0x2B:
            return text(versionChangeTypes, Int(data2)).map { "Version change type = " + $0 }
        // FRU state, any offset: bits 3:0 the previous state (an unknown one as nothing), 7:4 the cause.
        case 0x2C:
            return "Previous State = " + (text(fruStates, low) ?? "") + separator + fruStateCauses[high]
        default:
            return nil
        }
    }

    /// Event data 3 of sensor type `sensorType`, event offset `offset` (0-15); some texts take event data 2 too.
    static func data3Text(sensorType: UInt8, offset: UInt8, data2: UInt8, data3: UInt8) -> String? {
        switch sensorType {
        // Power supply, configuration error (06h): bits 3:0 the error type.
        case 0x08 where offset == 0x06:
            return text(powerSupplyConfigurationErrors, Int(data3 & 0x0F))
        // Memory, spare (08h): the module. (The other memory offsets' module numbers FreeIPMI prints as a byte.)
        case 0x0C where offset == 0x08:
            return "Memory module/device #\(data3)"
        // Event logging disabled, event type logging disabled (01h): bits 3:0 the event offset, bit 4 assertion,
        // bit 5 all events of the type.
        case 0x10 where offset == 0x01:
            var parts = [
                "Event Offset #\(data3 & 0x0F)", data3 & 0x10 == 0 ? "deassertion event" : "assertion event",
            ]
            if data3 & 0x20 != 0 { parts.append("logging has been disabled for all events of given type") }
            return parts.joined(separator: separator)
        // Event logging disabled, SEL almost full (05h): how full, in percent.
        case 0x10 where offset == 0x05:
            return "\(data3)% full"
        // Event logging disabled, correctable machine check error logging disabled (06h): bit 7 says what event
        // data 2 numbers.
        case 0x10 where offset == 0x06:
            let kind = data3 & 0x80 == 0 ? "Entity Instance Number" : "Vendor-specific Processor Number"
            return "\(kind) = #\(data2)"
        // Chip set, soft power control failure (00h): the power state at the time of the request.
        case 0x19 where offset == 0x00:
            return text(powerStatesAtRequest, Int(data3))
        // System boot / restart initiated, system restart (07h): the channel of the command.
        case 0x1D where offset == 0x07:
            return "Channel Number used to deliver command that generated restart #\(data3)"
        // Slot/connector, any offset: the slot/connector number.
        case 0x21:
            return "Slot/Connector #\(data3)"
        // Management subsystem health, FRU failure (05h): the FRU device ID or slave address.
        case 0x28 where offset == 0x05:
            return "FRU Device ID/Slave Address #\(data3)"
        // Session audit, any offset: bits 3:0 the channel; for session deactivated (01h) bits 5:4 the cause.
        case 0x2A:
            let channel = "Channel number that session was activated/deactivated = \(data3 & 0x0F)"
            return offset == 0x01 ? channel + separator + deactivationCauses[Int(data3 >> 4 & 0x03)] : channel
        default:
            return nil
        }
    }

    /// The event data 2 text of a discrete event whose event data 2 holds the previous state and the severity
    /// (event data 1 bits 7:6 = 01b, §29.7): bits 3:0 the previous state's offset, 7:4 the severity as an offset of
    /// generic type 07h, each 0Fh when unspecified. FreeIPMI names the previous state by asking ``data2Text`` for the
    /// sensor type with the previous offset as the byte, so most sensor types name none. `severityName` gives generic
    /// type 07h's short name of an offset (nil for none). Nil when neither is named: ipmi-sel prints the byte.
    static func previousStateAndSeverity(
        sensorType: UInt8, offset: UInt8, data2: UInt8, severityName: (UInt8) -> String?
    ) -> String? {
        let (previous, severity) = (data2 & 0x0F, data2 >> 4)
        let parts = [
            previous == 0x0F
                ? nil
                : data2Text(sensorType: sensorType, offset: offset, data2: previous).map { "Previous State = " + $0 },
            severity == 0x0F ? nil : severityName(severity).map { "Severity State = " + $0 },
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: separator)
    }

    /// A Linux kernel panic logged as an OS critical stop (sensor type 20h, sensor-specific, event data 2 and 3 OEM
    /// codes) by generator 21h: the sensor number and event data 2 and 3 are the first three characters of the panic
    /// string, which ipmi-sel (with --interpret-oem-data) prints up to the first NUL in place of event data 2 and 3.
    static func linuxKernelPanicText(
        generator: UInt8, eventReadingType: UInt8, sensorType: UInt8, eventData: [UInt8], sensorNumber: UInt8
    ) -> String? {
        guard generator == 0x21, eventReadingType == 0x6F, sensorType == 0x20, eventData.count == 3,
            eventData[0] >> 6 == 0b10, eventData[0] >> 4 & 0b11 == 0b10
        else { return nil }
        let characters = [sensorNumber, eventData[1], eventData[2]].prefix { $0 != 0 }
        return String(decoding: characters, as: UTF8.self)
    }

    private static func text(_ table: [String], _ index: Int) -> String? {
        table.indices.contains(index) ? table[index] : nil
    }

    // The tables below are FreeIPMI's wording of the codes of IPMI v2.0 table 42-3 (and its event data 2/3 notes).

    /// System firmware progress (0Fh), offset 00h: the error code.
    static let firmwareErrors = [
        "Unspecified", "No system memory is physically installed in the system",
        "No usable system memory, all installed memory has experienced an unrecoverable failure",
        "Unrecoverable hard-disk/ATAPI/IDE device failure", "Unrecoverable system-board failure",
        "Unrecoverable diskette subsystem failure", "Unrecoverable hard-disk controller failure",
        "Unrecoverable PS/2 or USB keyboard failure", "Removable boot media not found",
        "Unrecoverable video controller failure", "No video device detected", "Firmware (BIOS) ROM corruption detected",
        "CPU voltage mismatch (processors that share same supply have mismatched voltage requirements)",
        "CPU speed matching failure",
    ]

    /// System firmware progress (0Fh), offsets 01h (hang) and 02h (progress): the progress code.
    static let firmwareProgress = [
        "Unspecified", "Memory initialization", "Hard-disk initialization", "Secondary processor(s) initialization",
        "User authentication", "User-initiated system setup", "USB resource configuration",
        "PCI resource configuration", "Option ROM initialization", "Video initialization", "Cache initialization",
        "SM Bus initialization", "Keyboard controller initialization",
        "Embedded controller/management controller initialization", "Docking station attachment",
        "Enabling docking station", "Docking station ejection", "Disabling docking station",
        "Calling operating system wake-up vector",
        "Starting operating system boot process, e.g. calling Unsigned Int 19h",
        "Baseboard or motherboard initialization", "reserved", "Floppy initialization", "Keyboard test",
        "Pointing device test", "Primary processor initialization",
    ]

    static let auxiliaryLogActions = [
        "entry added", "entry added because event did not be map to standard IPMI event",
        "entry added along with one or more corresponding SEL entries", "log cleared", "log disabled", "log enabled",
    ].map { "Log entry action = " + $0 }

    static let auxiliaryLogTypes = ["MCA log", "OEM1", "OEM2"].map { "Log Type = " + $0 }

    static let timestampClocks = [
        "SEL Timestamp Clock updated (Also used when both SEL and SDR Timestamp clocks are linked together)",
        "SDR Timestamp Clock updated",
    ]

    /// ACPI power states, as chip set (19h) soft power control failure names them in event data 2 and 3.
    static let powerStates = [
        "S0/G0 \"working\"", "S1 \"sleeping with system h/w & processor context maintained\"",
        "S2 \"sleeping, processor context lost\"",
        "S3 \"sleeping, processor & h/w context lost, memory retained.\"", "S4 \"non-volatile sleep/suspend-to disk\"",
        "S5/G2 \"soft-off\"", "S4/S5 soft-off, particular S4/S5 state cannot be determined", "G3/Mechanical Off",
        "Sleeping in an S1, S2, or S3 states (used when particular S1, S2, S3 state cannot be determined)",
        "G1 sleeping (S1-S4 state cannot be determined)", "S5 entered by override", "Legacy ON state",
        "Legacy OFF state",
    ]

    static let requestedPowerStates = powerStates.map { "Requested power state = " + $0 }

    static let powerStatesAtRequest = (powerStates + ["unknown"]).map { "Power state at time of request = " + $0 }

    static let restartCauses = [
        "unknown", "Chassis Control command", "reset via pushbutton", "power-up via power pushbutton",
        "Watchdog expiration", "OEM",
        "automatic power-up on AC being applied due to 'always restore' power restore policy",
        "automatic power-up on AC being applied due to 'restore previous power state' power restore policy",
        "reset via PEF", "power-cycle via PEF", "soft reset (e.g. CTRL-ALT-DEL)",
        "power-up via RTC (system real time clock) wakeup",
    ]

    static let slotConnectorTypes = [
        "PCI", "Drive Array", "External Peripheral Connector", "Docking", "other standard internal expansion slot",
        "slot associated with entity specified by Entity ID for sensor", "AdvancedTCA", "DIMM/memory device", "FAN",
        "PCI Express", "SCSI (parallel)", "SATA / SAS", "USB",
    ].map { "Slot/Connector Type = " + $0 }

    /// Watchdog 2 (23h), event data 2 bits 3:0 (all 16 values named).
    static let watchdogTimerUses =
        ["reserved"] + ["BIOS FRB2", "BIOS/POST", "OS Load", "SMS/OS", "OEM"].map { "Timer use at expiration = " + $0 }
        + Array(repeating: "reserved", count: 9) + ["Timer use at expiration = unspecified"]

    /// Watchdog 2 (23h), event data 2 bits 7:4 (all 16 values named).
    static let watchdogInterrupts =
        ["none", "SMI", "NMI", "Messaging Interrupt"].map { "Interrupt type = " + $0 }
        + Array(repeating: "reserved", count: 11) + ["Interrupt type = unspecified"]

    static let versionChangeTypes = [
        "unspecified", "management controller device ID (change in one or more fields from `Get Device ID')",
        "management controller firmware revision", "management controller device revision",
        "management controller manufacturer ID", "management controller IPMI version",
        "management controller auxiliary firmware ID", "management controller firmware boot block",
        "other management controller firmware", "system firmware (EFI/BIOS) change", "SMBIOS change",
        "operating system change", "operating system loader change", "service or diagnostic partition change",
        "management software agent change", "management software application change",
        "management software middleware change", "programmable hardware change (e.g. FPGA)",
        "board/FRU module change (change of a module plugged into associated entity)",
        "board/FRU component change (addition or removal of a replaceable component on the board/FRU that is not "
            + "tracked as a FRU)",
        "board/FRU replaced with equivalent version", "board/FRU replaced with newer version",
        "board/FRU replaced with older version",
        "board/FRU hardware configuration change (e.g. strap, jumper, cable change, etc.)",
    ]

    /// FRU state (2Ch) offsets, as the previous state in event data 2 bits 3:0.
    static let fruStates = [
        "FRU Not Installed", "FRU Inactive (in standby or `hot spare' state)", "FRU Activation Requested",
        "FRU Activation In Progress", "FRU Active", "FRU Deactivation Requested", "FRU Deactivation In Progress",
        "FRU Communication Lost",
    ]

    /// FRU state (2Ch), event data 2 bits 7:4 (all 16 values named).
    static let fruStateCauses =
        [
            "Normal State Change", "Change Commanded by software external to FRU",
            "State Change due to operator changing a Handle latch",
            "State Change due to operator pressing the hotswap push button",
            "State Change due to FRU programmatic action",
            "Communication Lost", "Communication Lost due to local failure",
            "State Change due to unexpected extraction",
            "State Change due to operator intervention/update", "Unable to compute IPMB address",
            "Unexpected Deactivation",
        ].map { "Cause of state change = " + $0 } + Array(repeating: "reserved", count: 4)
        + ["Cause of state change = State Change, Cause Unknown"]

    static let powerSupplyConfigurationErrors = [
        "Vendor mismatch", "Revision mismatch", "Processor missing or unexpected/unsupported condition",
        "Power Supply rating mismatch", "Voltage rating mismatch",
    ]

    static let deactivationCauses = [
        "Session deactivatation cause unspecified. This value is also used for Session Activated events",
        "Session deactivated by Close Session command", "Session deactivated by timeout",
        "Session deactivated by configuration change",
    ]
}
