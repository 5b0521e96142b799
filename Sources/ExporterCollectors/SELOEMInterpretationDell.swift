/// FreeIPMI's interpretation of the SEL of Dell PowerEdge servers (manufacturer 674): facts from libfreeipmi 1.6
/// (sel/ipmi-sel-string-dell-poweredge.c, the special case of sel/ipmi-sel-string.c, and the Dell tables of
/// spec/ipmi-sensor-and-event-code-tables-oem-dell-spec.c). FreeIPMI knows the PowerEdge 2900, 2950, R610, R710 and
/// R720, which all report product 256; other Dell products (later iDRACs) get the generic text. FreeIPMI's State
/// column has no Dell entries: the generic state stands. SELOEMDellAgainstFreeIPMITests compares every event data 1,
/// 2 and 3 of the entries read here with libfreeipmi's texts and states.
enum SELOEMDell {
    static let device = SELDeviceIdentity(manufacturerID: 674, productID: 256)

    /// Dell's OEM sensor types (sensor-specific, event/reading type 6Fh) and the names of their offsets.
    static let oemSensorTypes: [UInt8: [String]] = [
        // System performance degradation status.
        0xC0: [
            "Good", "Degraded, other", "Degraded, thermal protection", "Degraded, cooling capacity change",
            "Degraded, power capacity change", "Degraded, user defined power capacity",
            "Halted, system power exceeds capacity", "Degraded, system power exceeds capacity",
        ],
        // Link tuning.
        0xC1: [
            "Good", "Failed to program virtual MAC address",
            "Device option ROM failed to support link tuning or flex address",
            "Failed to get link tuning or flex address data",
        ],
        // Non-fatal error, fatal IO error, upgrade.
        0xC2: ["PCIe error", "undocumented", "QPI Link Degrade"],
        0xC3: ["Successful", "Fatal IO error"],
        0xC4: ["Successful", "Failed"],
    ]

    /// Dell's OEM event/reading type 70h (status) and the names of its offsets.
    static let statusOffsets = [
        "Absent", "Standby", "IPMI Function ready", "Fully ready", "Offline", "Failed", "Active", "Booting",
        "Write protected",
    ]

    /// Sensor numbers Dell gives fixed meanings.
    enum Sensor: UInt8 {
        case cpuProtocolError = 0x0A, cpuMachineCheckError = 0x0D, chipsetError = 0x19, qpiLinkError = 0x29
        case txtCommandError = 0x2A
    }

    /// Dell's OEM event/reading type 7Eh, OEM diagnostic event data, on a link tuning sensor (C1h).
    static func isDiagnosticData(_ entry: SELEntry) -> Bool {
        entry.eventReadingType == 0x7E && entry.sensorType == 0xC1
    }

    /// The event (event data 1), nil when it is the generic one.
    static func event(_ entry: SELEntry) -> String? {
        let offset = Int(entry.offset)
        switch entry.eventReadingType {
        case 0x6F:
            if let names = oemSensorTypes[entry.sensorType], offset < names.count { return names[offset] }
            // System firmware progress (0Fh): an offset Dell added to table 42-3, its POST fatal error.
            if entry.sensorType == 0x0F, entry.offset == 0x0F { return "POST Fatal Error" }
        case 0x70 where offset < statusOffsets.count:
            return statusOffsets[offset]
        case 0x7E where isDiagnosticData(entry):
            return "OEM Diagnostic Data Event"
        default:
            break
        }
        return nil
    }

    /// What follows the event for event data 2 and 3, nil when it is the generic text.
    static func eventData(_ entry: SELEntry) -> String? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // The diagnostic data's register offset (the event offset, then event data 2) and value (event data 3),
        // whatever event data 1 says the bytes hold.
        if isDiagnosticData(entry) {
            let register = UInt16(entry.offset) << 8 | UInt16(data2)
            return "Register Offset = \(String(register, radix: 16, uppercase: true))h ; Register Value = "
                + SELEntry.hexByte(data3)
        }
        guard entry.eventReadingType == 0x6F || (0x02...0x0C).contains(entry.eventReadingType) else { return nil }
        let oem = (data2: entry.eventData2IsOEMCode, data3: entry.eventData3IsOEMCode)
        if oem.data2, oem.data3, let text = bothBytes(entry) { return text }
        // The R720's memory entries with event data 1 bits 7:4 all 0 (neither byte said to be specified) and event
        // data 2 bits 7:4 Eh: the DIMM, 3 per node.
        if entry.eventData[0] >> 4 == 0, data2 >> 4 == 0xE, namesDIMM(entry),
            let dimm = dimm(index: dimmIndex(data2: data2, data3: data3), perNode: 3)
        {
            return dimm
        }
        let data2Text = oem.data2 ? self.data2Text(entry) : nil
        let data3Text = oem.data3 ? self.data3Text(entry) : nil
        return SELOEMInterpretation.eventData(
            entry, data2: data2Text, data3: data3Text, eventNamed: event(entry) != nil)
    }

    /// Event data 2 and 3 read together, when both hold OEM codes; nil when they are read one by one.
    static func bothBytes(_ entry: SELEntry) -> String? {
        let (type, offset, data2, data3) = (entry.sensorType, entry.offset, entry.eventData[1], entry.eventData[2])
        if namesDIMM(entry), let dimm = dimm(data2: data2, data3: data3) { return dimm }
        guard entry.eventReadingType == 0x6F else { return nil }
        switch (type, offset) {
        // Power supply (08h) configuration error: event data 3 bits 3:0 the error type, 3 a rating mismatch, with
        // the supply's watts: event data 2 times 16, plus event data 3 bits 7:4.
        case (0x08, 0x06) where data3 & 0x0F == 0x03:
            return "Power Supply rating mismatch ; Power Supply \(Int(data2) << 4 + Int(data3 >> 4)) Watts"
        // Version change (2Bh), hardware incompatibility, of the management controller's firmware revision (event
        // data 2 = 02h): the hardware type in event data 3.
        case (0x2B, 0x02) where data2 == 0x02:
            return "Hardware Type = " + (data3 == 0 ? "Other" : data3 == 1 ? "CPU" : SELEntry.hexByte(data3))
        // Link tuning, device option ROM failed to support link tuning or flex address: event data 3 bit 7 set, a
        // slot (bits 6:0; odd: mezzanine B, even: C), placed by the blade format in event data 2 bits 7:6 (single
        // height: 1 slot a node, double height: 2, double height and width: 4, 3: read one by one); clear, embedded.
        case (0xC1, 0x02):
            guard data3 & 0x80 != 0 else { return "Device Embedded" }
            guard data2 >> 6 != 3 else { return nil }
            let slotsPerNode = [1, 2, 4][Int(data2 >> 6)]
            let slot = Int(data3 & 0x7F)
            let mezzanine = slot % 2 == 1 ? "B" : "C"
            // The position is printed as the character that many after "0" (from 10 on, not a digit); C's division
            // truncates toward zero, so slot 0 is position 1 too.
            let position = String(decoding: [UInt8(0x30 + (slot - 1) / slotsPerNode + 1)], as: UTF8.self)
            return "Mezzanine " + mezzanine + (slotsPerNode >= 2 ? position : "")
        // PCI PERR on the PCI parity error sensor (04h), PCI SERR and bus fatal errors (critical interrupt, 13h),
        // Dell's PCIe non-fatal and fatal IO errors: event data 3 bit 7 set, a slot in bits 6:0; clear, a bus, with
        // the device (event data 2 bits 7:3) and function (2:0). Both bytes unspecified: read one by one.
        case (0x13, 0x04) where entry.sensorKey.sensorNumber == 0x04, (0x13, 0x05), (0x13, 0x0A), (0xC2, 0x00),
            (0xC3, 0x01):
            if data2 == 0xFF && data3 == 0xFF { return nil }
            if data3 & 0x80 != 0 { return "Slot \(data3 & 0x7F)" }
            return "Bus \(data3 & 0x7F), Device \(data2 >> 3), Function \(data2 & 0x07)"
        default:
            return nil
        }
    }

    /// Memory entries whose event data 2 and 3 locate a DIMM: memory (0Ch) correctable and uncorrectable errors,
    /// presence detected, configuration error, critical overtemperature; correctable memory error logging disabled
    /// (10h, offset 00h); memory redundancy fully redundant or lost; memory severity to non-critical from OK or to
    /// critical from less severe. (FreeIPMI lists Dell's failure type 8Ah too, which its ipmi-sel never reaches: it
    /// reads 8Ah as no discrete type.) FreeIPMI also requires the BMC to speak IPMI 2.0, as every PowerEdge it knows
    /// does; the version is not checked here.
    static func namesDIMM(_ entry: SELEntry) -> Bool {
        switch (entry.eventReadingType, entry.sensorType, entry.offset) {
        case (0x6F, 0x0C, 0x00), (0x6F, 0x0C, 0x01), (0x6F, 0x0C, 0x06), (0x6F, 0x0C, 0x07), (0x6F, 0x0C, 0x0A),
            (0x6F, 0x10, 0x00), (0x0B, 0x0C, 0x00), (0x0B, 0x0C, 0x01), (0x07, 0x0C, 0x01), (0x07, 0x0C, 0x02):
            true
        default:
            false
        }
    }

    /// The DIMM of a memory entry whose event data 2 and 3 are OEM codes, nil when event data 3 has no bit set.
    /// Event data 2 bits 7:4: the memory card, or (8h-Dh) the DIMMs per node (4, 6, 8, 9, 12, 24). Without DIMMs
    /// per node, the DIMM is a number from 1 after the card (Fh: no card, printed as "DIMM DIMM n", as FreeIPMI
    /// does).
    static func dimm(data2: UInt8, data3: UInt8) -> String? {
        guard let index = dimmIndex(data2: data2, data3: data3) else { return nil }
        let card = data2 >> 4
        switch card {
        case 0x08...0x0D: return dimm(index: index, perNode: [4, 6, 8, 9, 12, 24][Int(card) - 8])
        case 0x0F: return "DIMM DIMM \(index + 1)"
        default: return "Memory Card \(card), DIMM \(index + 1)"
        }
    }

    /// Which DIMM, from 0: event data 2 bits 3:0 say which group of 8 DIMMs event data 3's bits are; only the lowest
    /// bit set counts (FreeIPMI stops at the first). Nil when no bit is set.
    static func dimmIndex(data2: UInt8, data3: UInt8) -> Int? {
        data3 == 0 ? nil : Int(data2 & 0x0F) * 8 + data3.trailingZeroBitCount
    }

    /// DIMM `index` as a node letter from "A" and a number from 1, `perNode` DIMMs a node.
    static func dimm(index: Int?, perNode: Int) -> String? {
        guard let index else { return nil }
        let node = String(decoding: [UInt8(truncatingIfNeeded: 0x41 + index / perNode)], as: UTF8.self)
        return "DIMM \(node)\(index % perNode + 1)"
    }

    /// The lowest bit set in `byte`, counted from 1, nil for none.
    static func firstBit(_ byte: UInt8) -> Int? {
        byte == 0 ? nil : byte.trailingZeroBitCount + 1
    }

    /// Event data 2 holding an OEM code (event data 1 bits 7:6 = 10b), FFh included.
    static func data2Text(_ entry: SELEntry) -> String? {
        let (type, offset, data2) = (entry.sensorType, entry.offset, entry.eventData[1])
        let number = Sensor(rawValue: entry.sensorKey.sensorNumber)
        // Processor (07h) going non-recoverable (severity, 07h, offset 06h) on the machine check or protocol error
        // sensor, or its IERR (6Fh, offset 00h): the CPU or front side bus, the lowest bit set in event data 2.
        let severityToNonRecoverable = entry.eventReadingType == 0x07 && type == 0x07 && offset == 0x06
        if (severityToNonRecoverable && number == .cpuMachineCheckError)
            || (entry.eventReadingType == 0x6F && type == 0x07 && offset == 0x00)
        {
            if let cpu = firstBit(data2) { return "CPU \(cpu)" }
        }
        if severityToNonRecoverable && number == .cpuProtocolError, let bus = firstBit(data2) {
            return "Front Side Bus \(bus)"
        }
        // Memory (0Ch) redundancy (0Bh), fully redundant: the mode, the first of the bits spare, RAID, mirror.
        if entry.eventReadingType == 0x0B, type == 0x0C, offset == 0x00 {
            return data2 & 0x01 != 0
                ? "Memory is in Spare mode" : data2 & 0x02 != 0 ? "Memory is in RAID mode" : "Memory is in Mirror mode"
        }
        guard entry.eventReadingType == 0x6F else { return nil }
        switch (type, offset) {
        // Physical security (05h): where the intrusion happened.
        case (0x05, _) where data2 == 0x01: return "Intrusion while system On"
        case (0x05, _) where data2 == 0x02: return "Intrusion while system Off"
        // Power supply (08h) failure detected: Dell's fault codes.
        case (0x08, 0x01) where (0x01...0x07).contains(data2):
            return [
                "PSU Communication Error", "Over Temperature Warning", "Over Temperature Fault", "Under Voltage Fault",
                "Over Voltage Fault", "Over Current Fault", "Fan Fault",
            ][Int(data2) - 1]
        // System firmware progress (0Fh), POST fatal error: the BIOS's fatal error code.
        case (0x0F, 0x0F):
            return biosFatalErrors[data2] ?? "BIOS Fatal Error code: " + SELEntry.hexByte(data2)
        // Link tuning, failed to program the virtual MAC address, and PCI PERR (13h) on the chipset error sensor:
        // the PCI device in bits 7:3 and function in bits 2:0.
        case (0xC1, 0x01),
            (0x13, 0x04) where number == .chipsetError:
            return "Device \(data2 >> 3), Function \(data2 & 0x07)"
        // OS critical stop during OS load (20h) on the TXT command error sensor: the TXT error code.
        case (0x20, 0x00) where number == .txtCommandError:
            return "TXT Error Code = " + (txtErrorCodes[data2] ?? "Unknown")
        // Non-fatal error, QPI link degrade, on the QPI link error sensor: the reporting and partner agents' IDs
        // and links, two bits each from bit 0.
        case (0xC2, 0x02) where number == .qpiLinkError:
            return "Reporting Agent ID \(data2 & 0x03), Reporting Agent Link ID \(data2 >> 2 & 0x03), "
                + "Partner Agent ID \(data2 >> 4 & 0x03), Partner Link ID \(data2 >> 6)"
        default:
            return nil
        }
    }

    /// Event data 3 holding an OEM code (event data 1 bits 5:4 = 10b), FFh included.
    static func data3Text(_ entry: SELEntry) -> String? {
        let (type, offset, data3) = (entry.sensorType, entry.offset, entry.eventData[2])
        let number = Sensor(rawValue: entry.sensorKey.sensorNumber)
        // The processor's IERR, or its machine check error going non-recoverable: the CPU's APIC ID.
        if (entry.eventReadingType == 0x6F && type == 0x07 && offset == 0x00)
            || (entry.eventReadingType == 0x07 && type == 0x07 && offset == 0x06 && number == .cpuMachineCheckError)
        {
            return "APIC ID \(data3)"
        }
        guard entry.eventReadingType == 0x6F else { return nil }
        switch (type, offset) {
        // Version change (2Bh), hardware change detected and successful, deasserted: where the device with the
        // option ROM is, bit 7 set a slot (bits 6:0), clear embedded.
        case (0x2B, 0x06) where !entry.isAssertion:
            return data3 & 0x80 != 0 ? "Device Slot \(data3 & 0x7F)" : "Device Embedded"
        // OS critical stop during OS load on the TXT command error sensor: which TXT error it is.
        case (0x20, 0x00) where number == .txtCommandError:
            let types: [UInt8: String] = [
                0x00: "BIOS TXT Error", 0x02: "Processor/FIT TXT Error", 0x03: "BIOS ACM TXT Error",
                0x04: "SINI ACM TXT Error", 0xFF: "Unrecognized TXT Error",
            ]
            return "TXT Error Type = " + (types[data3] ?? "Unknown")
        // QPI link degrade on the QPI link error sensor: the agents' types (bit 0 the reporting agent's, bit 1 the
        // partner's: a CPU or an IOH) and the error type (bits 7:2, 0 the only one named).
        case (0xC2, 0x02) where number == .qpiLinkError:
            return "Reporting Agent Type = \(data3 & 0x01 == 0 ? "CPU" : "IOH"), "
                + "Partner Agent Type = \(data3 & 0x02 == 0 ? "CPU" : "IOH"), "
                + "Error Type = \(data3 >> 2 == 0 ? "Link Width Degraded" : "Unknown")"
        // The PCI bus of a device event data 2 names.
        case (0xC1, 0x01),
            (0x13, 0x04) where number == .chipsetError:
            return "Bus \(data3)"
        default:
            return nil
        }
    }

    /// The BIOS's POST fatal error codes.
    static let biosFatalErrors: [UInt8: String] = [
        0x80: "No memory detected", 0x81: "Memory detected but is not configurable",
        0x82: "Memory configured but not usable", 0x83: "System BIOS shadow failure", 0x84: "CMOS failure",
        0x85: "DMA controller failure", 0x86: "Interrupt controller failure", 0x87: "Timer refresh failure",
        0x88: "Programmable interval timer error", 0x89: "Parity error", 0x8A: "SIO failure",
        0x8B: "Keyboard controller failure", 0x8C: "SMI initialization failure", 0xC0: "Shutdown test failure",
        0xC1: "POST Memory test failure", 0xC2: "RAC configuration failure", 0xC3: "CPU configuration failure",
        0xC4: "Incorrect memory configuration", 0xFE: "General failure after video",
    ]
}
