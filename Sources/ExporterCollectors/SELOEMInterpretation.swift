import IPMISensors

/// The BMC's manufacturer (an IANA enterprise number) and product, as Get Device ID gives them (IPMI v2.0 §20.1,
/// bytes 7-9 and 10-11): FreeIPMI's `--interpret-oem-data` chooses its manufacturer-specific interpretations of SEL
/// entries by them.
struct SELDeviceIdentity: Hashable, Sendable {
    var manufacturerID: UInt32
    var productID: UInt16
}

/// What `ipmi-sel --interpret-oem-data` (as ipmi_exporter runs it) prints differently from the generic text for an
/// entry, by the BMC's manufacturer and product: facts from FreeIPMI 1.6's libfreeipmi (sel/ipmi-sel-string*.c for
/// the Event column, interpret/ipmi-interpret-config-sel.c for the State column).
///
/// Covered, each vendor in its own file:
/// - whatever the BMC: the Linux kernel's panic entries;
/// - Supermicro boards (with the manufacturer IDs of Supermicro, of its non-IANA workaround, of Peppercon and of
///   Magnum Technologies), here;
/// - the Wistron C6220 (``SELOEMWistron``), the Gigabyte MD90-FS0-ZB and MG20-OP0-ZB (``SELOEMGigabyte``), Dell
///   PowerEdge (``SELOEMDell``), the Sun X4140 (whose interpretation in FreeIPMI 1.6 changes nothing);
/// - Intel (``SELOEMIntel``, ``SELOEMIntelBIOS``, ``SELOEMIntelBoards``), the E5-2600 v3 boards' BMC events
///   (``SELOEMIntelE52600v3``), the S2600 boards' POST error codes (``SELOEMIntelS2600``), the S5500WB
///   (``SELOEMIntelS5500WB``), the Open Compute Windmill (Intel's ID, product 2818; ``SELOEMIntelWindmill``), the
///   Node Manager's texts, which need the SDRs' Node Manager record (``SELOEMIntelNodeManager``);
/// - the Quanta QSSC-S4R (Intel's ID, product 64; ``SELOEMQSSCS4R``);
/// - the Quanta S99Q (``SELOEMQuanta``) and Inventec 5441/5442 (``SELOEMInventec``);
/// - Fujitsu's iRMC (``SELOEMFujitsu``).
enum SELOEMInterpretation {
    // MARK: Manufacturers and products

    /// IANA enterprise numbers FreeIPMI knows Supermicro boards by: Supermicro's; a number that is not IANA's but
    /// some Supermicro BMCs report (FreeIPMI's "SUPERMICRO_WORKAROUND"); Peppercon, the IPMI card maker of early
    /// boards; Magnum Technologies, whose X8DTL is a rebranded one.
    enum Manufacturer: UInt32 {
        case supermicro = 10876, supermicroWorkaround = 47488, peppercon = 10437, magnumTechnologies = 5593
    }

    /// Supermicro products whose CPU temperature sensor (OEM sensor type C0h, event/reading type 70h) logs
    /// "Overheat" as offset 02h: X8DTH/X8DTG/X8DTU/X8DT3-LN4F (43707), X8DTU-6+ (1549), X8DTL/X8DTL-3F (6), X8SIL-F
    /// (1541), X9SCL/X9SCM (1572), X8DTN+-F (1551), X8SIE (1037), X9SCA-F-O (1585), H8DGU-F (43025), H8DGU (4520),
    /// H8DG6 (48145), X9DRi-F (1576), X9DRI-LN4F+ (1574), X9SPU-F-O (1603), X9SCM-iiF (1600), H8SGL-F (42769).
    static let supermicroOverheatProducts: Set<UInt16> = [
        43707, 1549, 6, 1541, 1572, 1551, 1037, 1585, 43025, 4520, 48145, 1576, 1574, 1603, 1600, 42769,
    ]
    /// The same event on Peppercon boards (X7DBR-3, X7DB8, X8DTN, X7SBI-LN4, all product 4) and on Magnum
    /// Technologies' X8DTL (product 6).
    static let pepperconOverheatProduct: UInt16 = 4
    static let magnumOverheatProduct: UInt16 = 6

    /// Supermicro X10 products whose memory events name the DIMM in event data 2 and 3: X10DRH (2201), X10DRW
    /// (2148), X10DRI (1832), X10SLH-F/X10SLM+-F (2051), X10SLL-F (2049), X10DRL-I (2097), X10SLM-F (2065), X10SRW-F
    /// (2099), X10SRI-F (2100), X10DRW-I (2081), X10SRL-F (2098), X10DDW-I (2117), X10DRG-HT (2115).
    static let supermicroDIMMProducts: Set<UInt16> = [
        2201, 2148, 1832, 2051, 2049, 2097, 2065, 2099, 2100, 2081, 2098, 2117, 2115,
    ]

    /// The (manufacturer, product) pairs whose "Overheat" entries FreeIPMI's SEL interpretation calls Critical. It is
    /// not the same list as the text's: FreeIPMI registers some products only under one of Supermicro's two IDs.
    static let supermicroOverheatCritical: Set<SELDeviceIdentity> = {
        var pairs: Set<SELDeviceIdentity> = []
        for product: UInt16 in [1572, 1576, 1574, 1603, 1600] {
            pairs.insert(SELDeviceIdentity(manufacturerID: Manufacturer.supermicro.rawValue, productID: product))
        }
        for product: UInt16 in [43707, 1549, 6, 1541, 1572, 1551, 1037, 1585, 43025, 4520, 48145, 42769] {
            pairs.insert(
                SELDeviceIdentity(manufacturerID: Manufacturer.supermicroWorkaround.rawValue, productID: product))
        }
        pairs.insert(SELDeviceIdentity(manufacturerID: Manufacturer.peppercon.rawValue, productID: 4))
        pairs.insert(SELDeviceIdentity(manufacturerID: Manufacturer.magnumTechnologies.rawValue, productID: 6))
        return pairs
    }()

    /// Whether `device` is a board whose CPU temperature "Overheat" FreeIPMI names.
    static func namesOverheat(_ device: SELDeviceIdentity) -> Bool {
        switch Manufacturer(rawValue: device.manufacturerID) {
        case .supermicro, .supermicroWorkaround: supermicroOverheatProducts.contains(device.productID)
        case .peppercon: device.productID == pepperconOverheatProduct
        case .magnumTechnologies: device.productID == magnumOverheatProduct
        case nil: false
        }
    }

    /// Whether `device` is a Supermicro X10 board whose memory events name their DIMM.
    static func namesDIMM(_ device: SELDeviceIdentity) -> Bool {
        let manufacturer = Manufacturer(rawValue: device.manufacturerID)
        return (manufacturer == .supermicro || manufacturer == .supermicroWorkaround)
            && supermicroDIMMProducts.contains(device.productID)
    }

    // MARK: Entries

    /// Software ID 10h as a generator ID (IPMI v2.0 §5.5: 7-bit ID, then bit 0 set for software): the Linux kernel's
    /// IPMI driver, which logs a panic's text in the entries it adds.
    static let linuxKernelGenerator: UInt8 = 0x21
    /// The non-timestamped OEM record type the Linux kernel logs a panic string in.
    static let linuxKernelPanicRecord: UInt8 = 0xF0

    /// The Event column for a non-timestamped OEM record the Linux kernel wrote, nil for other records: bytes 6-16
    /// (after the slave address and sequence number) are the panic string, up to its first NUL; ipmi-sel prints
    /// "N/A" for an empty one.
    static func oemRecordText(_ entry: SELEntry) -> String? {
        guard entry.recordType == linuxKernelPanicRecord, let oem = entry.oemData, oem.count == 13 else { return nil }
        let text = cString(oem.dropFirst(2))
        return text.isEmpty ? "N/A" : text
    }

    /// The event (event data 1) of a system event record as FreeIPMI names it for `device`, nil when it is the
    /// generic one.
    static func event(_ entry: SELEntry, device: SELDeviceIdentity?) -> String? {
        guard let device, entry.oemData == nil else { return nil }
        if let text = SELOEMIntel.event(entry, device: device) { return text }
        if let text = SELOEMIntelS5500WB.event(entry, device: device) { return text }
        if let text = SELOEMQSSCS4R.event(entry, device: device) { return text }
        if let text = SELOEMInventec.event(entry, device: device) { return text }
        // Supermicro CPU temperature (OEM sensor type C0h, OEM event/reading type 70h), offset 02h.
        if entry.eventReadingType == 0x70, entry.sensorType == 0xC0, entry.offset == 0x02, namesOverheat(device) {
            return "Overheat"
        }
        if device == SELOEMWistron.device { return SELOEMWistron.event(entry) }
        if device == SELOEMDell.device { return SELOEMDell.event(entry) }
        if device == SELOEMIntelWindmill.device { return SELOEMIntelWindmill.event(entry) }
        if SELOEMFujitsu.isIRMC(device) { return SELOEMFujitsu.event(entry) }
        return nil
    }

    /// What follows the event for event data 2 and 3 when FreeIPMI reads them as OEM data, nil when they are read
    /// as usual (§29.7). An empty string: nothing follows.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity?) -> String? {
        guard entry.oemData == nil else { return nil }
        // Event data 1 bits 7:6 and 5:4 both 10b: event data 2 and 3 hold OEM codes (table 29-6).
        let oemCodes = entry.eventData2IsOEMCode && entry.eventData3IsOEMCode
        // The Linux kernel's OS critical stop (sensor type 20h): the sensor number and event data 2 and 3 are the
        // first three characters of the panic string; checked before any manufacturer's interpretation.
        if oemCodes, entry.eventReadingType == 0x6F, entry.sensorKey.ownerID == linuxKernelGenerator,
            entry.sensorType == 0x20
        {
            return cString([entry.sensorKey.sensorNumber, entry.eventData[1], entry.eventData[2]])
        }
        if device == SELOEMWistron.device { return SELOEMWistron.eventData(entry) }
        if device == SELOEMDell.device { return SELOEMDell.eventData(entry) }
        if device == SELOEMIntelWindmill.device { return SELOEMIntelWindmill.eventData(entry) }
        if let device, SELOEMGigabyte.devices.contains(device) { return SELOEMGigabyte.eventData(entry) }
        if let device, let text = SELOEMIntelS2600.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMIntelBoards.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMIntelE52600v3.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMIntelS5500WB.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMIntelNodeManager.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMQuanta.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMInventec.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMIntelBIOS.eventData(entry, device: device) { return text }
        if let device, let text = SELOEMQSSCS4R.eventData(entry, device: device) { return text }
        guard oemCodes, entry.eventReadingType == 0x6F else { return nil }
        // Supermicro X10: a correctable or uncorrectable memory error (sensor type 0Ch, offsets 0 and 1) names its
        // DIMM, "DIMM" + pair letter + DIMM number + "(CPU" + n + ")". Event data 2 bits 7:4: the pair, counted from
        // "@" and 3 letters on per CPU; bits 3:0: the DIMM, counted from "'"; event data 3 bits 1:0: the CPU, from 0.
        if let device, namesDIMM(device), entry.sensorType == 0x0C, entry.offset <= 1 {
            let (data2, data3) = (entry.eventData[1], entry.eventData[2])
            let cpu = Int(data3 & 0x03)
            // FreeIPMI keeps the pair in a (signed) char before shifting it, so pairs 8-F count from "8" instead.
            let pair = Int(Int8(bitPattern: data2 & 0xF0)) >> 4 + 0x40 + cpu * 3
            let dimm = Int(data2 & 0x0F) + 0x27
            let letters = String(decoding: [UInt8(truncatingIfNeeded: pair), UInt8(dimm)], as: UTF8.self)
            return "DIMM\(letters)(CPU\(cpu + 1))"
        }
        return nil
    }

    /// Event data 2 and 3 when a manufacturer's interpretation names one or both bytes on their own (nil: that byte
    /// as usual, each byte's generic text then alone), nil when neither is named and the event has its generic name.
    static func eventData(_ entry: SELEntry, data2: String?, data3: String?, eventNamed: Bool) -> String? {
        guard data2 != nil || data3 != nil || eventNamed else { return nil }
        let texts = [data2 ?? genericText(entry, byte: 2), data3 ?? genericText(entry, byte: 3)]
        return texts.filter { !$0.isEmpty }.joined(separator: " ; ")
    }

    /// The generic text of event data 2 or 3 alone (IPMI v2.0 §29.7, table 29-6).
    static func genericText(_ entry: SELEntry, byte: Int) -> String {
        let code = byte == 2 ? entry.eventData[0] >> 6 : entry.eventData[0] >> 4 & 0b11
        let value = entry.eventData[byte - 1]
        switch code {
        case 0b00: return ""
        case 0b10: return value == 0xFF ? "" : "OEM Event Data\(byte) code = " + SELEntry.hexByte(value)
        default:
            // What the generic rendering gives with the other byte marked unspecified.
            var alone = entry
            alone.eventData[0] &= byte == 2 ? 0xCF : 0x3F
            return alone.eventDataTexts(sensor: nil).joined(separator: " ; ")
        }
    }

    /// The State column when FreeIPMI's OEM interpretation gives one, nil when the generic one stands.
    static func state(_ entry: SELEntry, device: SELDeviceIdentity?) -> SensorState? {
        guard let device, entry.oemData == nil else { return nil }
        if let state = SELOEMIntel.state(entry, device: device) { return state }
        // Supermicro CPU temperature: event data 1 exactly 02h ("Overheat", no OEM codes in the upper bits), either
        // direction. Other offsets of the sensor stay N/A, as without the option.
        if entry.eventReadingType == 0x70, entry.sensorType == 0xC0, entry.eventData[0] == 0x02,
            supermicroOverheatCritical.contains(device)
        {
            return .critical
        }
        return nil
    }

    /// Bytes up to the first NUL, as C prints a string.
    static func cString<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension SELEntry {
    /// The Event column of `ipmi-sel --output-event-state --interpret-oem-data` for a BMC that is `device` (nil:
    /// unknown, the generic text): FreeIPMI's manufacturer-specific event, or the generic one, then what event data
    /// 2 and 3 hold after " ; " unless that is empty.
    func text(sensor: SensorDefinition?, device: SELDeviceIdentity?) -> String {
        if let text = SELOEMInterpretation.oemRecordText(self) { return text }
        if let text = SELOEMIntelWindmill.oemRecordText(self, device: device) { return text }
        guard oemData == nil else { return text(sensor: sensor) }
        let event = SELOEMInterpretation.event(self, device: device) ?? text
        let data =
            SELOEMInterpretation.eventData(self, device: device)
            ?? eventDataTexts(sensor: sensor).joined(separator: " ; ")
        // FreeIPMI leaves out event data texts that are empty or "N/A".
        if data.isEmpty || data.lowercased() == "n/a" { return event }
        return event + " ; " + data
    }

    /// The State column with FreeIPMI's OEM interpretation for `device`.
    func state(device: SELDeviceIdentity?) -> SensorState {
        SELOEMInterpretation.state(self, device: device) ?? state
    }
}

extension Array {
    /// The element at a byte-sized index a record gives (an offset, a code), nil past the end of the table.
    func element(at index: UInt8) -> Element? {
        Int(index) < count ? self[Int(index)] : nil
    }
}
