/// What FreeIPMI's interpretation of Intel's S2600 boards prints that only those boards have: facts from libfreeipmi
/// 1.6 (sel/ipmi-sel-string-intel-s2600jf.c, -s2600wp.c, and -e52600v3-common.c, which the S2600KP's, S2600WT's and
/// S2600GZ's files call). The POST's error codes: the BIOS's POST (generator ``SELOEMIntelBIOS/biosPOST``) logs a
/// System Firmware Error (system firmware progress, 0Fh, offset 00h) on sensor 06h with the code's low byte in event
/// data 2 and its high byte in event data 3; FreeIPMI names it when event data 1 says both hold OEM codes (IPMI v2.0
/// §29.7, table 29-6: bits 7:6 and 5:4 both 10b), from a table per board family, "Undefined Post Error" for codes
/// missing from it.
enum SELOEMIntelS2600 {
    static let postError = SELOEMIntelBIOS.Source(
        generator: SELOEMIntelBIOS.biosPOST, sensorType: 0x0F, sensorNumber: 0x06, eventType: 0x6F)

    /// The POST error code table of `device`, nil for other boards.
    static func postErrors(_ device: SELDeviceIdentity) -> [UInt16: String]? {
        guard device.manufacturerID == SELOEMIntel.intel else { return nil }
        switch device.productID {
        case 77: return s2600jfPOSTErrors
        case 78: return s2600wpPOSTErrors
        case _ where SELOEMIntelBIOS.e52600v3Devices.contains(device): return e52600v3POSTErrors
        default: return nil
        }
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when this file reads neither.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard let table = postErrors(device), SELOEMIntelBIOS.source(entry) == postError, entry.offset == 0x00,
            entry.eventData[0] >> 4 == 0b1010
        else { return nil }
        let code = UInt16(entry.eventData[2]) << 8 | UInt16(entry.eventData[1])
        return table[code] ?? "Undefined Post Error"
    }

    // MARK: POST error codes (event data 3 << 8 | event data 2)

    /// The S2600JF's (and Appro 512X's) table: the codes of the S5500WB's (``SELOEMIntelS5500WB/postErrors``), seven
    /// of them worded otherwise.
    static let s2600jfPOSTErrors = sharedPOSTErrors.merging(s2600jfS5500WBPOSTErrors) { shared, _ in shared }
        .merging(s2600jfOwnPOSTErrors) { shared, _ in shared }
    /// The S2600WP's table.
    static let s2600wpPOSTErrors = sharedPOSTErrors.merging(s2600wpOwnPOSTErrors) { shared, _ in shared }

    /// The E5-2600 v3 boards' (S2600KP, S2600WT2/WTT/KPR, S2600GZ) table: the S2600WP's, with its DIMMs written
    /// "DIMM_A1" for "DIMM A1", without 0113h (fixed media not detected) and 9505h (ATA/ATPI interface error), and
    /// eight codes worded otherwise.
    static let e52600v3POSTErrors: [UInt16: String] = {
        var table = s2600wpPOSTErrors.mapValues { $0.replacing("DIMM ", with: "DIMM_") }
        table[0x0113] = nil
        table[0x9505] = nil
        return table.merging(e52600v3ChangedPOSTErrors) { _, changed in changed }
    }()

    /// The codes the S2600JF, the S2600WP and the S5500WB name alike.
    static let sharedPOSTErrors: [UInt16: String] = [
        0x0048: "Password check failed",
        0x0140: "PCI component encountered a PERR error",
        0x0141: "PCI resource conflict",
        0x0146: "PCI out of resources error",
        0x5221: "Passwords cleared by jumper",
        0x5224: "Password clear jumper is set",
        0x8160: "Processor 01 unable to apply microcode update",
        0x8161: "Processor 02 unable to apply microcode update",
        0x8190: "Watchdog timer failed on last boot",
        0x8198: "OS boot watchdog timer failure",
        0x8300: "Baseboard management controller failed self-test",
        0x84F2: "Baseboard management controller failed to respond",
        0x84F3: "Baseboard management controller in update mode",
        0x84F4: "Sensor data record empty",
        0x84FF: "System event log full",
        0x8500: "Memory component could not be configured in the selected RAS mode",
        0x8501: "DIMM Population Error",
        0x92A3: "Serial port component was not detected",
        0x92A9: "Serial port component encountered a resource conflict error",
        0xA000: "TPM device not detected",
        0xA001: "TPM device missing or not responding",
        0xA002: "TPM device failure",
        0xA003: "TPM device failed self test",
        0xA421: "PCI component encountered a SERR error",
        0xA5A0: "PCI Express component encountered a PERR error",
        0xA5A1: "PCI Express component encountered a SERR error",
        0xA6A0: "DXE boot services driver Not enough memory available to shadow a legacy option ROM",
    ]

    /// The codes the S2600JF and the S5500WB name alike beyond ``sharedPOSTErrors`` (the S2600WP names them otherwise
    /// or not at all), with the four errors of each of their twelve DIMM slots, A1 to F2, at consecutive codes.
    static let s2600jfS5500WBPOSTErrors: [UInt16: String] = {
        var errors: [UInt16: String] = [
            0x0012: "CMOS date / time not set",
            0x0108: "Keyboard component encountered a locked error",
            0x0109: "Keyboard component encountered a stuck key error",
            0x0192: "Processor 0x cache size mismatch detected",
            0x0193: "Processor 0x stepping mismatch",
            0x0194: "Processor 0x family mismatch detected",
            0x0195: "Processor 0x Intel(R) QPI speed mismatch",
            0x0196: "Processor 0x model mismatch",
            0x0197: "Processor 0x speeds mismatched",
            0x0198: "Processor 0x family is not supported",
            0x019F: "Processor and chipset stepping configuration is unsupported",
            0x5220: "CMOS/NVRAM Configuration Cleared",
            0x8180: "Processor 0x microcode update not found",
            0x8502: "CLTT Configuration Failure Error",
            0x8604: "Chipset Reclaim of non critical variables complete",
            0x9223: "Keyboard component was not detected",
            0x9226: "Keyboard component encountered a controller error",
            0x9243: "Mouse component was not detected",
            0x9246: "Mouse component encountered a controller error",
            0x9266: "Local Console component encountered a controller error",
            0x9268: "Local Console component encountered an output error",
            0x9269: "Local Console component encountered a resource conflict error",
            0x9286: "Remote Console component encountered a controller error",
            0x9287: "Remote Console component encountered an input error",
            0x9288: "Remote Console component encountered an output error",
            0x92C6: "Serial Port controller error",
            0x92C7: "Serial Port component encountered an input error",
            0x92C8: "Serial Port component encountered an output error",
            0x94C6: "LPC component encountered a controller error",
            0x94C9: "LPC component encountered a resource conflict error",
            0x9506: "ATA/ATPI component encountered a controller error",
            0x95A6: "PCI component encountered a controller error",
            0x95A7: "PCI component encountered a read error",
            0x95A8: "PCI component encountered a write error",
            0x9609: "Unspecified software component encountered a start error",
            0x9641: "PEI Core component encountered a load error",
            0xA022: "Processor component encountered a mismatch error",
            0xA027: "Processor component encountered a low voltage error",
            0xA028: "Processor component encountered a high voltage error",
            0xA500: "ATA/ATPI ATA bus SMART not supported",
            0xA501: "ATA/ATPI ATA SMART is disabled",
            0xA5A4: "PCI Express IBIST error",
            0xB6A3: "DXE boot services driver Unrecognized",
        ]
        let slots = "ABCDEF".flatMap { channel in ["\(channel)1", "\(channel)2"] }
        let dimmErrors: [(UInt16, String)] = [
            (0x8520, "failed Self Test (BIST)"), (0x8540, "Disabled"),
            (0x8560, "Component encountered a Serial Presence Detection (SPD) fail error"),
            (0x85A0, "Uncorrectable ECC error encountered"),
        ]
        for (base, error) in dimmErrors {
            for (index, slot) in slots.enumerated() { errors[base + UInt16(index)] = "DIMM_\(slot) " + error }
        }
        return errors
    }()

    /// The S2600JF's other codes: the seven the S5500WB words otherwise (``SELOEMIntelS5500WB/ownPOSTErrors``), as
    /// "an illegal" for its "a illegal".
    static let s2600jfOwnPOSTErrors: [UInt16: String] = [
        0x0113:
            "Fixed Media The SAS RAID firmware cannot run properly. The user should attempt to reflash the firmware",
        0x9000: "Unspecified processor component has encountered a nonspecific error",
        0x9667: "PEI module component encountered an illegal software state error",
        0x9687: "DXE core component encountered an illegal software state error",
        0x96A7: "DXE boot services driver component encountered an illegal software state error",
        0x96AB: "DXE boot services driver component encountered an invalid configuration",
        0x96E7: "SMM driver component encountered an illegal software state error",
    ]

    /// The S2600WP's other codes.
    static let s2600wpOwnPOSTErrors: [UInt16: String] = [
        0x0012: "System RTC date/time not set",
        0x0113: "Fixed media not detected",
        0x0191: "Processor core/thread count mismatch detected",
        0x0192: "Processor cache size mismatch detected",
        0x0194: "Processor family mismatch detected",
        0x0195: "Processor Intel(R) QPI link frequencies unable to synchronize",
        0x0196: "Processor model mismatch detected",
        0x0197: "Processor frequencies unable to synchronize",
        0x5220: "BIOS settings reset to default settings",
        0x8130: "Processor 01 disabled",
        0x8131: "Processor 02 disabled",
        0x8132: "Processor 03 disabled",
        0x8133: "Processor 04 disabled",
        0x8162: "Processor 03 unable to apply microcode update",
        0x8163: "Processor 04 unable to apply microcode update",
        0x8170: "Processor 01 failed Self Test (BIST)",
        0x8171: "Processor 02 failed Self Test (BIST)",
        0x8172: "Processor 03 failed Self Test (BIST)",
        0x8173: "Processor 04 failed Self Test (BIST)",
        0x8180: "Processor 01 microcode update not found",
        0x8181: "Processor 02 microcode update not found",
        0x8182: "Processor 03 microcode update not found",
        0x8183: "Processor 04 microcode update not found",
        0x8305: "Hot Swap Controller failure",
        0x83A0: "Management Engine (ME) failed self test",
        0x83A1: "Management Engine (ME) Failed to respond",
        0x8520: "DIMM A1 failed test/initialization",
        0x8521: "DIMM A2 failed test/initialization",
        0x8522: "DIMM A3 failed test/initialization",
        0x8523: "DIMM B1 failed test/initialization",
        0x8524: "DIMM B2 failed test/initialization",
        0x8525: "DIMM B3 failed test/initialization",
        0x8526: "DIMM C1 failed test/initialization",
        0x8527: "DIMM C2 failed test/initialization",
        0x8528: "DIMM C3 failed test/initialization",
        0x8529: "DIMM D1 failed test/initialization",
        0x852A: "DIMM D2 failed test/initialization",
        0x852B: "DIMM D3 failed test/initialization",
        0x852C: "DIMM E1 failed test/initialization",
        0x852D: "DIMM E2 failed test/initialization",
        0x852E: "DIMM E3 failed test/initialization",
        0x852F: "DIMM F1 failed test/initialization",
        0x8530: "DIMM F2 failed test/initialization",
        0x8531: "DIMM F3 failed test/initialization",
        0x8532: "DIMM G1 failed test/initialization",
        0x8533: "DIMM G2 failed test/initialization",
        0x8534: "DIMM G3 failed test/initialization",
        0x8535: "DIMM H1 failed test/initialization",
        0x8536: "DIMM H2 failed test/initialization",
        0x8537: "DIMM H3 failed test/initialization",
        0x8538: "DIMM J1 failed test/initialization",
        0x8539: "DIMM J2 failed test/initialization",
        0x853A: "DIMM J3 failed test/initialization",
        0x853B: "DIMM K1 failed test/initialization",
        0x853C: "DIMM K2 failed test/initialization",
        0x853D: "DIMM K3 failed test/initialization",
        0x853E: "DIMM L1 failed test/initialization",
        0x853F: "DIMM L2 failed test/initialization",
        0x8540: "DIMM A1 disabled",
        0x8541: "DIMM A2 disabled",
        0x8542: "DIMM A3 disabled",
        0x8543: "DIMM B1 disabled",
        0x8544: "DIMM B2 disabled",
        0x8545: "DIMM B3 disabled",
        0x8546: "DIMM C1 disabled",
        0x8547: "DIMM C2 disabled",
        0x8548: "DIMM C3 disabled",
        0x8549: "DIMM D1 disabled",
        0x854A: "DIMM D2 disabled",
        0x854B: "DIMM D3 disabled",
        0x854C: "DIMM E1 disabled",
        0x854D: "DIMM E2 disabled",
        0x854E: "DIMM E3 disabled",
        0x854F: "DIMM F1 disabled",
        0x8550: "DIMM F2 disabled",
        0x8551: "DIMM F3 disabled",
        0x8552: "DIMM G1 disabled",
        0x8553: "DIMM G2 disabled",
        0x8554: "DIMM G3 disabled",
        0x8555: "DIMM H1 disabled",
        0x8556: "DIMM H2 disabled",
        0x8557: "DIMM H3 disabled",
        0x8558: "DIMM J1 disabled",
        0x8559: "DIMM J2 disabled",
        0x855A: "DIMM J3 disabled",
        0x855B: "DIMM K1 disabled",
        0x855C: "DIMM K2 disabled",
        0x855D: "DIMM K3 disabled",
        0x855E: "DIMM L1 disabled",
        0x855F: "DIMM L2 disabled",
        0x8560: "DIMM A1 encountered a Serial Presence Detection (SPD) failure",
        0x8561: "DIMM A2 encountered a Serial Presence Detection (SPD) failure",
        0x8562: "DIMM A3 encountered a Serial Presence Detection (SPD) failure",
        0x8563: "DIMM B1 encountered a Serial Presence Detection (SPD) failure",
        0x8564: "DIMM B2 encountered a Serial Presence Detection (SPD) failure",
        0x8565: "DIMM B3 encountered a Serial Presence Detection (SPD) failure",
        0x8566: "DIMM C1 encountered a Serial Presence Detection (SPD) failure",
        0x8567: "DIMM C2 encountered a Serial Presence Detection (SPD) failure",
        0x8568: "DIMM C3 encountered a Serial Presence Detection (SPD) failure",
        0x8569: "DIMM D1 encountered a Serial Presence Detection (SPD) failure",
        0x856A: "DIMM D2 encountered a Serial Presence Detection (SPD) failure",
        0x856B: "DIMM D3 encountered a Serial Presence Detection (SPD) failure",
        0x856C: "DIMM E1 encountered a Serial Presence Detection (SPD) failure",
        0x856D: "DIMM E2 encountered a Serial Presence Detection (SPD) failure",
        0x856E: "DIMM E3 encountered a Serial Presence Detection (SPD) failure",
        0x856F: "DIMM F1 encountered a Serial Presence Detection (SPD) failure",
        0x8570: "DIMM F2 encountered a Serial Presence Detection (SPD) failure",
        0x8571: "DIMM F3 encountered a Serial Presence Detection (SPD) failure",
        0x8572: "DIMM G1 encountered a Serial Presence Detection (SPD) failure",
        0x8573: "DIMM G2 encountered a Serial Presence Detection (SPD) failure",
        0x8574: "DIMM G3 encountered a Serial Presence Detection (SPD) failure",
        0x8575: "DIMM H1 encountered a Serial Presence Detection (SPD) failure",
        0x8576: "DIMM H2 encountered a Serial Presence Detection (SPD) failure",
        0x8577: "DIMM H3 encountered a Serial Presence Detection (SPD) failure",
        0x8578: "DIMM J1 encountered a Serial Presence Detection (SPD) failure",
        0x8579: "DIMM J2 encountered a Serial Presence Detection (SPD) failure",
        0x857A: "DIMM J3 encountered a Serial Presence Detection (SPD) failure",
        0x857B: "DIMM K1 encountered a Serial Presence Detection (SPD) failure",
        0x857C: "DIMM K2 encountered a Serial Presence Detection (SPD) failure",
        0x857D: "DIMM K3 encountered a Serial Presence Detection (SPD) failure",
        0x857E: "DIMM L1 encountered a Serial Presence Detection (SPD) failure",
        0x857F: "DIMM L2 encountered a Serial Presence Detection (SPD) failure",
        0x85C0: "DIMM L3 failed test/initialization",
        0x85C1: "DIMM M1 failed test/initialization",
        0x85C2: "DIMM M2 failed test/initialization",
        0x85C3: "DIMM M3 failed test/initialization",
        0x85C4: "DIMM N1 failed test/initialization",
        0x85C5: "DIMM N2 failed test/initialization",
        0x85C6: "DIMM N3 failed test/initialization",
        0x85C7: "DIMM P1 failed test/initialization",
        0x85C8: "DIMM P2 failed test/initialization",
        0x85C9: "DIMM P3 failed test/initialization",
        0x85CA: "DIMM R1 failed test/initialization",
        0x85CB: "DIMM R2 failed test/initialization",
        0x85CC: "DIMM R3 failed test/initialization",
        0x85CD: "DIMM T1 failed test/initialization",
        0x85CE: "DIMM T2 failed test/initialization",
        0x85CF: "DIMM T3 failed test/initialization",
        0x85D0: "DIMM L3 disabled",
        0x85D1: "DIMM M1 disabled",
        0x85D2: "DIMM M2 disabled",
        0x85D3: "DIMM M3 disabled",
        0x85D4: "DIMM N1 disabled",
        0x85D5: "DIMM N2 disabled",
        0x85D6: "DIMM N3 disabled",
        0x85D7: "DIMM P1 disabled",
        0x85D8: "DIMM P2 disabled",
        0x85D9: "DIMM P3 disabled",
        0x85DA: "DIMM R1 disabled",
        0x85DB: "DIMM R2 disabled",
        0x85DC: "DIMM R3 disabled",
        0x85DD: "DIMM T1 disabled",
        0x85DE: "DIMM T2 disabled",
        0x85DF: "DIMM T3 disabled",
        0x85E0: "DIMM L3 encountered a Serial Presence Detection (SPD) failure",
        0x85E1: "DIMM M1 encountered a Serial Presence Detection (SPD) failure",
        0x85E2: "DIMM M2 encountered a Serial Presence Detection (SPD) failure",
        0x85E3: "DIMM M3 encountered a Serial Presence Detection (SPD) failure",
        0x85E4: "DIMM N1 encountered a Serial Presence Detection (SPD) failure",
        0x85E5: "DIMM N2 encountered a Serial Presence Detection (SPD) failure",
        0x85E6: "DIMM N3 encountered a Serial Presence Detection (SPD) failure",
        0x85E7: "DIMM P1 encountered a Serial Presence Detection (SPD) failure",
        0x85E8: "DIMM P2 encountered a Serial Presence Detection (SPD) failure",
        0x85E9: "DIMM P3 encountered a Serial Presence Detection (SPD) failure",
        0x85EA: "DIMM R1 encountered a Serial Presence Detection (SPD) failure",
        0x85EB: "DIMM R2 encountered a Serial Presence Detection (SPD) failure",
        0x85EC: "DIMM R3 encountered a Serial Presence Detection (SPD) failure",
        0x85ED: "DIMM T1 encountered a Serial Presence Detection (SPD) failure",
        0x85EE: "DIMM T2 encountered a Serial Presence Detection (SPD) failure",
        0x85EF: "DIMM T3 encountered a Serial Presence Detection (SPD) failure",
        0x8604: "POST Reclaim of non-critical NVRAM variables",
        0x8605: "BIOS Settings are corrupted",
        0x8606: "NVRAM variable space was corrupted and has been reinitialized",
        0x9505: "ATA/ATPI interface error",
        0xA100: "BIOS ACM Error",
    ]

    /// Where the E5-2600 v3 boards' names differ from the S2600WP's other than in "DIMM_".
    static let e52600v3ChangedPOSTErrors: [UInt16: String] = [
        0x5220: "BIOS Settings reset to default settings",
        0x8170: "Processor 01 failed Self Test (BIST) ",
        0x8171: "Processor 02 failed Self Test (BIST) ",
        0x8172: "Processor 03 failed Self Test (BIST) ",
        0x8173: "Processor 04 failed Self Test (BIST) ",
        0x8305: "Hot-Swap Controller failure",
        0x8501: "DIMM Population Error",
        0x8604: "POST Reclaim of non-critical variables",
    ]
}
