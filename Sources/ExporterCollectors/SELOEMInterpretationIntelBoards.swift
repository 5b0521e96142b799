import IPMISensors

/// What FreeIPMI reads in event data 2 and 3 of the standard (discrete) memory events the BIOS of Intel's S2600
/// boards logs: facts from libfreeipmi 1.6 (sel/ipmi-sel-string-intel-s2600jf.c and -s2600wp.c, which word them
/// alike; -e52600v3-common.c, which the S2600KP's, S2600WT's and S2600GZ's files call). Both families read the same
/// sensors and bits, in different words. It reads a byte only when event data 1 says it holds an OEM code (IPMI v2.0
/// §29.7, table 29-6: bits 7:6 for event data 2, bits 5:4 for event data 3, 10b); the other byte keeps its generic
/// text.
///
/// Covered: the POST's memory RAS configuration status and RAS mode select (device enabled/disabled), the SMI
/// handler's mirroring and sparing redundancy states (fully redundant, redundancy degraded) and memory ECC errors
/// (correctable, uncorrectable): the RAS mode, the configuration error, the mirroring or sparing domain, the rank on
/// the DIMM and the DIMM's socket, channel and slot; the SMI handler's legacy PCI PERR and SERR (the bus, device and
/// function) and memory parity errors (the error type and the DIMM, both bytes read together).
enum SELOEMIntelBoards {
    /// Sensors, by generator (``SELOEMIntelBIOS/biosPOST``, ``SELOEMIntelBIOS/biosSMI``), sensor type memory (0Ch),
    /// sensor number and event/reading type: device enabled (09h), redundancy (0Bh), sensor-specific (6Fh).
    typealias Source = SELOEMIntelBIOS.Source
    static let rasConfiguration = Source(
        generator: SELOEMIntelBIOS.biosPOST, sensorType: 0x0C, sensorNumber: 0x02, eventType: 0x09)
    static let rasModeSelect = Source(
        generator: SELOEMIntelBIOS.biosPOST, sensorType: 0x0C, sensorNumber: 0x12, eventType: 0x09)
    static let mirroring = Source(
        generator: SELOEMIntelBIOS.biosSMI, sensorType: 0x0C, sensorNumber: 0x01, eventType: 0x0B)
    static let sparing = Source(
        generator: SELOEMIntelBIOS.biosSMI, sensorType: 0x0C, sensorNumber: 0x11, eventType: 0x0B)
    static let eccError = Source(
        generator: SELOEMIntelBIOS.biosSMI, sensorType: 0x0C, sensorNumber: 0x02, eventType: 0x6F)
    /// The SMI handler's memory parity errors (memory, 0Ch) and legacy PCI errors (critical interrupt, 13h).
    static let parityError = Source(
        generator: SELOEMIntelBIOS.biosSMI, sensorType: 0x0C, sensorNumber: 0x13, eventType: 0x6F)
    static let legacyPCI = Source(
        generator: SELOEMIntelBIOS.biosSMI, sensorType: 0x13, sensorNumber: 0x03, eventType: 0x6F)

    /// The offsets each source's bytes are read for: device disabled and enabled (00h, 01h); fully redundant and
    /// redundancy degraded (00h, 02h); correctable and uncorrectable ECC (00h, 01h).
    static let offsets: [Source: Set<UInt8>] = [
        rasConfiguration: [0x00, 0x01], rasModeSelect: [0x00, 0x01], mirroring: [0x00, 0x02], sparing: [0x00, 0x02],
        eccError: [0x00, 0x01], legacyPCI: [0x04, 0x05],
    ]

    /// A RAS mode, bits 3:0; the S2600JF/WP's names are shorter.
    static func rasMode(_ byte: UInt8, s2600jf: Bool) -> String {
        let modes = [0: "None", 1: "Mirroring", 2: "Lockstep", 4: "Rank Sparing"]
        guard let mode = modes[Int(byte & 0x0F)] else { return "Unknown" }
        if s2600jf { return mode }
        return mode == "None" ? "None (Independent Channel Mode)" : mode + " Mode"
    }

    /// The DIMM in event data 3: the socket in bits 7:5 (CPU 1-4), the channel in bits 4:3, the slot in bits 2:0. The
    /// E5-2600 v3 boards letter channels across sockets (four per socket, without I, O, Q and S) and give no channel
    /// for an unknown socket; the S2600JF/WP's letters are A-D on every socket.
    /// An invalid channel or slot (of a memory parity error) reads "Indeterminate", the channel of a known socket only.
    static func dimm(_ byte: UInt8, s2600jf: Bool, channelValid: Bool = true, slotValid: Bool = true) -> String {
        let socket = Int(byte >> 5), channel = Int(byte >> 3 & 0x03)
        let slot = !slotValid ? "Indeterminate" : byte & 0x07 < 3 ? "\(byte & 0x07 + 1)" : "Unknown"
        let cpu = socket < 4 ? "\(socket + 1)" : "Unknown"
        if s2600jf { return "CPU = \(cpu), Channel = \(Array("ABCD")[channel]), DIMM = \(slot)" }
        let letters = ["ABCD", "EFGH", "JKLM", "NPRT"]
        let letter =
            socket >= letters.count
            ? "Unknown" : channelValid ? String(Array(letters[socket])[channel]) : "Indeterminate"
        return "Socket CPU \(cpu), Channel \(letter), DIMM \(slot)"
    }

    /// What follows the event for event data 2 and 3 on `device`, nil when FreeIPMI reads neither byte here.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        let s2600jf = SELOEMIntelBIOS.s2600jfDevices.contains(device)
        guard s2600jf || SELOEMIntelBIOS.e52600v3Devices.contains(device) else { return nil }
        let source = SELOEMIntelBIOS.source(entry)
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        let oem2 = entry.eventData2IsOEMCode, oem3 = entry.eventData3IsOEMCode
        if source == parityError {
            return oem2 && oem3 ? parity(entry, s2600jf: s2600jf) : nil
        }
        guard offsets[source]?.contains(entry.offset) == true else { return nil }
        let rank = (s2600jf ? "DIMM Rank Number = " : "Rank on DIMM = ") + "\(data2 & 0x03)"
        // Bits 7:4 of event data 2: the mirroring domain (the S2600JF/WP print any number) or the sparing domain (A-D).
        let domain = data2 >> 4
        let domainTexts = (
            mirroring: s2600jf || domain < 2 ? "\(domain)" : "Unknown",
            sparing: domain < 4 ? String(UnicodeScalar(0x41 + domain)) : "Unknown"
        )
        let (pair, plain) = (" Domain Channel Pair for Socket = ", " Domain = ")
        var texts: (data2: String?, data3: String?)
        switch source {
        case rasConfiguration:
            let error = [0: "None", 3: s2600jf ? "Invalid" : "Invalid DIMM Configuration for RAS Mode"][data2 & 0x0F]
            texts = (
                "Config Error = " + (error ?? "Unknown"),
                (s2600jf ? "RAS Mode = " : "RAS Mode Configured = ") + rasMode(data3, s2600jf: s2600jf)
            )
        case rasModeSelect:
            texts = (
                (s2600jf ? "Previous RAS Mode = " : "Prior RAS Mode = ") + rasMode(data2, s2600jf: s2600jf),
                "Selected RAS Mode = " + rasMode(data3, s2600jf: s2600jf)
            )
        case mirroring:
            texts = ("Mirroring" + (s2600jf ? pair : plain) + domainTexts.mirroring + ", " + rank, nil)
        case sparing:
            texts = ("Sparing" + (s2600jf ? pair : plain) + domainTexts.sparing + ", " + rank, nil)
        // The bus in event data 2; the device (bits 7:3) and function (2:0) in event data 3.
        case legacyPCI:
            let (pciDevice, function) = (data3 >> 3, data3 & 0x07)
            texts =
                s2600jf
                ? ("Bus \(data2)", "Device \(pciDevice), Function \(function)")
                : ("PCI Bus Number \(data2)", "PCI_Device number \(pciDevice), PCI Function number \(function)")
        default:
            texts = (rank, nil)
        }
        if source == mirroring || source == sparing || source == eccError {
            texts.data3 = dimm(data3, s2600jf: s2600jf)
        }
        guard oem2 || oem3 else { return nil }
        return SELOEMInterpretation.eventData(
            entry, data2: oem2 ? texts.data2 : nil, data3: oem3 ? texts.data3 : nil, eventNamed: false)
    }

    /// A memory parity error's event data 2 and 3, read together when both hold OEM codes: the error type in bits 2:0
    /// of event data 2, whether the channel (bit 4) and the DIMM (bit 3) in event data 3 are valid. FreeIPMI reads the
    /// E5-2600 v3 boards' DIMM validity from bit 4 too, and reads their parity errors at offsets 02h (parity) and 03h
    /// (memory scrub failed, which Intel's document names), the S2600JF/WP's at 02h only.
    static func parity(_ entry: SELEntry, s2600jf: Bool) -> String? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        guard entry.offset == 0x02 || (!s2600jf && entry.offset == 0x03) else { return nil }
        let channelValid = data2 & 0x10 != 0, dimmValid = data2 & (s2600jf ? 0x08 : 0x10) != 0
        if s2600jf {
            let type = [0: "Not Known", 2: "Address Parity Error"][data2 & 0x07] ?? "Unknown"
            let socket = data3 >> 5 < 4 ? "\(data3 >> 5 + 1)" : "Unknown"
            let slot = data3 & 0x07 < 3 ? "\(data3 & 0x07 + 1)" : "Unknown"
            return "Error Type = \(type), CPU = \(socket)"
                + (channelValid ? ", Channel = \(Array("ABCD")[Int(data3 >> 3 & 0x03)])" : "")
                + (dimmValid ? ", DIMM = \(slot)" : "")
        }
        let types = [0: "Parity Error Type not known", 1: "Data Parity Error", 3: "Command and Address Parity Error"]
        let location = dimm(data3, s2600jf: false, channelValid: channelValid, slotValid: dimmValid)
        return "Error Type = \(types[Int(data2 & 0x07)] ?? "Unknown"), " + location
    }
}
