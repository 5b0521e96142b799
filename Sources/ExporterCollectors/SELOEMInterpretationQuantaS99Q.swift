import IPMISensors

/// What FreeIPMI reads in event data 2 and 3 of the standard (sensor-specific, 6Fh) events the BIOS of the Quanta
/// S99Q (Dell FS12-TY; manufacturer 7244, product 21401) logs: facts from libfreeipmi 1.6
/// (sel/ipmi-sel-string-quanta-s99q.c). It reads a byte only when event data 1 says it holds an OEM code (IPMI v2.0
/// §29.7, table 29-6); the other byte keeps its generic text.
///
/// Covered: PCI errors (device and function, bus), QPI and internal errors (local error bit, error source), memory
/// errors (the DIMM): all FreeIPMI reads on this board but the Node Manager's events, which are ``SELOEMIntel``'s.
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
        let oem2 = entry.eventData2IsOEMCode && texts.data2 != nil, oem3 = entry.eventData3IsOEMCode
        guard oem2 || oem3 else { return nil }
        return SELOEMInterpretation.eventData(
            entry, data2: oem2 ? texts.data2 : nil, data3: oem3 ? texts.data3 : nil, eventNamed: false)
    }
}
