import IPMISensors

/// FreeIPMI's interpretation of the SEL of Intel's S5500WB board (also sold as the Penguin Computing Relion 700 and
/// the Intel SR1625): facts from libfreeipmi 1.6 (sel/ipmi-sel-string-intel-s5500wb.c, the offset names of
/// spec/ipmi-sensor-and-event-code-tables-oem-intel-spec.c, and the POST error codes of
/// spec/oem/ipmi-sensor-and-event-code-tables-oem-intel-spec.h, from Intel's S5500WB Technical Product Specification).
/// The board's Node Manager event and the states FreeIPMI gives its entries are ``SELOEMIntel``'s.
///
/// Covered: the BIOS's OEM critical interrupt events (event/reading types 70h-74h): the PCI Express fatal and
/// correctable errors by name with their bus, device and function, the QPI errors by offset with their socket; what
/// event data 2 and 3 hold for legacy PCI PERR/SERR (the bus, device and function) and memory ECC errors (the logical
/// rank and the DIMM) when event data 1 marks them as OEM codes; and, when both are, the POST error code of a system
/// firmware error, the type and DIMM of a memory parity error, and the domain of a mirroring or sparing redundancy
/// change.
enum SELOEMIntelS5500WB {
    /// Intel's product 62.
    static let device = SELOEMIntel.intel(62)

    /// Sensor types (IPMI v2.0 table 42-3): memory, system firmware progress, critical interrupt.
    static let memory: UInt8 = 0x0C, firmwareProgress: UInt8 = 0x0F, criticalInterrupt: UInt8 = 0x13
    /// The BIOS's SMI handler as generator (software ID 19h, IPMI v2.0 §5.5), which logs the POST errors.
    static let biosSMI: UInt8 = 0x33

    /// The board's OEM critical interrupt sensors, each by its sensor number and OEM event/reading type.
    enum OEMSensor {
        case pcieFatal, pcieCorrectable, qpiCorrectable, qpiNonFatal, qpiFatalA, qpiFatalB

        init?(_ entry: SELEntry) {
            guard entry.sensorType == SELOEMIntelS5500WB.criticalInterrupt else { return nil }
            switch (entry.sensorKey.sensorNumber, entry.eventReadingType) {
            case (0x04, 0x70): self = .pcieFatal
            case (0x05, 0x71): self = .pcieCorrectable
            case (0x06, 0x72): self = .qpiCorrectable
            case (0x07, 0x73): self = .qpiNonFatal
            case (0x17, 0x74): self = .qpiFatalA
            case (0x18, 0x74): self = .qpiFatalB
            default: return nil
            }
        }
    }

    /// PCI Express fatal error offsets 00h-0Dh (02h and 0Ch share their name) and correctable error offsets 00h-06h;
    /// a later offset keeps the generic text.
    static let pcieFatalNames = [
        "Data Link Layer Protocol Error", "Surprise Link Down", "Unexpected Completion",
        "Received Unsupported request condition on inbound address decode with exception of SAD", "Poisoned TLP Error",
        "Flow Control Protocol Error", "Completion Timeout Error", "Completer Abort Error",
        "Receiver Buffer Overflow Error", "ACS Violation Error", "Malformed TLP Error",
        "Received ERR_FATAL Message From Downstream Error", "Unexpected Completion",
        "Received ERR_NONFATAL Message Error",
    ]
    static let pcieCorrectableNames = [
        "Receiver Error", "Bad DLLP Error", "Bad TLLP Error", "REPLAY_NUM Rollover Error", "REPLAY Timer Timeout Error",
        "Advisory Non-fatal Error (Received ERR_COR message)", "Link Bandwidth Changed (ECN) Error",
    ]

    /// The event (event data 1) on `device`, nil when it is the generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == Self.device, let sensor = OEMSensor(entry) else { return nil }
        let hex = SELEntry.hexByte(entry.offset)
        switch sensor {
        case .pcieFatal: return pcieFatalNames.element(at: entry.offset)
        case .pcieCorrectable: return pcieCorrectableNames.element(at: entry.offset)
        case .qpiCorrectable: return "QPI Correctable Sensor Event = " + hex
        case .qpiNonFatal: return "QPI Non-Fatal Sensor Event = " + hex
        case .qpiFatalA: return "QPI Fatal Sensor A Event = " + hex
        case .qpiFatalB: return "QPI Fatal Sensor B Event = " + hex
        }
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == Self.device else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // Whether event data 2 (bits 7:6) and 3 (bits 5:4) hold OEM codes, 10b (IPMI v2.0 §29.7, table 29-6).
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        if oem2, oem3, let text = bothBytes(entry) { return text }
        // The PCI bus in event data 2; the device (bits 7:3) and function (bits 2:0) in event data 3.
        let bus = "Bus \(data2)", function = "Device \(data3 >> 3), Function \(data3 & 0x07)"
        var texts: (data2: String?, data3: String?)
        if entry.eventReadingType >= 0x70 {
            // The OEM sensors' bytes are read whatever event data 1 says they hold.
            switch OEMSensor(entry) {
            case .pcieFatal, .pcieCorrectable: texts = (bus, function)
            case .qpiCorrectable, .qpiNonFatal, .qpiFatalA, .qpiFatalB: texts = ("Socket \(data2)", nil)
            case nil: return nil
            }
        } else if entry.eventReadingType == 0x6F {
            switch (entry.sensorType, entry.sensorKey.sensorNumber, entry.offset) {
            // Legacy PCI sensor: PERR (04h), SERR (05h).
            case (criticalInterrupt, 0x03, 0x04...0x05): texts = (bus, function)
            // Memory ECC error: correctable (00h), uncorrectable (01h); the logical rank in bits 1:0.
            case (memory, 0x02, 0x00...0x01): texts = ("Logical Rank \(data2 & 0x03)", dimm(data3))
            default: return nil
            }
            texts = (oem2 ? texts.data2 : nil, oem3 ? texts.data3 : nil)
        } else {
            return nil
        }
        return SELOEMInterpretation.eventData(entry, data2: texts.data2, data3: texts.data3, eventNamed: false)
    }

    /// The DIMM in event data 3: the processor socket in bits 7:5 (1 or 2), the channel in bits 4:3 (A-C, D-F on the
    /// second socket), the slot in bits 2:0 (1 or 2). The channel and the slot count only when `channelValid` and
    /// `slotValid` (a parity error's validity bits); an unknown part reads "Unknown", and without all three the parts
    /// are named one by one.
    static func dimm(_ byte: UInt8, channelValid: Bool = true, slotValid: Bool = true) -> String {
        let socket = byte >> 5, channel = byte >> 3 & 0x03, slot = byte & 0x07
        let socketKnown = socket < 2, channelKnown = channelValid && channel < 3, slotKnown = slotValid && slot < 2
        // The second socket's channels are lettered on from the first's, when both socket and channel are known.
        let letter = UnicodeScalar(0x41 + channel + (socketKnown && channelKnown ? socket * 3 : 0))
        let channelText = channelKnown ? String(letter) : "Unknown"
        let slotText = slotKnown ? "\(slot + 1)" : "Unknown"
        if socketKnown, channelKnown, slotKnown { return "DIMM = " + channelText + slotText }
        let socketText = socketKnown ? "\(socket + 1)" : "Unknown"
        return "Processor Socket = \(socketText), Channel Number = \(channelText), Dimm Slot = \(slotText)"
    }

    /// Event data 2 and 3 read together, when both hold OEM codes; nil when the entry is not one read so.
    static func bothBytes(_ entry: SELEntry) -> String? {
        guard entry.eventReadingType == 0x6F || entry.eventReadingType == 0x0B else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let sensorNumber = entry.sensorKey.sensorNumber
        switch (entry.eventReadingType, entry.sensorType, sensorNumber, entry.offset) {
        // The SMI handler's BIOS POST error sensor, system firmware error (00h): the POST error code, event data 2 its
        // low byte.
        case (0x6F, firmwareProgress, 0x06, 0x00) where entry.sensorKey.ownerID == biosSMI:
            return postErrors[UInt16(data2) | UInt16(data3) << 8] ?? "Undefined Post Error"
        // Memory parity error sensor, parity (02h): the error type in event data 2 bits 2:0, whether the channel (bit
        // 4) and the slot (bit 3) of the DIMM in event data 3 are valid.
        case (0x6F, memory, 0x14, 0x02):
            let type = [1: "Data Parity Error", 2: "Address Parity Error"][data2 & 0x07] ?? "Unknown"
            return "Error Type = \(type), " + dimm(data3, channelValid: data2 & 0x10 != 0, slotValid: data2 & 0x08 != 0)
        // Mirroring (01h) and sparing (11h) mode sensors, redundancy regained (00h) or lost (01h).
        case (0x0B, memory, 0x01, 0x00...0x01), (0x0B, memory, 0x11, 0x00...0x01):
            return mirroringDomain(data2: data2, data3: data3)
        default:
            return nil
        }
    }

    /// A mirroring domain: event data 3 bit 7 whether it is global (across sockets), bits 3:0 its instance. A local
    /// domain's event data 2 holds the channels in bits 3:0 and the socket in bits 7:4; a global one's the first
    /// socket in bits 3:0 and the second in bits 7:4. Fh: the field is unused.
    static func mirroringDomain(data2: UInt8, data3: UInt8) -> String {
        let (low, high) = (data2 & 0x0F, data2 >> 4)
        var text = "Memory Mirroring Domain Instance Id = \(data3 & 0x0F)"
        if data3 & 0x80 == 0 {
            let channels: [UInt8: String] = [1: "{Ch0, Ch1}", 2: "{Ch0, Ch2}", 3: "{Ch1, Ch2}"]
            if low != 0x0F { text += ", Subinstance = " + (channels[low] ?? "Unknown") }
            if high == 0x0E {
                text += ", Applies to all sockets"
            } else if high != 0x0F {
                text += ", Applies to Socket ID = \(high)"
            }
        } else {
            if low != 0x0F { text += ", First Socket ID = \(low)" }
            if high != 0x0F { text += ", Second Socket ID = \(high)" }
        }
        return text
    }

    /// POST error codes the BIOS logs (event data 3 high byte, event data 2 low byte); another code reads "Undefined
    /// Post Error". The S2600JF has the same codes (``SELOEMIntelS2600/s2600jfPOSTErrors``), all but seven named alike,
    /// so both tables are built from ``SELOEMIntelS2600/sharedPOSTErrors`` and
    /// ``SELOEMIntelS2600/s2600jfS5500WBPOSTErrors`` plus each board's own wording of those seven.
    static let postErrors = SELOEMIntelS2600.sharedPOSTErrors
        .merging(SELOEMIntelS2600.s2600jfS5500WBPOSTErrors) { shared, _ in shared }
        .merging(ownPOSTErrors) { shared, _ in shared }

    /// The S5500WB's other codes: the seven the S2600JF words otherwise (``SELOEMIntelS2600/s2600jfOwnPOSTErrors``).
    static let ownPOSTErrors: [UInt16: String] = [
        0x0113:
            "Fixed Media The SAS RAID firmware can not run properly."
            + " The user should attempt to reflash the firmware",
        0x9000: "Unspecified processor component has encountered a non specific error",
        0x9667: "PEI module component encountered a illegal software state error",
        0x9687: "DXE core component encountered a illegal software state error",
        0x96A7: "DXE boot services driver component encountered a illegal software state error",
        0x96AB: "DXE boot services driver component encountered invalid configuration",
        0x96E7: "SMM driver component encountered a illegal software state error",
    ]
}
