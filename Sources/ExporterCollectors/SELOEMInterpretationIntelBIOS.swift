/// FreeIPMI's names for the BIOS's (and BMC's) OEM events (event/reading types 70h-7Fh) of Intel's S2600 boards:
/// facts from libfreeipmi 1.6 (sel/ipmi-sel-string-intel-s2600jf.c, -s2600wp.c, -e52600v3-common.c, and the offset
/// names of spec/ipmi-sensor-and-event-code-tables-oem-intel-spec.c). Each event comes from a fixed generator, sensor
/// type and sensor number; an offset past its table keeps the generic text. FreeIPMI reads event data 2 and 3 of
/// these events (the CPU, the PCI bus, device and function, the firmware update's target, the registers an IERR dump
/// failed on) whatever event data 1 says they hold.
enum SELOEMIntelBIOS {
    /// The S2600JF (product 77) and S2600WP (78): the same events with the same names.
    static let s2600jfDevices: Set<SELDeviceIdentity> = [SELOEMIntel.intel(77), SELOEMIntel.intel(78)]
    /// The Xeon E5-2600 v3 boards: S2600KP (111), S2600WT2/S2600WTT/S2600KPR (112), S2600GZ (73).
    static let e52600v3Devices: Set<SELDeviceIdentity> = [
        SELOEMIntel.intel(111), SELOEMIntel.intel(112), SELOEMIntel.intel(73),
    ]

    /// Generator IDs (IPMI v2.0 §5.5, slave address or software ID with bit 0): the BIOS's POST (software ID 0), the
    /// BIOS's SMI handler (software ID 19h), the BMC (20h).
    static let biosPOST: UInt8 = 0x01, biosSMI: UInt8 = 0x33, bmc: UInt8 = 0x20

    struct Source: Hashable {
        var generator: UInt8, sensorType: UInt8, sensorNumber: UInt8, eventType: UInt8
    }

    /// Critical interrupt (13h) events both families log: QPI link width reduced (from the POST), PCI Express fatal
    /// and correctable errors, QPI fatal errors (from the SMI handler).
    static let linkWidth = Source(generator: biosPOST, sensorType: 0x13, sensorNumber: 0x09, eventType: 0x77)
    static let pcieFatal = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x04, eventType: 0x70)
    static let pcieFatal2 = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x14, eventType: 0x76)
    static let pcieCorrectable = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x05, eventType: 0x71)
    static let qpiFatal = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x07, eventType: 0x73)
    static let qpiFatal2 = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x17, eventType: 0x74)
    /// Events named by their offset alone: QPI correctable errors (13h), and on the S2600JF/WP chipset proprietary
    /// events (13h) and memory error extensions (memory, 0Ch).
    static let qpiCorrectable = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x06, eventType: 0x72)
    static let chipsetProprietary = Source(generator: biosSMI, sensorType: 0x13, sensorNumber: 0x08, eventType: 0x75)
    static let memoryErrorExtension = Source(generator: biosSMI, sensorType: 0x0C, sensorNumber: 0x10, eventType: 0x7F)

    /// Events only the E5-2600 v3 boards name: BIOS recovery (system firmware progress, 0Fh), the BMC's firmware
    /// update status (version change, 2Bh), IERR recovery dump info (OEM sensor type D1h).
    static let biosRecovery = Source(generator: biosSMI, sensorType: 0x0F, sensorNumber: 0x15, eventType: 0x70)
    static let firmwareUpdate = Source(generator: bmc, sensorType: 0x2B, sensorNumber: 0x12, eventType: 0x70)
    static let ierrDump = Source(generator: bmc, sensorType: 0xD1, sensorNumber: 0x7D, eventType: 0x70)

    static let linkWidthNames = ["reserved", "Reduced to 1/2 width", "Reduced to 1/4 width"]
    static let pcieFatal2Names =
        ["Atomic Egress Blocked", "TLP Prefix Blocked"] + Array(repeating: "reserved", count: 13)
        + ["Unspecified Non-AER Fatal Error"]
    static let pcieCorrectableNames = [
        "Receiver Error", "Bad DLLP", "Bad TLP", "Replay Num Rollover", "Replay Timer timeout", "Advisory Non-fatal",
        "Link BW Changed", "Correctable Internal", "Header Log Overflow",
    ]
    static let qpiFatal2Names = [
        "Illegal inbound request", "IIO Write Cache Uncorrectable Data ECC Error",
        "IIO CSR crossing 32-bit boundary Error", "IIO Received XPF physical/logical redirect interrupt inbound",
        "IIO Illegal SAD or Illegal or non-existent address or memory", "IIO Write Cache Coherency Violation",
    ]

    /// PCI Express fatal errors; the S2600JF/WP's names of offsets 8 and 9 end in " Error".
    static func pcieFatalNames(s2600jf: Bool) -> [String] {
        let suffix = s2600jf ? " Error" : ""
        return [
            "Data Link Layer Protocol Error", "Surprise Link Down Error", "Completer Abort", "Unsupported Request",
            "Poisoned TLP", "Flow Control Protocol", "Completion Timeout", "Receiver Buffer Overflow",
            "ACS Violation" + suffix, "Malformed TLP" + suffix, "ECRC Error", "Received Fatal Message From Downstream",
            "Unexpected Completion", "Received ERR_NONFATAL Message", "Uncorrectable Internal", "MC Blocked TLP",
        ]
    }

    /// QPI fatal errors; the S2600JF/WP's names some "CSI" and punctuate two differently.
    static func qpiFatalNames(s2600jf: Bool) -> [String] {
        let csi = s2600jf ? "CSI " : ""
        let comma = s2600jf ? "" : ","
        return [
            "Link Layer Uncorrectable ECC Error", "Protocol Layer Poisoned Packet Reception Error",
            "LINK/PHY Init Failure with resultant degradation in link width",
            csi + "PHY Layer detected drift buffer alarm",
            csi + "PHY detected latency buffer rollover", csi + "PHY Init Failure",
            csi + "Link Layer generic control error (buffer overflow/underflow, credit underflow\(comma) and so on.)",
            "Parity error in link or PHY layer", "Protocol layer timeout detected", "Protocol layer failed response",
            "Protocol layer illegal packet field, target Node ID\(comma) and so on.",
            "Protocol Layer Queue/table overflow/underflow", "Viral Error", "Protocol Layer parity error",
            "Routing Table Error",
        ]
    }

    static let s2600jfNames: [Source: [String]] = [
        linkWidth: linkWidthNames, pcieFatal: pcieFatalNames(s2600jf: true), pcieFatal2: pcieFatal2Names,
        pcieCorrectable: pcieCorrectableNames, qpiFatal: qpiFatalNames(s2600jf: true), qpiFatal2: qpiFatal2Names,
    ]

    /// The E5-2600 v3 boards' names, with three more events. FreeIPMI also lists a "BIOS Recovery Finish" event of
    /// type F0h, which no 7-bit event type can be: those entries keep the generic text.
    static let e52600v3Names: [Source: [String]] = [
        linkWidth: linkWidthNames, pcieFatal: pcieFatalNames(s2600jf: false), pcieFatal2: pcieFatal2Names,
        pcieCorrectable: pcieCorrectableNames, qpiFatal: qpiFatalNames(s2600jf: false), qpiFatal2: qpiFatal2Names,
        biosRecovery: ["reserved", "BIOS Recovery Start"],
        firmwareUpdate: ["Update started", "Update completed successfully", "Update failure"],
        ierrDump: ["reserved", "Dump failed"],
    ]

    static func source(_ entry: SELEntry) -> Source {
        Source(
            generator: entry.sensorKey.ownerID, sensorType: entry.sensorType,
            sensorNumber: entry.sensorKey.sensorNumber, eventType: entry.eventReadingType)
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when it is the generic text.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        let s2600jf = s2600jfDevices.contains(device)
        guard s2600jf || e52600v3Devices.contains(device) else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // Event data 2: the CPU, counted from 0.
        let cpu = "CPU = " + (data2 < 4 ? "\(data2 + 1)" : "Unknown")
        var texts: (data2: String?, data3: String?) = (nil, nil)
        switch source(entry) {
        // PCI Express errors: the bus in event data 2, the device (bits 7:3) and function (2:0) in event data 3.
        case pcieFatal, pcieFatal2, pcieCorrectable:
            let (device, function) = (data3 >> 3, data3 & 0x07)
            texts =
                s2600jf
                ? ("Bus \(data2)", "Device \(device), Function \(function)")
                : ("PCI Bus Number \(data2)", "PCI_Device number \(device), PCI Function number \(function)")
        case qpiFatal, qpiFatal2, linkWidth:
            texts.data2 = cpu
        case qpiCorrectable where !s2600jf:
            texts.data2 = cpu
        // Firmware update: the target in bits 7:4, the instance in bits 3:2.
        case firmwareUpdate where !s2600jf:
            let target = [0: "BMC", 1: "BIOS", 2: "ME"][data2 >> 4] ?? "Unknown"
            texts.data2 = "Target of update = \(target), Instance = \(data2 >> 2 & 0x03)"
        // IERR dump failed (offset 01h): one bit per register type that failed, bits 4:0.
        case ierrDump where !s2600jf && entry.offset == 0x01:
            let registers = [
                "Uncore MSR register", "Core MSR registers", "IIO register", "PCI config space",
                "MCA error source register",
            ]
            let failed = registers.indices.filter { data2 >> $0 & 1 == 1 }.map { registers[$0] }
            texts.data2 = "Failed register = " + failed.joined(separator: ", ")
        default:
            return nil
        }
        return SELOEMInterpretation.eventData(entry, data2: texts.data2, data3: texts.data3, eventNamed: false)
    }

    /// The event (event data 1) on `device`, nil when it is the generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        let s2600jf = s2600jfDevices.contains(device)
        guard s2600jf || e52600v3Devices.contains(device) else { return nil }
        let source = source(entry)
        let offset = SELEntry.hexByte(entry.offset)
        switch source {
        case qpiCorrectable:
            return (s2600jf ? "QPI Correctable Errors Event = " : "QPI Correctable Error Event = ") + offset
        case chipsetProprietary where s2600jf: return "Chipset Proprietary Event = " + offset
        case memoryErrorExtension where s2600jf: return "Memory Error Extension Event = " + offset
        default:
            guard let names = (s2600jf ? s2600jfNames : e52600v3Names)[source], Int(entry.offset) < names.count
            else { return nil }
            return names[Int(entry.offset)]
        }
    }
}
