import IPMISensors

/// What FreeIPMI reads in event data 2 and 3 of the standard (sensor-specific, 6Fh) events the BIOS of the Quanta
/// S99Q (Dell FS12-TY; manufacturer 7244, product 21401) logs: facts from libfreeipmi 1.6
/// (sel/ipmi-sel-string-quanta-s99q.c). It reads a byte only when event data 1 says it holds an OEM code (IPMI v2.0
/// §29.7, table 29-6); the other byte keeps its generic text.
///
/// Covered: PCI errors (device and function, bus), QPI and internal errors (local error bit, error source), memory
/// errors (the DIMM).
enum SELOEMQuanta {
    static let s99q = SELDeviceIdentity(manufacturerID: SELOEMIntel.quanta, productID: 21401)

    /// The BIOS's generator ID (IPMI v2.0 §5.5: software ID 0) and its sensors: PCI (81h), QPI (82h) and internal
    /// (83h) errors of sensor type critical interrupt (13h), memory (60h) of sensor type memory (0Ch).
    static let bios: UInt8 = 0x01
    static let pciSensor: UInt8 = 0x81, qpiSensor: UInt8 = 0x82, internalSensor: UInt8 = 0x83
    static let memorySensor: UInt8 = 0x60

    /// Critical interrupt offsets: bus correctable, uncorrectable and fatal errors; PCI PERR and SERR besides on the
    /// PCI sensor. Memory offsets: correctable and uncorrectable ECC, spare.
    static let busErrors: Set<UInt8> = [0x07, 0x08, 0x0A]
    static let pciErrors: Set<UInt8> = busErrors.union([0x04, 0x05])
    static let memoryErrors: Set<UInt8> = [0x00, 0x01, 0x08]

    /// The error source of a QPI or internal error in event data 3: QPI link 0-3, miscellaneous (23), IOH core (24).
    static func errorSource(_ byte: UInt8) -> String {
        switch byte {
        case 0...3: "QPI[\(byte)] Error"
        case 23: "Miscellaneous Error"
        case 24: "IOH Core Error"
        default: "Unknown Error"
        }
    }

    /// The DIMM in event data 3: 01h-12h are DIMMs A0-F2, three per letter.
    static func dimm(_ byte: UInt8) -> String {
        guard (0x01...0x12).contains(byte) else { return "Error DIMM \(byte)" }
        let index = Int(byte) - 1
        return "DIMM " + String(Array("ABCDEF")[index / 3]) + "\(index % 3)"
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == s99q, entry.sensorKey.ownerID == bios, entry.eventReadingType == 0x6F else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let sensor = entry.sensorKey.sensorNumber
        var texts: (data2: String?, data3: String?)
        switch entry.sensorType {
        // PCI: the device (bits 7:3) and function (2:0) in event data 2, the bus in event data 3.
        case 0x13 where sensor == pciSensor && pciErrors.contains(entry.offset):
            texts = ("Device \(data2 >> 3), Function \(data2 & 0x07)", "Bus Number \(data3)")
        case 0x13 where (sensor == qpiSensor || sensor == internalSensor) && busErrors.contains(entry.offset):
            texts = ("Local Error Bit \(data2)", errorSource(data3))
        case 0x0C where sensor == memorySensor && memoryErrors.contains(entry.offset):
            texts = (nil, dimm(data3))
        default:
            return nil
        }
        let data1 = entry.eventData[0]
        let oem2 = data1 >> 6 == 0b10 && texts.data2 != nil, oem3 = data1 >> 4 & 0b11 == 0b10
        guard oem2 || oem3 else { return nil }
        return SELOEMInterpretation.eventData(
            entry, data2: oem2 ? texts.data2 : nil, data3: oem3 ? texts.data3 : nil, eventNamed: false)
    }
}

/// FreeIPMI's interpretation of the SEL of the Inventec 5441 (Dell Xanadu II) and 5442 (Dell Xanadu III): facts from
/// libfreeipmi 1.6 (sel/ipmi-sel-string-inventec-common.c, -5441.c, -5442.c).
///
/// Covered: the BIOS's POST start event ("BMC enabled by BIOS", FreeIPMI's own name, with the BIOS version in event
/// data 2 and 3), memory errors' single-bit error threshold and DIMM, and the BMC's port 80 code events. Not covered:
/// the POST error codes (event data 2 and 3 read together), which keep the generic text.
enum SELOEMInventec {
    static let inventec5441 = SELDeviceIdentity(manufacturerID: SELOEMIntel.inventec, productID: 51)
    static let inventec5442 = SELDeviceIdentity(manufacturerID: SELOEMIntel.inventec, productID: 52)

    /// The POST start event: from the BIOS (generator 01h), OEM sensor type C1h, sensor 81h, OEM event type 70h,
    /// offset 00h, with OEM codes in both event data 2 and 3 (event data 1 bits 7:4 1010b).
    static func isPOSTStart(_ entry: SELEntry) -> Bool {
        entry.sensorKey.ownerID == 0x01 && entry.sensorType == 0xC1 && entry.sensorKey.sensorNumber == 0x81
            && entry.eventReadingType == 0x70 && entry.offset == 0x00 && entry.eventData[0] >> 4 == 0b1010
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

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard device == inventec5441 || device == inventec5442 else { return nil }
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        // The BIOS version: major in event data 2 (hex), minor in event data 3 (two hex digits). The 5441 reads both
        // bytes together; FreeIPMI does not register that reading for the 5442, which names each byte.
        if isPOSTStart(entry) {
            let (major, minor) = (String(data2, radix: 16, uppercase: true), SELEntry.hexByte(data3).dropLast())
            return device == inventec5441
                ? "BIOS Version \(major).\(minor)" : "BIOS Major Version \(major) ; BIOS Minor Version \(minor)"
        }
        guard entry.eventReadingType == 0x6F else { return nil }
        let data1 = entry.eventData[0]
        let oem2 = data1 >> 6 == 0b10, oem3 = data1 >> 4 & 0b11 == 0b10
        var texts: (data2: String?, data3: String?)
        switch (entry.sensorKey.ownerID, entry.sensorType, entry.sensorKey.sensorNumber) {
        // Memory errors from the SMI handler (generator 21h, sensor 60h): correctable, uncorrectable, parity,
        // logging limit reached. Event data 2: the single-bit error threshold crossed (FFh: another cause).
        case (0x21, 0x0C, 0x60) where [0x00, 0x01, 0x02, 0x05].contains(entry.offset):
            texts = (
                [0x00: "SBE warning threshold", 0x01: "SBE critical threshold"][data2], dimm(data3, device: device)
            )
        // Port 80 codes the BMC (20h) logs on its system firmware progress sensor 55h, in event data 3.
        case (0x20, 0x0F, 0x55):
            texts.data3 = "PORT80 Code Event = " + (port80Codes[data3] ?? SELEntry.hexByte(data3))
        default:
            return nil
        }
        let named2 = oem2 ? texts.data2 : nil, named3 = oem3 ? texts.data3 : nil
        guard named2 != nil || named3 != nil else { return nil }
        return SELOEMInterpretation.eventData(entry, data2: named2, data3: named3, eventNamed: false)
    }
}
