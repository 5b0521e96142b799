import IPMISensors

/// FreeIPMI's interpretation of the SEL of the Inventec 5441 (Dell Xanadu II) and 5442 (Dell Xanadu III): facts from
/// libfreeipmi 1.6 (sel/ipmi-sel-string-inventec-common.c, -5441.c, -5442.c; the sensor numbers, generator IDs and
/// codes from its spec/oem/*-inventec-spec.h).
///
/// Covered: the BIOS's POST start event ("BMC enabled by BIOS", FreeIPMI's own name, with the BIOS version in event
/// data 2 and 3), the BIOS's POST error codes (event data 2 and 3 read together as one code, on the 5441), memory
/// errors' single-bit error threshold and DIMM, and the BMC's port 80 code events. The Node Manager's events these
/// boards log are ``SELOEMIntel``'s.
enum SELOEMInventec {
    static let inventec5441 = SELDeviceIdentity(manufacturerID: SELOEMIntel.inventec, productID: 51)
    static let inventec5442 = SELDeviceIdentity(manufacturerID: SELOEMIntel.inventec, productID: 52)

    /// Generator IDs (IPMI v2.0 §5.5, the whole byte: software IDs have bit 0 set): the BIOS (software ID 00h), the
    /// SMI handler (10h), the BIOS's POST error reporting (18h), the BMC (slave address 20h).
    static let biosGenerator: UInt8 = 0x01, smiGenerator: UInt8 = 0x21, postErrorGenerator: UInt8 = 0x31
    static let bmcGenerator: UInt8 = 0x20

    /// The POST start event: from the BIOS, OEM sensor type C1h, sensor 81h, OEM event type 70h, offset 00h, with
    /// OEM codes in both event data 2 and 3 (event data 1 bits 7:4 1010b, IPMI v2.0 table 29-6).
    static func isPOSTStart(_ entry: SELEntry) -> Bool {
        entry.sensorKey.ownerID == biosGenerator && entry.sensorType == 0xC1 && entry.sensorKey.sensorNumber == 0x81
            && entry.eventReadingType == 0x70 && entry.offset == 0x00 && entry.eventData[0] >> 4 == 0b1010
    }

    /// A POST error: from the BIOS's POST error generator, sensor-specific (6Fh) system firmware progress (0Fh),
    /// sensor 06h, any offset, with OEM codes in both event data 2 and 3, which hold the code (low byte in event
    /// data 2).
    static func isPOSTError(_ entry: SELEntry) -> Bool {
        entry.sensorKey.ownerID == postErrorGenerator && entry.sensorType == 0x0F
            && entry.sensorKey.sensorNumber == 0x06 && entry.eventReadingType == 0x6F
            && entry.eventData[0] >> 4 == 0b1010
    }

    /// The event (event data 1) on `device`, nil when it is the generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == inventec5441 || device == inventec5442, isPOSTStart(entry) else { return nil }
        return "BMC enabled by BIOS"
    }

    /// The DIMM of a memory error in event data 3: the CPU in the upper nibble, 01h-06h in the lower for channels 0-2,
    /// DIMM 1 then DIMM 0 each; the 5441's second CPU has DIMM 0 of each channel only, as 11h-13h.
    static func dimm(_ byte: UInt8, device: SELDeviceIdentity) -> String? {
        let (cpu, low) = (byte >> 4, Int(byte & 0x0F))
        if device == inventec5441, cpu == 1 {
            return (1...3).contains(low) ? "Dimm Number - CPU1/Ch\(low - 1)/DIM0" : nil
        }
        guard cpu <= (device == inventec5442 ? 1 : 0), (1...6).contains(low) else { return nil }
        return "Dimm Number - CPU\(cpu)/Ch\((low - 1) / 2)/DIM\(low % 2)"
    }

    /// Names of port 80 codes FreeIPMI knows.
    static let port80Codes: [UInt8: String] = [
        0x3A: "Extended Memory Test", 0x87: "Setup Menu", 0x78: "Option ROM Scan",
    ]

    /// The BIOS's POST error codes (event data 3 << 8 | event data 2) and their names, one a line; FreeIPMI calls any
    /// other code "Undefined BIOS Error". Numbered devices and CPUs have consecutive codes: HDD 0-7, ATAPI 0-7, CPU
    /// 1-4.
    static let postErrors: [UInt16: String] = {
        let table = """
            0000 Timer Count Read/Write Error
            0001 Master PIC Error
            0002 Slave PIC Error
            0003 CMOS Battery Error
            0004 CMOS Diagnostic Status Error
            0005 CMOS Checksum Error
            0006 CMOS Config Error
            0008 Keyboard Lock Error
            0009 No Keyboard Error
            000A KBC Bat Test Error
            000B CMOS Memory Size Error
            000C RAM Read/Write Test Error
            000E FDD 0 Error
            0010 Floppy Controller Error
            0012 CMOS Date Time Error
            0014 No PS2 Mouse Error
            0040 Refresh Timer Error
            0041 Display Memory Error
            0043 Post the <INS> key Error
            0044 DMAC Page Register Error
            0045 DMAC1 Channel Register Error
            0046 DMAC2 Channel Register Error
            0047 PMM Memory Allocation Error
            0048 Password Check Error
            004A ADM Module Error
            004B Language Module Error
            004C KBC Interface Error
            005D ATA SMART Feature Error
            005E Non-Critical Password Check Error
            00FF Dummy BIOS Error
            0110 AP (Application Processor) failed BIST
            0150 Processor failed BIST (BSP)
            0192 L2 cache size mismatch
            0193 CPUID, Processor stepping are different
            0194 CPUID, Processor family are different
            0195 Front side bus mismatch
            0196 CPUID, Processor Model are different
            0197 Processor speeds mismatched
            0198 QPI mismatched
            8101 USB HC Not Found
            8102 USB Device Init Error
            8103 USB Device Disabled
            8104 USB OHCI EMUL Not Supported
            8105 USB EHCI 64bit Data Structure Error
            8301 SMBIOS Not Enough Space In F000
            """
        var names: [UInt16: String] = [:]
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2, let code = UInt16(fields[0], radix: 16) { names[code] = String(fields[1]) }
        }
        for drive: UInt16 in 0...7 {
            names[0x004D + drive] = "HDD \(drive) Error"
            names[0x0055 + drive] = "ATAPI \(drive) Error"
        }
        for cpu: UInt16 in 1...4 {
            names[0x011F + cpu] = "CPU\(cpu) Thermal Failure due to PROCHOT#"
            names[0x015F + cpu] = "CPU\(cpu) Processor missing microcode"
        }
        return names
    }()

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == inventec5441 || device == inventec5442 else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // The 5441 reads event data 2 and 3 together for two events; FreeIPMI does not register that reading for
        // the 5442, which names each byte of the POST start and leaves the POST error codes generic.
        if device == inventec5441, isPOSTError(entry) {
            return postErrors[UInt16(data3) << 8 | UInt16(data2)] ?? "Undefined BIOS Error"
        }
        // The BIOS version: major in event data 2 (hex), minor in event data 3 (two hex digits).
        if isPOSTStart(entry) {
            let (major, minor) = (String(data2, radix: 16, uppercase: true), SELEntry.hexByte(data3).dropLast())
            return device == inventec5441
                ? "BIOS Version \(major).\(minor)" : "BIOS Major Version \(major) ; BIOS Minor Version \(minor)"
        }
        guard entry.eventReadingType == 0x6F else { return nil }
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        var texts: (data2: String?, data3: String?)
        switch (entry.sensorKey.ownerID, entry.sensorType, entry.sensorKey.sensorNumber) {
        // Memory errors from the SMI handler (sensor 60h): correctable, uncorrectable, parity, logging limit
        // reached. Event data 2: the single-bit error threshold crossed (FFh: another cause).
        case (smiGenerator, 0x0C, 0x60) where [0x00, 0x01, 0x02, 0x05].contains(entry.offset):
            texts = (
                [0x00: "SBE warning threshold", 0x01: "SBE critical threshold"][data2], dimm(data3, device: device)
            )
        // Port 80 codes the BMC logs on its system firmware progress sensor 55h, in event data 3.
        case (bmcGenerator, 0x0F, 0x55):
            texts.data3 = "PORT80 Code Event = " + (port80Codes[data3] ?? SELEntry.hexByte(data3))
        default:
            return nil
        }
        let named2 = oem2 ? texts.data2 : nil, named3 = oem3 ? texts.data3 : nil
        guard named2 != nil || named3 != nil else { return nil }
        return SELOEMInterpretation.eventData(entry, data2: named2, data3: named3, eventNamed: false)
    }
}
