/// FreeIPMI's interpretation of the SEL of the Quanta QSSC-S4R (Appro GB812X-CN), a Quanta board that reports Intel's
/// manufacturer ID (343) with product 64: facts from libfreeipmi 1.6 (sel/ipmi-sel-string-intel-quanta-qssc-s4r.c,
/// and the PCI Express offset names of spec/ipmi-sensor-and-event-code-tables-oem-intel-spec.c). Its State column is
/// the Node Manager's and the SMI timeout sensor's (``SELOEMIntel/state(_:device:)``); its Node Manager DIMM thermal
/// event is ``SELOEMIntel/nodeManagerEvent(_:device:)``'s.
///
/// Covered: the names of the BIOS's OEM events (event/reading types 70h-77h: PCI Express fatal and correctable
/// errors, QPI errors, SMI link CRC and patrol scrub memory errors) and what they log in event data 2 and 3 (the PCI
/// bus, device and function, the CPU socket); event data 2 and 3 of the standard events the board reads as OEM codes
/// (legacy PCI PERR/SERR, memory ECC errors, memory mirroring, memory board faults), and of the three events whose
/// two bytes are read together (memory sparing, memory configuration mismatch, BIOS POST error codes).
///
/// FreeIPMI reads an OEM event type's bytes whatever event data 1 says they hold (IPMI v2.0 §29.7, table 29-6), a
/// standard event's byte only when it is an OEM code (10b), and the bytes read together only when both are.
enum SELOEMQSSCS4R {
    static let device = SELOEMIntel.intel(64)

    /// Sensor numbers of sensor type critical interrupt (13h): legacy PCI (03h), PCI Express fatal (04h) and
    /// correctable (05h), QPI correctable (06h), non-fatal (07h) and fatal (17h: "A", 18h: "B").
    static let pciSensor: UInt8 = 0x03, pcieFatalSensor: UInt8 = 0x04, pcieCorrectableSensor: UInt8 = 0x05
    static let qpiCorrectableSensor: UInt8 = 0x06, qpiNonFatalSensor: UInt8 = 0x07
    static let qpiFatalSensorA: UInt8 = 0x17, qpiFatalSensorB: UInt8 = 0x18
    /// Sensor numbers of sensor type memory (0Ch): mirroring (01h), ECC errors (02h), configuration mismatch (03h),
    /// persistent SMI link CRC errors (05h), patrol scrub (0Bh), uncorrectable SMI link CRC errors (0Ch), sparing
    /// (11h); of slot/connector (21h): the memory board state (20h); of system firmware progress (0Fh): POST errors
    /// (06h), logged by the BIOS's POST (generator 33h).
    static let mirroringSensor: UInt8 = 0x01, eccSensor: UInt8 = 0x02, mismatchSensor: UInt8 = 0x03
    static let smiLinkPersistentSensor: UInt8 = 0x05, patrolScrubSensor: UInt8 = 0x0B
    static let smiLinkUncorrectableSensor: UInt8 = 0x0C, sparingSensor: UInt8 = 0x11
    static let memoryBoardSensor: UInt8 = 0x20, postErrorSensor: UInt8 = 0x06
    static let biosPOST: UInt8 = 0x33

    /// The board's OEM event/reading types: PCI Express fatal (70h) and correctable (71h), QPI correctable (72h),
    /// non-fatal (73h) and fatal (74h), memory correctable (76h) and uncorrectable (77h) errors.
    static let pcieFatalType: UInt8 = 0x70, pcieCorrectableType: UInt8 = 0x71
    static let qpiCorrectableType: UInt8 = 0x72, qpiNonFatalType: UInt8 = 0x73, qpiFatalType: UInt8 = 0x74
    static let correctableType: UInt8 = 0x76, uncorrectableType: UInt8 = 0x77

    static let pcieFatalNames = [
        "Data Link Layer Protocol Error", "Surprise Link Down", "Unexpected Completer",
        "Received Unsupported request condition on inbound address decode with exception of SAD",
        "Poisoned TLP Error", "Flow Control Protocol Error", "Completion Timeout Error", "Completer Abort Error",
        "Receiver Buffer Overflow Error", "ACS Violation Error", "Malformed TLP Error",
        "Received ERR_FATAL Message From Downstream Error", "Unexpected Completion Error",
        "Received ERR_NONFATAL Message Error",
    ]
    static let pcieCorrectableNames = [
        "Receiver Error", "Bad DLLP Error", "Bad TLLP Error", "REPLAY_NUM Rollover Error",
        "REPLAY Timer Timeout Error", "Advisory Non-fatal Error (Received ERR_COR message)",
        "Link Bandwidth Changed (ECN) Error",
    ]

    /// The event (event data 1) of an OEM event type on `device`, nil when it is the generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == Self.device, (0x70...0x7F).contains(entry.eventReadingType) else { return nil }
        let offset = Int(entry.offset)
        let names: [Int: String]
        switch (entry.sensorType, entry.sensorKey.sensorNumber, entry.eventReadingType) {
        case (0x13, pcieFatalSensor, pcieFatalType):
            return pcieFatalNames.element(at: entry.offset)
        case (0x13, pcieCorrectableSensor, pcieCorrectableType):
            return pcieCorrectableNames.element(at: entry.offset)
        // QPI events are named by their offset alone.
        case (0x13, qpiCorrectableSensor, qpiCorrectableType):
            return "QPI Correctable Sensor Event = " + SELEntry.hexByte(entry.offset)
        case (0x13, qpiNonFatalSensor, qpiNonFatalType):
            return "QPI Non-Fatal Sensor Event = " + SELEntry.hexByte(entry.offset)
        case (0x13, qpiFatalSensorA, qpiFatalType):
            return "QPI Fatal Sensor A Event = " + SELEntry.hexByte(entry.offset)
        case (0x13, qpiFatalSensorB, qpiFatalType):
            return "QPI Fatal Sensor B Event = " + SELEntry.hexByte(entry.offset)
        case (0x0C, smiLinkPersistentSensor, correctableType):
            names = [
                0: "Persistent Recoverable Error", 1: "Persistent Parity Alert", 2: "Persistent Parity Status",
                7: "SMI Link Lane Fail Over (LFO) Event",
            ]
        case (0x0C, smiLinkUncorrectableSensor, uncorrectableType):
            names = [0: "Uncorrectable CRC Error", 1: "Uncorrectable Alert Frame"]
        case (0x0C, patrolScrubSensor, correctableType):
            names = [0: "Correctable Error", 1: "Uncorrectable Error"]
        default:
            return nil
        }
        return names[offset]
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == Self.device else { return nil }
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        if oem2, oem3, let text = bothBytes(entry) { return text }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let sensor = entry.sensorKey.sensorNumber
        // The bus in event data 2; the device (bits 7:3) and function (bits 2:0) in event data 3.
        let pci = ("Bus \(data2)", "Device \(data3 >> 3), Function \(data3 & 0x07)")
        var texts: (data2: String?, data3: String?)
        switch (entry.sensorType, entry.eventReadingType) {
        case (0x13, pcieFatalType) where sensor == pcieFatalSensor,
            (0x13, pcieCorrectableType) where sensor == pcieCorrectableSensor:
            return SELOEMInterpretation.eventData(entry, data2: pci.0, data3: pci.1, eventNamed: false)
        // The CPU socket in event data 2.
        case (0x13, qpiCorrectableType) where sensor == qpiCorrectableSensor,
            (0x13, qpiNonFatalType) where sensor == qpiNonFatalSensor,
            (0x13, qpiFatalType) where sensor == qpiFatalSensorA || sensor == qpiFatalSensorB:
            return SELOEMInterpretation.eventData(entry, data2: "Socket \(data2)", data3: nil, eventNamed: false)
        // Legacy PCI PERR (04h) and SERR (05h).
        case (0x13, 0x6F) where sensor == pciSensor && (entry.offset == 0x04 || entry.offset == 0x05):
            texts = (pci.0, pci.1)
        // Correctable (00h) and uncorrectable (01h) ECC errors: the count of correctable errors in event data 2
        // bits 7:2, the DIMM in event data 3.
        case (0x0C, 0x6F) where sensor == eccSensor && entry.offset <= 0x01:
            texts.data2 = entry.offset == 0x00 ? "Correctable ECC Error Count = \(data2 >> 2)" : nil
            texts.data3 = "Memory Board = \(memoryBoard(data3)), DIMM Slot = \(dimmSlot(data3 & 0x03))"
        // Mirroring fully redundant (00h) or redundancy lost (01h): the mirroring domain in event data 3.
        case (0x0C, 0x0B) where sensor == mirroringSensor && entry.offset <= 0x01:
            texts.data3 = mirroringDomain(data3)
        // A memory board's fault status asserted (00h).
        case (0x21, 0x6F) where sensor == memoryBoardSensor && entry.offset == 0x00:
            texts = (memoryBoardFault(data2), "Memory Board = \(memoryBoard(data3))")
        default:
            return nil
        }
        let named2 = oem2 ? texts.data2 : nil, named3 = oem3 ? texts.data3 : nil
        guard named2 != nil || named3 != nil else { return nil }
        return SELOEMInterpretation.eventData(entry, data2: named2, data3: named3, eventNamed: false)
    }

    /// The memory board in event data 3 bits 7:5, MEM1_SLOT to MEM8_SLOT.
    static func memoryBoard(_ byte: UInt8) -> String {
        "MEM\(byte >> 5 + 1)_SLOT"
    }

    /// A DIMM slot number (0-7) as the board names it.
    static func dimmSlot(_ slot: UInt8) -> String {
        let names = ["DIMM_1/B", "DIMM_1/A", "DIMM_2/B", "DIMM_2/A", "DIMM_1/D", "DIMM_1/C", "DIMM_2/D", "DIMM_2/C"]
        return names.element(at: slot) ?? "Unknown"
    }

    /// A mirroring domain: its type in bits 7:4 (local within a socket, global across sockets), the pair of memory
    /// boards in bits 3:0.
    static func mirroringDomain(_ byte: UInt8) -> String {
        let type = [1: "Local memory mirroring", 2: "Global memory mirroring"][byte >> 4] ?? "Unknown"
        let pairs: [UInt8: (Int, Int)] = [
            0: (1, 2), 1: (3, 4), 2: (5, 6), 3: (7, 8), 4: (1, 4), 5: (3, 2), 6: (5, 8), 7: (7, 6),
            12: (1, 3), 13: (2, 4), 14: (5, 7), 15: (6, 8),
        ]
        let instance = pairs[byte & 0x0F].map { "{MEM\($0.0)_SLOT, MEM\($0.1)_SLOT}" } ?? "Unknown"
        return "Domain Instance = \(type), Instance = \(instance)"
    }

    /// A memory board fault's special code (event data 2 masked with 34h, shifted right by 3, as FreeIPMI reads it:
    /// 0, 2, 4 or 6) and, for a hot-plug initialization error, its sub-code (bits 1:0). FreeIPMI prints a missing
    /// sub-code of the other special codes as C's "(null)".
    static func memoryBoardFault(_ byte: UInt8) -> String {
        let code = (byte & 0x34) >> 3
        let codes: [UInt8: String] = [
            0: "Invalid Information", 1: "Memory Board hot-replaced with mismatched or faulty memory",
            2: "Memory Hot-plug generic initialization error", 3: "Memory Hot-plug Timeout",
            4: "User-initiated cancellation",
        ]
        let subCodes: [UInt8: String] = [1: "Memory BIST Error", 2: "SPD Error", 3: "CLTT Configuration Error"]
        let subCode = code == 2 ? subCodes[byte & 0x03].map { ", Error Sub Code = " + $0 } : nil
        return "Event Special Code = " + (codes[code] ?? "Unknown") + (subCode ?? "(null)")
    }

    /// Event data 2 and 3 read together, when both hold OEM codes: memory sparing, a memory configuration mismatch
    /// and the BIOS's POST error codes; nil for any other event.
    static func bothBytes(_ entry: SELEntry) -> String? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let sensor = entry.sensorKey.sensorNumber
        switch (entry.sensorType, entry.eventReadingType) {
        // Sparing fully redundant (00h) or redundancy lost (01h).
        case (0x0C, 0x0B) where sensor == sparingSensor && entry.offset <= 0x01:
            return sparing(data2: data2, data3: data3)
        // Memory configuration error (07h).
        case (0x0C, 0x6F) where sensor == mismatchSensor && entry.offset == 0x07:
            // Event data 2: the error type in bits 3:0, whether event data 3 names a DIMM slot in bit 4.
            let types = [
                1: "Mirror", 2: "Spare", 3: "Interleave", 4: "Hemisphere", 5: "Population", 6: "Device Mismatch",
            ]
            let slot = data2 & 0x10 != 0 ? ", DIMM Slot = " + dimmSlot(data3 & 0x03) : ""
            return "Error Type = \(types[Int(data2 & 0x0F)] ?? "Unknown"), Memory Board = \(memoryBoard(data3))" + slot
        // System firmware error (00h) from the BIOS's POST.
        case (0x0F, 0x6F)
        where entry.sensorKey.ownerID == biosPOST && sensor == postErrorSensor && entry.offset == 0x00:
            return postError(UInt16(data2) | UInt16(data3) << 8)
        default:
            return nil
        }
    }

    /// Sparing: event data 2 holds the domain type (bits 7:4, local or global) and for local sparing the sparing
    /// type (bits 3:0); event data 3 the spared memory board (bits 7:4) and for local sparing the spared DIMM (bits
    /// 2:0), whose four known values FreeIPMI 1.6 all names alike.
    static func sparing(data2: UInt8, data3: UInt8) -> String {
        let board = ", Spared Memory Board = \(data3 >> 4)"
        switch data2 >> 4 {
        case 0:
            let type = [1: "DIMM Sparing", 2: "Rank Sparing"][data2 & 0x0F] ?? "Unknown"
            let dimm = data3 & 0x07 <= 3 ? "DIMM_1B lock steep with DIMM 1D" : "Unknown"
            return "Domain Instance = Local memory sparing, Sparing Type = \(type)\(board), Spared DIMM Information = "
                + dimm
        case 1: return "Domain Instance = Global memory sparing" + board
        default: return "Domain Instance = Unknown" + board
        }
    }

    /// The BIOS's POST error codes FreeIPMI names, grouped by the words they start with.
    static let postErrors: [UInt16: String] = {
        var names: [UInt16: String] = [
            0x0012: "CMOS Date/Time not set", 0x0048: "Password check failed", 0x0108: "Keyboard locked error",
            0x0109: "Keyboard stuck key error", 0x0140: "PCI Parity Error (PERR)",
            0x0141: "PCI resource conflict error",
            0x0113: "The SAS RAID firmware can not run properly. The user should attempt to reflash the firmware",
            0x0146: "PCI out of resources error", 0x5220: "CMOS/NVRAM configuration cleared",
            0x5221: "Passwords cleared by jumper", 0x5224: "Password clear jumper is set",
            0x8190: "Watchdog timer failed on last boot", 0x8198: "OS boot watchdog timer failure",
            0x8604: "Chipset Reclaim of non critical variables complete",
            0xE4FC: "Memory was not configured for the selected Memory RAS configuration",
        ]
        let processor: [UInt16: String] = [
            0x0192: "cache size mismatch detected", 0x0193: "stepping mismatch", 0x0194: "family mismatch detected",
            0x0195: "Intel(R) QPI speed mismatch", 0x019F: "and chipset stepping configuration is unsupported",
            0x8130: "Disabled", 0x8140: "FRB-3 timeout", 0x8170: "Build-In Self Test (BIST) failure",
            0x8180: "microcode update not found",
        ]
        let bmc: [UInt16: String] = [
            0x8300: "failed self-test", 0x84F2: "failed to respond", 0x84F3: "in update mode",
            0x84F4: "Sensor Data Record empty", 0x84FF: "System event log full",
        ]
        let tpm: [UInt16: String] = [
            0xA000: "not detected", 0xA001: "missing or not responding", 0xA002: "failure", 0xA003: "failed self test",
        ]
        for (prefix, group) in [
            ("Processor ", processor), ("Baseboard Management Controller ", bmc), ("TPM device ", tpm),
        ] {
            for (code, words) in group { names[code] = prefix + words }
        }
        // Processors 01-04 unable to apply a microcode update: 8160h-8163h.
        for cpu in 1...4 { names[0x815F + UInt16(cpu)] = "Processor 0\(cpu) unable to apply microcode update" }
        return names
    }()

    /// A POST error code (event data 2 the low byte, event data 3 the high): a named code, or a memory error (type Eh
    /// in bits 15:12) with its kind in bits 11:8, the CPU socket in bits 7:5 and the DIMM slot in bits 2:0.
    static func postError(_ code: UInt16) -> String {
        if let name = postErrors[code] { return name }
        guard code >> 12 == 0xE else { return "Undefined Post Error" }
        let kinds = [
            0: "Memory invalid type error", 1: "Memory disabled", 2: "Memory mismatch error",
            3: "Memory Training Failed", 5: "Too many DIMM Types", 6: "Memory BIST Failed", 7: "SPD Failed",
        ]
        let kind = kinds[Int(code >> 8 & 0x0F)] ?? "Unknown Memory Failure"
        let socket = code >> 5 & 0x07 < 4 ? "CPU_\(code >> 5 & 0x07 + 1)" : "Unknown CPU Socket"
        return "\(kind), CPU Socket = \(socket), DIMM Slot = \(dimmSlot(UInt8(code & 0x07)))"
    }
}
