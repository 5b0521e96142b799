import IPMISensors

/// FreeIPMI's interpretation of the SEL of Intel server boards and of the Quanta and Inventec boards built on Intel's
/// Node Manager: facts from libfreeipmi 1.6 (sel/ipmi-sel-string.c's choice of board by manufacturer and product,
/// sel/ipmi-sel-string-intel-node-manager.c for the Event column, interpret/ipmi-interpret-config-sel.c for the State
/// column).
///
/// Covered: the Node Manager's "thermal sensor on DIMM" SMBus status event, which FreeIPMI names without its SDR, and
/// the states FreeIPMI gives the Node Manager's events, the SMI timeout and the NMI state, by product; the Node Manager
/// texts FreeIPMI gives only when the SDR holds Intel's Node Manager OEM record are ``SELOEMIntelNodeManager``'s. The
/// boards' own texts are in files of their own: the S2600 boards' OEM events (``SELOEMIntelBIOS``), what their BIOS
/// logs in event data 2 and 3 of memory and legacy PCI events (``SELOEMIntelBoards``), their POST error codes
/// (``SELOEMIntelS2600``) and what the E5-2600 v3 boards' BMC logs in event data 2 and 3 of its standard events
/// (``SELOEMIntelE52600v3``); the S5500WB's (``SELOEMIntelS5500WB``), the QSSC-S4R's (``SELOEMQSSCS4R``) and the
/// Windmill's (``SELOEMIntelWindmill``).
enum SELOEMIntel {
    /// IANA enterprise numbers: Intel's, and Quanta's and Inventec's for their boards that FreeIPMI reads with the
    /// Node Manager's interpretation.
    static let intel: UInt32 = 343
    static let quanta: UInt32 = 7244
    static let inventec: UInt32 = 20569

    static func intel(_ product: UInt16) -> SELDeviceIdentity {
        SELDeviceIdentity(manufacturerID: intel, productID: product)
    }

    /// Boards whose OEM event types (70h-7Fh) FreeIPMI reads with the Node Manager's interpretation first: Intel's
    /// Quanta QSSC-S4R (64), S2600JF (77), S2600WP (78), S2600KP (111), S2600GZ (73), S2600WT2/S2600WTT/S2600KPR
    /// (112) and S5500WB (62); Inventec 5441 and 5442 (51, 52); Quanta S99Q (21401). Not the Windmill (2818).
    static let nodeManagerTextDevices: Set<SELDeviceIdentity> = [
        intel(64), intel(77), intel(78), intel(111), intel(73), intel(112), intel(62),
        SELDeviceIdentity(manufacturerID: inventec, productID: 51),
        SELDeviceIdentity(manufacturerID: inventec, productID: 52),
        SELDeviceIdentity(manufacturerID: quanta, productID: 21401),
    ]

    /// Boards FreeIPMI gives the Node Manager's event states for: Intel S5500WB (62), Inventec 5441 and 5442, Quanta
    /// S99Q, Intel's Quanta QSSC-S4R (64). A shorter list than the texts'.
    static let nodeManagerStateDevices: Set<SELDeviceIdentity> = [
        intel(62),
        SELDeviceIdentity(manufacturerID: inventec, productID: 51),
        SELDeviceIdentity(manufacturerID: inventec, productID: 52),
        SELDeviceIdentity(manufacturerID: quanta, productID: 21401),
        intel(64),
    ]

    /// Boards with an SMI timeout sensor (OEM sensor type F3h): SR1625/S5500WB (62), Quanta QSSC-S4R (64), S5000PAL
    /// (40); and the one with an NMI state sensor (OEM sensor type C0h): S5000PAL.
    static let smiTimeoutDevices: Set<SELDeviceIdentity> = [intel(62), intel(64), intel(40)]
    static let nmiStateDevices: Set<SELDeviceIdentity> = [intel(40)]

    // MARK: Node Manager

    /// The Node Manager's OEM sensor type, "thermal sensor on DIMM" sensor type and SMBus status sensor number, and
    /// their OEM event/reading types.
    static let nodeManagerSensorType: UInt8 = 0xDC
    static let dimmThermalSensorType: UInt8 = 0x28
    static let dimmThermalSMBusSensor: UInt8 = 0x6E
    static let dimmThermalEventType: UInt8 = 0x76
    static let exceptionEventType: UInt8 = 0x72, healthEventType: UInt8 = 0x73
    static let capabilitiesEventType: UInt8 = 0x74, firmwareHealthEventType: UInt8 = 0x75

    /// The event (event data 1) of an OEM event type, nil when it is the generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        if let text = nodeManagerEvent(entry, device: device) { return text }
        return SELOEMIntelBIOS.event(entry, device: device)
    }

    /// The Node Manager's name for an event, which FreeIPMI tries before the board's own.
    static func nodeManagerEvent(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard nodeManagerTextDevices.contains(device), entry.sensorType == dimmThermalSensorType,
            entry.sensorKey.sensorNumber == dimmThermalSMBusSensor, entry.eventReadingType == dimmThermalEventType
        else { return nil }
        // Event data 1 bit n: whether the DIMM thermal sensors of CPU n/2, memory controller n%2 are unavailable
        // (1). FreeIPMI 1.6 reads every one of the eight from bit 0 (CPU0/MC0), so all eight say the same.
        let available = entry.eventData[0] & 0x01 == 0 ? "Available" : "Not Available"
        let controllers = (0..<8).map { "CPU\($0 / 2)/MC\($0 % 2) = \(available)" }
        return controllers.joined(separator: ", ")
    }

    // MARK: States

    /// The State column, nil when FreeIPMI has no Intel interpretation of the entry for `device`. FreeIPMI looks the
    /// entry up by its event/reading type and sensor type, then compares event data 1 as a whole byte; an entry of a
    /// known type whose event data 1 matches nothing is N/A.
    static func state(_ entry: SELEntry, device: SELDeviceIdentity) -> SensorState? {
        let data1 = entry.eventData[0]
        // Event data 1 with OEM codes in event data 2 and 3 (bits 7:6 and 5:4 both 10b) over the offset.
        let oemCodes: UInt8 = 0xA0
        switch (entry.eventReadingType, entry.sensorType) {
        case (exceptionEventType, nodeManagerSensorType) where nodeManagerStateDevices.contains(device):
            // The policy event bit (bit 3), or alert thresholds 0-2.
            return [oemCodes | 0x08, oemCodes, oemCodes | 0x01, oemCodes | 0x02].contains(data1) ? .warning : .unknown
        case (healthEventType, nodeManagerSensorType) where nodeManagerStateDevices.contains(device):
            // Offset 02h: sensor Node Manager.
            return data1 == oemCodes | 0x02 ? .warning : .unknown
        case (capabilitiesEventType, nodeManagerSensorType) where nodeManagerStateDevices.contains(device):
            return .warning
        case (firmwareHealthEventType, nodeManagerSensorType) where nodeManagerStateDevices.contains(device):
            // Offset 00h: firmware status.
            return data1 == oemCodes ? .warning : .unknown
        // Generic "state" events (event/reading type 03h) of the SMI timeout (F3h) and NMI state (C0h) sensors:
        // deasserted is nominal, asserted critical.
        case (0x03, 0xF3) where smiTimeoutDevices.contains(device), (0x03, 0xC0) where nmiStateDevices.contains(device):
            return [0x00: .nominal, 0x01: .critical][data1] ?? .unknown
        default:
            return nil
        }
    }
}
