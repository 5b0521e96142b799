/// What FreeIPMI reads in event data 2 and 3 of the standard (discrete) events the BMC of Intel's Xeon E5-2600 v3
/// boards logs: facts from libfreeipmi 1.6 (sel/ipmi-sel-string-intel-e52600v3-common.c, which the S2600KP's,
/// S2600WT's and S2600GZ's files call; the codes from spec/oem/ipmi-sensor-and-event-code-tables-oem-intel-spec.h).
/// Each event comes from the BMC (generator 20h) with a fixed sensor type, sensor number, event/reading type and
/// offset; a byte is read only when event data 1 says it holds an OEM code (IPMI v2.0 §29.7, table 29-6: bits 7:6
/// for event data 2, bits 5:4 for event data 3, 10b), and the other byte keeps its generic text.
///
/// Covered: the power supplies' failure, predictive failure and configuration error causes; the VRD hot sensor's
/// processors and memory channels; a processor's thermal trip cause; the processor internal error's kind and the
/// CPUs that caused a CATERR; the ERR2 timeout's CPU; a DIMM thermal trip's DIMM; the BMC's auto-configuration error.
/// The BIOS's events of these boards are in ``SELOEMIntelBIOS`` and ``SELOEMIntelBoards``; the POST error codes the
/// BIOS logs in event data 2 and 3 (system firmware progress, sensor 06h) are not here.
enum SELOEMIntelE52600v3 {
    typealias Source = SELOEMIntelBIOS.Source

    static func bmcSensor(_ sensorType: UInt8, _ sensorNumber: UInt8, _ eventType: UInt8) -> Source {
        Source(generator: SELOEMIntelBIOS.bmc, sensorType: sensorType, sensorNumber: sensorNumber, eventType: eventType)
    }

    /// Power supply 1 and 2 status (power supply, 08h; sensor-specific, 6Fh).
    static let powerSupplies = [bmcSensor(0x08, 0x50, 0x6F), bmcSensor(0x08, 0x51, 0x6F)]
    /// VRD hot (temperature, 01h; the "limit" generic type, 05h). Intel's troubleshooting guide calls sensor 90h "SSB
    /// thermal trip"; FreeIPMI reads it as VRD over-temperature.
    static let vrdHot = bmcSensor(0x01, 0x90, 0x05)
    /// Processor 1-4 status (processor, 07h; sensor-specific).
    static let processorStatus = (0x70...0x73).map { bmcSensor(0x07, UInt8($0), 0x6F) }
    /// Processor internal error (IERR/CATERR) and ERR2 timeout (processor; the "state" generic type, 03h).
    static let internalError = bmcSensor(0x07, 0x80, 0x03)
    static let err2Timeout = bmcSensor(0x07, 0x7C, 0x03)
    /// Processor 1-4 DIMM thermal trip (memory, 0Ch; sensor-specific).
    static let dimmThermalTrip = (0xC0...0xC3).map { bmcSensor(0x0C, UInt8($0), 0x6F) }
    /// BMC auto-configuration status (management subsystem health, 28h; "state").
    static let autoConfig = bmcSensor(0x28, 0x87, 0x03)

    /// A power supply's cause in event data 2, by offset (table 42-3): failure detected (01h), predictive failure
    /// (02h), configuration error (06h); codes from 1. FreeIPMI's text keeps Intel's "ThE".
    static let powerSupplyCauses: [UInt8: [String]] = [
        0x01: [
            "Output voltage fault", "Output power fault", "Output over-current fault", "Over-temperature fault",
            "Fan fault",
        ],
        0x02: [
            "Output voltage warning", "Output power warning", "Output over-current warning",
            "Over-temperature warning", "Fan warning", "Input under-voltage warning", "Input over-current warning",
            "Input over-power warning",
        ],
        0x06: [
            "The BMC cannot access the PMBus device on the PSU but its FRU device is responding",
            "The PMBUS_REVISION command returns a version number that is not supported",
            "The PMBus device does not successfully respond to the PMBUS_REVISION command",
            "ThE PSU is incompatible with one or more PSUs that are present in the system",
            "The PSU FW is operating in a degraded mode (likely due to a failed firmware update)",
        ],
    ]

    /// The VRD hot sensor's memory VRDs in event data 3, bit 0 first: two per CPU.
    static let memoryVRDs = (1...4).flatMap { cpu in
        ["1/2", "3/4"].map { "CPU\(cpu) - DIMM Channel \($0)" }
    }

    /// The auto-configuration error in event data 3, bits 2:0.
    static let autoConfigErrors = [
        "CFG syntax error", "Chassis auto-detect error", "SDR/CFG file mismatch", "SDR or CFG file corrupted",
        "SDR syntax error",
    ]

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard SELOEMIntelBIOS.e52600v3Devices.contains(device) else { return nil }
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        let source = SELOEMIntelBIOS.source(entry)
        let texts = (data2: oem2 ? data2Text(entry, source) : nil, data3: oem3 ? data3Text(entry, source) : nil)
        guard texts.data2 != nil || texts.data3 != nil else { return nil }
        return SELOEMInterpretation.eventData(entry, data2: texts.data2, data3: texts.data3, eventNamed: false)
    }

    /// CPUs 1-4 named by the bits 0-3 of `bits` that are set, comma-separated (empty when none is).
    static func cpus(_ bits: UInt8) -> String {
        (0..<4).filter { bits >> $0 & 1 == 1 }.map { "CPU\($0 + 1)" }.joined(separator: ", ")
    }

    /// Event data 2 of `source`'s event, nil when FreeIPMI does not read it.
    static func data2Text(_ entry: SELEntry, _ source: Source) -> String? {
        let data2 = entry.eventData[1]
        switch source {
        case _ where powerSupplies.contains(source):
            guard let causes = powerSupplyCauses[entry.offset] else { return nil }
            return (1...causes.count).contains(Int(data2)) ? causes[Int(data2) - 1] : "Unknown"
        // Limit exceeded (01h): the processors whose VRD is hot, bits 3:0.
        case vrdHot where entry.offset == 0x01:
            return "CPU = " + cpus(data2 & 0x0F)
        // Thermal trip (01h).
        case _ where processorStatus.contains(source) && entry.offset == 0x01:
            return ["CPU non-recoverable over-temp condition", "CPU boot FIVR fault"].element(at: data2) ?? "Unknown"
        // State asserted (01h): what the error was; a code past Intel's list reads apart from code 0's "Unknown".
        case internalError where entry.offset == 0x01:
            return ["Unknown", "CATERR", "CPU Core Error", "MSID Mismatch"].element(at: data2) ?? "Unknown OEM code"
        // State asserted: the one CPU whose ERR2 timed out, one bit of 3:0.
        case err2Timeout where entry.offset == 0x01:
            let bits = data2 & 0x0F
            return bits.nonzeroBitCount == 1 ? cpus(bits) : "Unknown"
        default:
            return nil
        }
    }

    /// Event data 3 of `source`'s event, nil when FreeIPMI does not read it.
    static func data3Text(_ entry: SELEntry, _ source: Source) -> String? {
        let data3 = entry.eventData[2]
        switch source {
        case vrdHot where entry.offset == 0x01:
            return "Memory = "
                + memoryVRDs.indices.filter { data3 >> $0 & 1 == 1 }.map { memoryVRDs[$0] }
                .joined(separator: ", ")
        // Critical overtemperature (0Ah): the socket in bits 7:5 (CPU 1-4), the channel in bits 4:3, lettered per
        // socket (A-D, E-H, J-M, then N, P, R, T), the DIMM in bits 1:0.
        case _ where dimmThermalTrip.contains(source) && entry.offset == 0x0A:
            let socket = Int(data3 >> 5), channel = Int(data3 >> 3 & 0x03)
            let letters = ["ABCD", "EFGH", "JKLM", "NPRT"]
            let cpu = socket < 4 ? "CPU\(socket + 1)" : "Unknown"
            let letter = socket < 4 ? Array(letters[socket])[channel] : "?"
            let dimm = data3 & 0x03 < 3 ? "Dimm \(data3 & 0x03 + 1)" : "Unknown"
            return "CPU = \(cpu), Channel = \(letter), Dimm = \(dimm)"
        // A CATERR (event data 2 exactly 01h, whatever event data 1 says it holds): the CPUs that caused it, bits 3:0.
        case internalError where entry.offset == 0x01 && entry.eventData[1] == 0x01:
            let names = cpus(data3 & 0x0F)
            return (names.isEmpty ? "Unknown CPU" : names) + " caused CATERR"
        case autoConfig where entry.offset == 0x01:
            return "Auto Config Error = " + (autoConfigErrors.element(at: data3 & 0x07) ?? "Unknown")
        default:
            return nil
        }
    }
}
