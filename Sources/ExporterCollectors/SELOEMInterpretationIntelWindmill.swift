/// FreeIPMI's interpretation of the SEL of the Open Compute Windmill boards: facts from libfreeipmi 1.6
/// (sel/ipmi-sel-string-intel-windmill.c and the Windmill tables of spec/oem/ipmi-*-oem-intel-spec.h). FreeIPMI knows
/// them by Intel's manufacturer ID and product 2818 only: Quanta's Winterfell and Wiwynn's Windmill report Intel's
/// IDs, and no other manufacturer ID selects this interpretation. interpret/ipmi-interpret-config-sel.c has no
/// Windmill rules, so the State column stays the generic one.
///
/// Covered, all of FreeIPMI's Windmill texts: the BMC's OEM sensors (sensor type C0h, sensor-specific events) named by
/// the whole of event data 1 (SEL clear and rollover, chassis power status, the hot swap controller's status
/// registers); event data 2 and 3 of the BIOS's processor and memory throttling, machine check, PCI Express and
/// memory ECC events, of the ME firmware health and other IIO error events; the POST error codes; the PCI Express
/// errors the BIOS logs as timestamped OEM records.
enum SELOEMIntelWindmill {
    /// Intel's IANA enterprise number and the Windmill's product ID (Get Device ID, IPMI v2.0 §20.1).
    static let device = SELOEMIntel.intel(2818)

    /// Sensor numbers of the Windmill's SDR that FreeIPMI's interpretation tests.
    enum Sensor {
        static let meFirmwareHealth: UInt8 = 0x17, procHot: UInt8 = 0x3C, memHot: UInt8 = 0x3D
        static let machineCheck: UInt8 = 0x40, pcieError: UInt8 = 0x41, postError: UInt8 = 0x2B
        static let otherIIOError: UInt8 = 0x43, selStatus: UInt8 = 0x5F, memoryECC: UInt8 = 0x63
        static let powerStatus: UInt8 = 0x70
        /// The hot swap controller's PMBus status registers: STATUS_WORD's low and high bytes, STATUS_MFR_SPECIFIC,
        /// STATUS_INPUT.
        static let hscStatusLow: UInt8 = 0x28, hscStatusHigh: UInt8 = 0x42, hscStatusMFR: UInt8 = 0x5E
        static let hscStatusInput: UInt8 = 0x9F
    }

    /// The OEM sensor type of the BMC's own sensors and the OEM event/reading types of the ME firmware health and
    /// other IIO error sensors (§42.1: 70h-7Fh are OEM).
    static let genericSensorType: UInt8 = 0xC0
    static let meFirmwareHealthEventType: UInt8 = 0x75, otherIIOErrorEventType: UInt8 = 0x70

    // MARK: Event data 1

    /// The hot swap controller's status texts by the whole of event data 1 (a bit number of the register).
    static let hscStatus: [UInt8: [UInt8: String]] = [
        Sensor.hscStatusLow: [
            0: "Active status bits are waiting to be read by one or more status commands.",
            1: "An error was detected on the I2C/PMBus interface.",
            3: "An undervoltage input fault was detected on the UV pin.",
            4: "The hot swap controller detected an overcurrent condition.",
            6: "The hot swap gate driver output is disabled.",
        ],
        Sensor.hscStatusHigh: [
            3: "The voltage on the FLB pin is below the required threshold.",
            4: "There are one or more active status bits to be read by STATUS_MFR_SPECIFIC.",
            5: "There are one or more active status bits to be read by STATUS_INPUT.",
            6: "There are one or more active status bits to be read by STATUS_IOUT.",
            7: "There are one or more active status bits to be read by STATUS_VOUT.",
        ],
        // Bits 1 and 2 are the two shutdown cause bits, which FreeIPMI names alike.
        Sensor.hscStatusMFR: [
            0: "An undercurrent or overcurrent condition on the output supply detected.",
            1: "Hotswap shutdown", 2: "Hotswap shutdown",
            3: "The ADM1276 has actively limited current into the load.",
            5: "Input Voltage to OV pin is above threshold.",
            6: "Input voltage to UV pin is below threshold.",
            7: "FET behavior suggests that the FET may be shorted.",
        ],
        // "hte" as FreeIPMI spells it.
        Sensor.hscStatusInput: [
            0: "An overpower condition on the input supply was detected by power monitor.",
            4: "An undervoltage was detected on the UV pin.",
            5: "An undervoltage condition on the input supply was detected by the power monitor.",
            6: "An overvoltage condition on the input supply was detected by hte power monitor.",
            7: "An overvoltage was detected on the OV pin.",
        ],
    ]

    static let powerStatus: [UInt8: String] = [0: "Power Down", 1: "Power Cycle/Reset", 2: "Power On", 4: "AC Lost"]

    /// The event of a sensor-specific (6Fh) event of the BMC's OEM sensors, nil when it is the generic one. These
    /// sensors put a value, not an offset, in event data 1, so FreeIPMI compares the whole byte (bits 7:4 too).
    static func event(_ entry: SELEntry) -> String? {
        guard entry.eventReadingType == 0x6F, entry.sensorType == genericSensorType else { return nil }
        let data1 = entry.eventData[0]
        switch entry.sensorKey.sensorNumber {
        // Bit 0 SEL cleared, bit 4 rolled over; neither: the generic text.
        case Sensor.selStatus:
            if data1 & 0x01 != 0 { return "SEL Clear" }
            return data1 & 0x10 != 0 ? "SEL Rollover" : nil
        case Sensor.powerStatus:
            return "Power Status = " + (powerStatus[data1] ?? "Unknown")
        case let number:
            guard let texts = hscStatus[number] else { return nil }
            return "Status = " + (texts[data1] ?? "Unknown")
        }
    }

    // MARK: Event data 2 and 3

    /// What follows the event for event data 2 and 3, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry) -> String? {
        // Event data 1 bits 7:6 and 5:4 10b: event data 2 and 3 hold OEM codes (IPMI v2.0 §29.7, table 29-6).
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        switch entry.eventReadingType {
        // The BIOS's POST error (system firmware progress, 0Fh, offset 00h system firmware error): event data 2 and 3
        // are the low and high bytes of one error code, read when both hold OEM codes; the event type must be
        // sensor-specific (6Fh), not generic.
        case 0x6F
        where entry.sensorType == 0x0F && entry.sensorKey.sensorNumber == Sensor.postError && entry.offset == 0
            && oem2 && oem3:
            let code = UInt16(entry.eventData[1]) | UInt16(entry.eventData[2]) << 8
            return postErrors[code] ?? "Undefined Post Error"
        // Generic (02h-0Ch) and sensor-specific (6Fh) event types alike: each byte is read when it holds an OEM code.
        case 0x02...0x0C, 0x6F:
            guard oem2 || oem3, let texts = discreteTexts(entry) else { return nil }
            return SELOEMInterpretation.eventData(
                entry, data2: oem2 ? texts.data2 : nil, data3: oem3 ? texts.data3 : nil, eventNamed: false)
        // OEM event types: the bytes are read whatever event data 1 says they hold.
        case 0x70...0x7F:
            let texts = oemTypeTexts(entry)
            guard texts.data2 != nil || texts.data3 != nil else { return nil }
            return SELOEMInterpretation.eventData(entry, data2: texts.data2, data3: texts.data3, eventNamed: false)
        default:
            return nil
        }
    }

    /// Event data 2 and 3 of the BIOS's standard (discrete) events, by sensor type, sensor number and offset (table
    /// 42-3), nil for other events.
    static func discreteTexts(_ entry: SELEntry) -> (data2: String, data3: String)? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // Event data 3 of throttling and memory errors: the CPU (bits 7:5), channel (4:3) and DIMM (2:0).
        let (cpu, channel, dimm) = (data3 >> 5, data3 >> 3 & 0x03, data3 & 0x07)
        switch (entry.sensorType, entry.sensorKey.sensorNumber, entry.offset) {
        // Processor (07h) automatically throttled (0Ah): native or external throttling (bits 1:0), the CPU or VR.
        case (0x07, Sensor.procHot, 0x0A):
            return ("Throttling = " + throttling(data2), "CPU/VR = \(cpu)")
        // Memory (0Ch) automatically throttled (09h).
        case (0x0C, Sensor.memHot, 0x09):
            return ("Throttling = " + throttling(data2), "CPU/VR = \(cpu), Channel Number = \(channel), Dimm = \(dimm)")
        // Machine check exception (0Bh), correctable machine check error (0Ch): the error code, then where.
        case (0x07, Sensor.machineCheck, 0x0B), (0x07, Sensor.machineCheck, 0x0C):
            return ("Error Code Number = \(data2)", machineCheckSource(data3))
        // Critical interrupt (13h) bus correctable (07h), uncorrectable (08h) and fatal (0Ah) errors: the PCI device
        // (bits 7:3) and function (2:0), then the bus.
        case (0x13, Sensor.pcieError, 0x07), (0x13, Sensor.pcieError, 0x08), (0x13, Sensor.pcieError, 0x0A):
            return ("Device \(data2 >> 3), Function \(data2 & 0x07)", "Bus Number = \(data3)")
        // Correctable (00h) and uncorrectable (01h) ECC errors: the logical rank (bits 1:0), then the DIMM.
        case (0x0C, Sensor.memoryECC, 0x00), (0x0C, Sensor.memoryECC, 0x01):
            return (
                "Logical Rank = \(data2 & 0x03)",
                "CPU Number = \(cpu), Channel Number = \(channel), Dimm = \(dimm)"
            )
        default:
            return nil
        }
    }

    /// Native (0) or external (1) throttling in bits 1:0.
    static func throttling(_ byte: UInt8) -> String {
        switch byte & 0x03 {
        case 0: "Native"
        case 1: "External"
        default: "Unknown"
        }
    }

    /// A machine check's event data 3: the CPU (bits 7:5) and the source (4:3), a QPI link (0) or the last-level
    /// cache (1), whose bits 2:0 number the link or the core.
    static func machineCheckSource(_ byte: UInt8) -> String {
        let (cpu, source, extra) = (byte >> 5, byte >> 3 & 0x03, byte & 0x07)
        switch source {
        case 0: return "CPU = \(cpu), Source = " + (extra < 2 ? "QPI\(extra)" : "Unknown QPI")
        case 1: return "CPU = \(cpu), Core = \(extra)"
        default: return "CPU = \(cpu), Source = Unknown"
        }
    }

    /// Event data 2 and 3 of the OEM event types (nil: the generic text): the ME firmware health event (sensor 17h,
    /// event type 75h, offset 00h firmware status, any sensor type) names event data 2; FreeIPMI also words event data
    /// 3 ("Extended Error Info") but never prints it. The other IIO error (critical interrupt 13h, sensor 43h, event
    /// type 70h, offset 00h) gives the error ID, then the CPU (bits 7:5) and the source (2:0).
    static func oemTypeTexts(_ entry: SELEntry) -> (data2: String?, data3: String?) {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let number = entry.sensorKey.sensorNumber
        guard entry.offset == 0 else { return (nil, nil) }
        if entry.eventReadingType == meFirmwareHealthEventType, number == Sensor.meFirmwareHealth {
            return ("Health Event = " + (healthEvents[data2] ?? "Unknown"), nil)
        }
        if entry.eventReadingType == otherIIOErrorEventType, entry.sensorType == 0x13, number == Sensor.otherIIOError {
            let sources: [UInt8: String] = [0: "IRP0", 1: "IRP1", 2: "IIO-Core", 3: "VT-d"]
            return (
                "Error ID = 0x" + String(SELEntry.hexByte(data2).dropLast()),
                "CPU Number = \(data3 >> 5), Source = " + (sources[data3 & 0x07] ?? "Unknown")
            )
        }
        return (nil, nil)
    }

    /// The ME firmware health events (event data 2).
    static let healthEvents: [UInt8: String] = [
        0: "Recovery GPIO forced", 1: "Image execution failed", 2: "Flash erase error", 3: "Flash state information",
        4: "Internal error", 5: "BMC did not respond to cold reset", 6: "Direct flash update requested by the BIOS",
        7: "Manufacturing error", 8: "Persistent storage integrity error",
    ]

    /// The POST error codes, from Wiwynn's document (0057h-5725h) and Quanta's (51xxh). Two codes name "PEI Reset Not
    /// Available"; two names end in a space, as FreeIPMI prints them.
    static let postErrors: [UInt16: String] = [
        0x0057: "PEI CPU Mismatch", 0x0058: "PEI CPU Self Test Failed", 0x0158: "PEI CPU Cache Error ",
        0x0059: "PEI CPU Microcode Update Failed", 0x0159: "PEI CPU No Microcode", 0x005A: "PEI CPU Internal Error",
        0x005B: "PEI Reset Not Available", 0x00F8: "PEI Reset Not Available", 0x00F9: "PEI Recovery No Capsule",
        0x5724: "PEI SB PWR FLR", 0x5723: "PEI SB SYSPWR FLR", 0x5720: "DXE Clear CMOS ", 0x00D1: "DXE NB Error",
        0x00D3: "DXE Arch Protocol Not Available", 0x00D4: "DXE PCI Bus Out of Resources",
        0x00D5: "DXE Legacy OPROM No Space", 0x00D6: "DXE No Con Out", 0x00D7: "DXE No Con In",
        0x00DB: "DXE Flash Update Failed", 0x00DC: "DXE Reset Not Available", 0x5725: "ME Recovered via GR",
        0x5120: "CMOS Clear", 0x5122: "Thermal Trip", 0x5123: "SYS_PWROK Drops Unexpectedly", 0x5124: "AC Lost",
        0x5125: "Recover ME from Abnormal Mode Successfully",
        0x5126: "Backup Image Loaded and a direct FW updated is needed",
        0x5128: "Recover HECI from Abnormal Mode Successfully",
    ]

    // MARK: OEM records

    /// The Event column of a timestamped OEM record (record types C0h-DFh, IPMI v2.0 §32.2) the BIOS logs for a PCI
    /// Express error, nil for other records and BMCs. Of the six OEM bytes (record bytes 11-16): the device ID, the
    /// device identification number and the error code, each little-endian. FreeIPMI prints the device
    /// identification number as the device ID too (and spells "Devie"), as the exporter's users see it.
    static func oemRecordText(_ entry: SELEntry, device: SELDeviceIdentity?) -> String? {
        guard device == Self.device, (0xC0...0xDF).contains(entry.recordType), let oem = entry.oemData, oem.count == 6
        else { return nil }
        let identification = UInt16(oem[2]) | UInt16(oem[3]) << 8
        let error = UInt16(oem[4]) | UInt16(oem[5]) << 8
        return "Devie ID = \(identification), Device Identification Number = "
            + (deviceIdentifications[identification] ?? "Unknown") + ", Error = " + (pcieErrors[error] ?? "Unknown")
    }

    /// Device identification numbers: the IIO's root ports (two names end in a space, as FreeIPMI prints them).
    static let deviceIdentifications: [UInt16: String] = [
        0x3C00: "Device 0 in DMI Mode ", 0x3C01: "DMI Port in PCIe Mode ", 0x3C02: "Port 1A", 0x3C03: "Port 1B",
        0x3C04: "Port 2A", 0x3C05: "Port 2B", 0x3C06: "Port 2C", 0x3C07: "Port 2D", 0x3C08: "Port 3A in PCIe Mode",
        0x3C09: "Port 3B", 0x3C0A: "Port 3C", 0x3C0B: "Port 3D", 0x3C0F: "IIO NTB Secondary Endpoint",
    ]

    /// PCI Express error codes, with FreeIPMI's spelling ("DLPP", "partiy").
    static let pcieErrors: [UInt16: String] = [
        0x70: "Receiver Error", 0x71: "Bad TLP", 0x72: "Bad DLPP", 0x73: "Replay Time-out",
        0x74: "Replay Number Rollover", 0x75: "Received ERR_COR message from downstream device",
        0x76: "PCI Express Link Bandwidth changed", 0x78: "Advisory Non-fatal Error",
        0x80: "Received \"Unsupported Request\" completion status from downstream device.",
        0x81: "Sent a PCI Express \"Unsupported Request\" respond on inbound request for address decode, request"
            + " type, or other reason.",
        0x82: "Received \"Completer Abort\" completion status from downstream device.",
        0x83: "Sent a PCI Express \"Completer Abort\" condition on inbound request for address decode, request type,"
            + " or other reason.",
        0x84: "Completion timeout on NP transaction outstanding on PCI Express/DMI.",
        0x85: "Received PCI Express Poisoned TLP.", 0x86: "Received PCI Express unexpected Completion.",
        0x87: "PCI Express Flow Control Protocol Error.",
        0x88: "Received ERR_NONFATAL Message from downstream device.",
        0x89: "Received a Request from a downstream component that is unsupported.",
        0x8A: "Received a Request from a downstream component that is to be completer aborted.",
        0x8B: "ACS Violation", 0x90: "PCI Express Malformed TLP", 0x91: "PCI Express Data Link Protocol Error",
        0x92: "PCI Express Receiver Overflow", 0x93: "Surprise Down",
        0x94: "Received ERR_FATAL message from downstream device.",
        0x97: "Outbound switch header queue partiy error",
    ]
}
