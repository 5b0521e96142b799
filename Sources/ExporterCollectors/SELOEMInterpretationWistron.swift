/// FreeIPMI's interpretation of the SEL of a Wistron C6220 (sold as the Dell PowerEdge C6220; manufacturer 11161,
/// product 131): facts from libfreeipmi 1.6 (sel/ipmi-sel-string-wistron-c6220.c and the OEM sensor type table of
/// util/ipmi-sensor-and-event-code-tables-util.c). Most entries it names come from the BIOS (generator ID 01h:
/// software ID 0) with sensor-specific events (6Fh) of fixed sensor numbers; FreeIPMI gives them no state of their
/// own.
enum SELOEMWistron {
    static let device = SELDeviceIdentity(manufacturerID: 11161, productID: 131)
    static let biosGenerator: UInt8 = 0x01

    /// Sensor numbers the BIOS logs under.
    enum Sensor: UInt8 {
        case processor = 0x04, memory = 0x60, qpi = 0x71, interrupt = 0x72, pci = 0x73, southBridge = 0x77
        case postStart = 0x81, postEnd = 0x85, postError = 0x86, biosRecoveryFail = 0x89, meFail = 0x8A
    }

    /// OEM sensor type C0h, "IOH core error": its sensor-specific offsets, whoever logs them.
    static let iohCoreErrorType: UInt8 = 0xC0
    static let iohCoreErrorOffsets = [
        "reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "core", "non-fatal",
        "reserved", "fatal",
    ]

    /// The event (event data 1), nil when it is the generic one.
    static func event(_ entry: SELEntry) -> String? {
        guard entry.eventReadingType == 0x6F, entry.sensorType == iohCoreErrorType,
            Int(entry.offset) < iohCoreErrorOffsets.count
        else { return nil }
        return iohCoreErrorOffsets[Int(entry.offset)]
    }

    /// What follows the event for event data 2 and 3 (empty: nothing), nil when it is the generic text.
    static func eventData(_ entry: SELEntry) -> String? {
        let isBIOS = entry.sensorKey.ownerID == biosGenerator && entry.eventReadingType == 0x6F
        // Entries whose event data 2 and 3 FreeIPMI reads together, whatever event data 1 says they hold.
        if isBIOS, let text = bothBytes(entry) { return text }
        // Otherwise each byte on its own: these when it holds an OEM code (event data 1 bits 7:6, 5:4 = 10b).
        let data2 = isBIOS && entry.eventData2IsOEMCode ? data2Text(entry) : nil
        let data3 = isBIOS && entry.eventData3IsOEMCode ? data3Text(entry) : nil
        // An IOH core error offset is named (``event(_:)``), so its bytes follow it even where the generic text,
        // for an offset without a name, leaves them out.
        return SELOEMInterpretation.eventData(entry, data2: data2, data3: data3, eventNamed: event(entry) != nil)
    }

    static func bothBytes(_ entry: SELEntry) -> String? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        switch (entry.sensorType, Sensor(rawValue: entry.sensorKey.sensorNumber), entry.offset) {
        // Memory (0Ch): correctable, uncorrectable, scrub failed, device disabled, spare.
        case (0x0C, .memory, 0x00), (0x0C, .memory, 0x01), (0x0C, .memory, 0x03),
            (0x0C, .memory, 0x04), (0x0C, .memory, 0x08):
            let threshold =
                switch data2 >> 4 {
                case 0x0: "SBE warning threshold"
                case 0x1: "SBE critical threshold"
                case 0xF: "Unspecified"
                default: "Unknown"
                }
            let dimms = ["CPU1 DIMM A", "CPU2 DIMM B", "CPU3 DIMM C", "CPU4 DIMM D"]
            let cpuDIMM = dimms.element(at: data2 & 0x0F) ?? "Unknown CPU DIMM "
            // Event data 3: one bit, the DIMM (1-8); FreeIPMI prints any other value as C's null string.
            let dimm = data3.nonzeroBitCount == 1 ? "\(data3.trailingZeroBitCount + 1) error event" : "(null)"
            return "Threshold = \(threshold), \(cpuDIMM)\(dimm)"
        // System event (12h), OEM system boot event, at POST start: the BIOS version, 4.6.6 bits.
        case (0x12, .postStart, 0x01):
            return "BIOS Version = \(data2 >> 4).\((data2 & 0x0F) << 2 | data3 >> 6).\(data3 & 0x3F)"
        // System firmware progress (0Fh), system firmware error: a POST error code, event data 3 the high byte.
        case (0x0F, .postError, 0x00):
            return postErrors[UInt16(data3) << 8 | UInt16(data2)] ?? "Undefined Post Error"
        default:
            return nil
        }
    }

    /// The BIOS's POST error codes as FreeIPMI words them (its spelling, "Superviser", kept: the text must equal
    /// ipmi-sel's).
    static let postErrors: [UInt16: String] = [
        0x0010: "Local Console Resource Conflict", 0x0011: "Local Console Controller Error",
        0x0012: "Local Console Output Error", 0x0013: "ISA IO Controller Error", 0x0014: "ISA IO Resource Conflict",
        0x0015: "ISA IO Controller Error", 0x0016: "ISA Floppy Controller Error", 0x0017: "ISA Floppy Input Error",
        0x0018: "ISA Floppy Output Error", 0x0019: "USB Read Error", 0x001A: "USB Write Error",
        0x001B: "USB Interface Error", 0x001C: "Mouse Interface Error", 0x001E: "Keyboard not Detected",
        0x001F: "Keyboard Controller Error", 0x0020: "Keyboard Stuck Key Error", 0x0021: "Keyboard Locked Error",
        0x0023: "Memory Correctable Error", 0x0024: "Memory Uncorrectable Error", 0x0025: "Memory Non-Specific Error",
        0x0026: "MP Service Self Test Error", 0x0027: "PCI IO Controller Error", 0x0028: "PCI IO Read Error",
        0x0029: "PCI IO Write Error", 0x002A: "Serial Port not Detected", 0x002B: "Serial Port Controller Error",
        0x002C: "Serial Port Input Error", 0x002D: "Serial Port Output Error", 0x002E: "Microcode Update Error",
        0x002F: "No Microcode Updated", 0x8012: "SATA 0 Device not Found", 0x8013: "SATA 1 Device not Found",
        0x8014: "SATA 2 Device not Found", 0x8015: "SATA 3 Device not Found", 0x8016: "SATA 4 Device not Found",
        0x8017: "SATA 5 Device not Found", 0x8018: "Sparing Mode is not Configured",
        0x8019: "Mirror Mode is not Configured", 0x8020: "Superviser and User passwords have been cleared",
        0x8021: "CMOS Battery Fault",
    ]

    /// Critical interrupt (13h) offsets PCI PERR, PCI SERR, bus correctable, uncorrectable and fatal error.
    static let pciOffsets: Set<UInt8> = [0x04, 0x05, 0x07, 0x08, 0x0A]
    /// IOH core error offsets core, non-fatal and fatal.
    static let iohOffsets: Set<UInt8> = [0x07, 0x08, 0x0A]

    /// Event data 2 holding an OEM code.
    static func data2Text(_ entry: SELEntry) -> String? {
        let (type, number, offset, data2) =
            (entry.sensorType, Sensor(rawValue: entry.sensorKey.sensorNumber), entry.offset, entry.eventData[1])
        switch (type, number) {
        // Processor (07h): IERR, thermal trip, FRB1-3, throttled.
        case (0x07, .processor) where [0x00, 0x01, 0x02, 0x03, 0x04, 0x0A].contains(offset):
            return [0x00: "Processor 1", 0x01: "Processor 2", 0x02: "Processor 3", 0x04: "Processor 4"][data2]
                ?? "Unspecified Processor"
        // PCI errors: the device in bits 7:3, the function in 2:0.
        case (0x13, .pci) where pciOffsets.contains(offset):
            return "Device \(data2 >> 3), Function \(data2 & 0x07)"
        case (iohCoreErrorType, .qpi) where iohOffsets.contains(offset),
            (iohCoreErrorType, .interrupt) where iohOffsets.contains(offset):
            return "Local Error Bit = " + SELEntry.hexByte(data2)
        // South bridge bus errors (correctable, uncorrectable): the local error bit in bits 4:0.
        case (0x13, .southBridge) where offset == 0x07 || offset == 0x08:
            let errors = [
                0: "HT Periodic CRC Error", 1: "HT Protocol Error", 2: "HT Flow-Control Buffer Overflow",
                3: "HT Response Error", 4: "HT Per-Packet CRC", 5: "HT Retry Counter Error", 7: "MCU Parity Error",
            ]
            return errors[Int(data2 & 0x1F)] ?? "Unspecified Local Error"
        // System event, OEM system boot event, at POST end: boot type in bit 7, boot device in bits 6:0.
        case (0x12, .postEnd) where offset == 0x01:
            let devices = [
                1: "Force PXE Boot", 2: "NIC PXE Boot", 3: "Hard Disk Boot", 4: "RAID HDD Boot", 5: "USB Storage Boot",
                7: "CD/DVD ROM Boot", 8: "iSCSI Boot", 9: "uEFI Shell", 10: "ePSA Diagnostic",
            ]
            let type = data2 >> 7 == 0 ? "PC Compatible Boot" : "uEFI Boot"
            return "Boot Type = \(type), Boot Device = \(devices[Int(data2 & 0x7F)] ?? "Unspecified")"
        case (0x12, .biosRecoveryFail) where offset == 0x01:
            let events = [1: "Start Recovery", 2: "Recovery Status", 3: "Load Image Fail", 4: "Signed Fail"]
            return "BIOS Recovery Event = " + (events[Int(data2)] ?? "Unspecified")
        case (0x12, .meFail) where offset == 0x01 && data2 == 0x01:
            return "ME Fail"
        default:
            return nil
        }
    }

    /// Event data 3 holding an OEM code.
    static func data3Text(_ entry: SELEntry) -> String? {
        let (type, number, offset, data3) =
            (entry.sensorType, Sensor(rawValue: entry.sensorKey.sensorNumber), entry.offset, entry.eventData[2])
        switch (type, number) {
        case (0x13, .pci) where pciOffsets.contains(offset):
            return "Bus \(data3)"
        case (iohCoreErrorType, .qpi) where iohOffsets.contains(offset),
            (iohCoreErrorType, .interrupt) where iohOffsets.contains(offset):
            switch data3 {
            case 0x00...0x03: return "QPI[\(data3)] Error"
            case 0x04...0x07: return "QPI[\(data3 - 4)] Protocol Error"
            case 0x23: return "Miscellaneous Error"
            case 0x24: return "IOH Core Error"
            default: return "Unspecified Error"
            }
        default:
            return nil
        }
    }
}
