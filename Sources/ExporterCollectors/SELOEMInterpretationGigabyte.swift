/// FreeIPMI's interpretation of the SEL of the Gigabyte MD90-FS0-ZB and MG20-OP0-ZB (manufacturer 15370, products
/// 266 and 280): facts from libfreeipmi 1.6 (sel/ipmi-sel-string-gigabyte-common.c). Sensor-specific (6Fh) PCI and
/// memory errors, from any generator and sensor, name what their OEM event data bytes hold; no state of their own.
enum SELOEMGigabyte {
    static let devices: Set<SELDeviceIdentity> = [
        SELDeviceIdentity(manufacturerID: 15370, productID: 266),
        SELDeviceIdentity(manufacturerID: 15370, productID: 280),
    ]

    /// What follows the event for event data 2 and 3, nil when it is the generic text.
    static func eventData(_ entry: SELEntry) -> String? {
        guard entry.eventReadingType == 0x6F else { return nil }
        let oem = (data2: entry.eventData2IsOEMCode, data3: entry.eventData3IsOEMCode)
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        var texts: (data2: String?, data3: String?) = (nil, nil)
        switch (entry.sensorType, entry.offset) {
        // Critical interrupt (13h), PCI PERR and SERR: the bus in event data 2; the device (bits 7:3) and function
        // (2:0) in event data 3.
        case (0x13, 0x04), (0x13, 0x05):
            if oem.data2 { texts.data2 = "Bus \(data2)" }
            if oem.data3 { texts.data3 = "Device \(data3 >> 3), Function \(data3 & 0x07)" }
        // Memory (0Ch): correctable, uncorrectable, correctable logging limit reached: the channel (bits 7:4, A-H)
        // and DIMM (3:0, 0-3) in event data 3.
        case (0x0C, 0x00), (0x0C, 0x01), (0x0C, 0x05):
            guard oem.data3 else { break }
            if data3 == 0xFF {
                texts.data3 = "Cannot determine which DIMM error occurred on"
            } else {
                let channels = ["A", "B", "C", "D", "E", "F", "G", "H"]
                let channel = channels.element(at: data3 >> 4) ?? "Unknown"
                let dimm = data3 & 0x0F <= 3 ? "\(data3 & 0x0F)" : "Unknown"
                texts.data3 = "Channel \(channel), DIMM \(dimm)"
            }
        default:
            break
        }
        return SELOEMInterpretation.eventData(entry, data2: texts.data2, data3: texts.data3, eventNamed: false)
    }
}
