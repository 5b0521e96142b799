import IPMISensors

/// FreeIPMI's texts of Intel Node Manager events (OEM sensor type DCh, logged by the Management Engine): facts from
/// libfreeipmi 1.6 (sel/ipmi-sel-string-intel-node-manager.c, which the files of the boards in
/// ``SELOEMIntel/nodeManagerTextDevices`` call before their own interpretation).
///
/// FreeIPMI names these events only when the SDR repository holds Intel's Node Manager discovery record
/// (``IntelNodeManagerRecord``): it gives the sensor numbers of the health, exception, operational capabilities and
/// alert threshold events; the Management Engine firmware health (17h) and CUPS (C1h) sensors have fixed numbers but
/// are named only with the record too. FreeIPMI compares the sensor number alone, not the generator. Without the
/// record the entries keep their generic texts. The SMaRT/CLST sensor's event data 3 (E5-2600 v3 boards) needs no
/// record.
enum SELOEMIntelNodeManager {
    static let sensorType: UInt8 = 0xDC
    /// The event/reading types: exception, alert threshold and CUPS events share 72h.
    static let policyEventType: UInt8 = 0x72, healthEventType: UInt8 = 0x73
    static let capabilitiesEventType: UInt8 = 0x74, firmwareHealthEventType: UInt8 = 0x75
    /// Fixed sensor numbers: Management Engine firmware health, CUPS (Compute Usage Per Second), SMaRT/CLST.
    static let firmwareHealthSensor: UInt8 = 0x17, cupsSensor: UInt8 = 0xC1, smartCLSTSensor: UInt8 = 0xB2

    /// Which Node Manager event an entry is, by the order FreeIPMI tries them for event data 1.
    enum Source: Equatable {
        case exception, health, capabilities, alertThreshold, firmwareHealth, cups
    }

    /// The Node Manager event `entry` is for the Event column's event (event data 1), nil when none.
    static func source(_ entry: SELEntry, record: IntelNodeManagerRecord) -> Source? {
        guard entry.sensorType == sensorType else { return nil }
        let number = entry.sensorKey.sensorNumber
        // Event data 1 bit 3 of the policy events: a policy correction time exceeded (1), a threshold exceeded (0).
        let policy = entry.offset & 0x08 != 0
        switch entry.eventReadingType {
        case policyEventType where number == record.exceptionSensor && policy: return .exception
        case healthEventType where number == record.healthSensor && entry.offset == 0x02: return .health
        case capabilitiesEventType where number == record.capabilitiesSensor: return .capabilities
        case policyEventType where number == record.alertThresholdSensor: return .alertThreshold
        case firmwareHealthEventType where number == firmwareHealthSensor && entry.offset == 0x00:
            return .firmwareHealth
        case policyEventType where number == cupsSensor: return .cups
        default: return nil
        }
    }

    /// The event (event data 1), nil when it keeps its generic name.
    static func event(_ entry: SELEntry, record: IntelNodeManagerRecord) -> String? {
        let offset = entry.offset
        switch source(entry, record: record) {
        case .exception: return "Policy Correction Time Exceeded"
        case .health: return "Sensor Node Manager"
        case .capabilities:
            // Bits 0-2: policy interface, monitoring and power limiting capability available.
            func available(_ bit: UInt8) -> String { offset & bit != 0 ? "Available" : "Not Available" }
            return "Policy Interface = \(available(1)), Monitoring = \(available(2)), Power Limiting = \(available(4))"
        case .alertThreshold:
            return offset & 0x08 != 0
                ? "Policy Correction Time Exceeded" : "Threshold Exceeded, Threshold Number = \(offset & 0x03)"
        case .firmwareHealth: return "Firmware Status"
        // CUPS: only a threshold exceeded (bit 3 clear) is named.
        case .cups: return offset & 0x08 == 0 ? "Threshold Exceeded, Threshold Number = \(offset & 0x03)" : nil
        case nil: return nil
        }
    }

    /// The power domain in event data 2 bits 3:0.
    static func domain(_ data2: UInt8) -> String {
        let id = data2 & 0x0F
        let names: [UInt8: String] = [
            0: "Entire platform", 1: "CPU subsystem", 2: "Memory subsystem", 4: "High Power I/O subsystem",
        ]
        return names[id].map { "\($0) (\(id))" } ?? "\(id)"
    }

    /// Health event error types, event data 2 bits 7:4.
    static let healthErrors: [UInt8: String] = [
        0x8: "Outlet Temperature Reading Failure", 0x9: "Volumetric Airflow Reading Failure",
        0xA: "Policy Misconfiguration", 0xB: "Power Sensor Reading Failure",
        0xC: "Inlet Temperature Reading Failure", 0xD: "Host Communication error",
        0xE: "Real-time clock synchronization failure", 0xF: "Platform shutdown initiated by Intel NM policy",
    ]

    /// Management Engine firmware health events, event data 2.
    static let firmwareEvents: [UInt8: String] = [
        0x00: "Recovery GPIO forced", 0x01: "Image execution failed", 0x02: "Flash erase error",
        0x03: "Flash state information", 0x04: "Internal error", 0x05: "BMC did not respond to cold reset",
        0x06: "Direct flash update requested by the BIOS", 0x07: "Manufacturing error",
        0x08: "Persistent storage integrity error", 0x09: "Firmware Exception",
        0x0A: "Flash Wear-Out Protection Warning", 0x0D: "PECI over DMI interface error",
        0x0E: "MCTP interface error", 0x0F: "Auto-configuration finished",
    ]

    /// Event data 3 of a firmware health event, by event data 2 and event data 3.
    static let firmwareDetails: [UInt8: [UInt8: String]] = [
        // Flash state information.
        0x03: [
            0x00: "flash partition table, recovery image or factory presets image corrupted",
            0x01: "flash erase limit has been reached",
            0x02: "flash write limit has been reached ; writing to flash has been disabled",
            0x03: "writing to the flash has been enabled",
        ],
        // Internal error.
        0x04: [
            0x00: "FW Watchdog Timeout", 0x1D: "Loader manifest validation failure",
            0x37: "Unknown power management event",
            0x45: "Non graceful PMC reset event detected i.e. after Dynamic Fusing",
            0x8E: "Flash wearout protection (EFFS wearout violation)",
        ],
        // Manufacturing error.
        0x07: [
            0x00: "Generic error", 0x01: "Wrong or missing VSCC table", 0x02: "Wrong sensor scanning period in PIA",
            0x03: "Wrong device definition in PIA", 0x04: "Wrong SMART/CLST configuration",
            0x05: "Intel ME FW configuration is inconsistent or out of range",
            0x0A: "percentage of flash write operations which have been conducted",
        ],
        // PECI over DMI interface error.
        0x0D: [
            0x01: "DRAM Init Done event not received", 0x02: "MCTP SAD Register not correctly configured by BIOS",
            0x03: "DMI timeout of PECI request",
        ],
    ]

    /// Event data 3 of an "auto-configuration finished" firmware health event: bit 7 clear for success, with the
    /// sources in bits 6:5 (DC power), 4:3 (chassis power input), 2:1 (PSU efficiency) and 0 (unmanaged power); set
    /// for failure, with the cause in bits 6:5.
    static func autoConfiguration(_ data3: UInt8) -> String {
        if data3 & 0x80 != 0 {
            let causes = [
                "BMC discovery failure", "Insufficient factory configuration", "Unknown sensor type",
                "Other error encountered",
            ]
            return "Auto Configuration Failure - " + causes[Int(data3 >> 5 & 0x03)]
        }
        let dc = ["BMC", "PSU", "On-board power sensor", "Unknown"][Int(data3 >> 5 & 0x03)]
        let chassis = ["BMC", "PSU", "On-board power sensor / PSU efficiency", "not supported"][Int(data3 >> 3 & 0x03)]
        let efficiency = ["BMC", "PSU", "Unknown", "not supported"][Int(data3 >> 1 & 0x03)]
        let unmanaged = data3 & 0x01 == 0 ? "BMC" : "estimated"
        return "Auto Configuration Success - DC Power Source = \(dc), Chassis Power input source = \(chassis), "
            + "PSU efficiency source = \(efficiency), Unmanaged power source = \(unmanaged)"
    }

    /// Event data 2's text, nil when it is the generic one. FreeIPMI reads the byte whatever event data 1 says it
    /// holds.
    static func data2(_ entry: SELEntry, record: IntelNodeManagerRecord) -> String? {
        let data2 = entry.eventData[1]
        switch source(entry, record: record) {
        case .exception, .alertThreshold: return "Domain ID = " + domain(data2)
        case .health:
            let error = healthErrors[data2 >> 4] ?? "Unknown"
            return "Domain ID = \(domain(data2)), Error Type = \(error)"
        case .firmwareHealth: return "Health Event = " + (firmwareEvents[data2] ?? "Unknown")
        // The domain of any CUPS event, a policy one too.
        case .cups: return "Domain ID = " + domain(data2)
        case .capabilities, nil: return nil
        }
    }

    /// Event data 3's text, nil when it is the generic one.
    static func data3(_ entry: SELEntry, record: IntelNodeManagerRecord) -> String? {
        let (data2, data3) = (entry.eventData[1], entry.eventData[2])
        switch source(entry, record: record) {
        case .exception, .alertThreshold, .cups: return "Policy ID = \(data3)"
        // Only when event data 1 says event data 2 holds an OEM code (bits 7:6 10b), by the error type.
        case .health where entry.eventData2IsOEMCode:
            switch data2 >> 4 {
            case 0xA, 0xF: return "Policy ID = \(data3)"
            case 0xB: return "Power Sensor Address = " + SELEntry.hexByte(data3)
            case 0xC: return "Inlet Sensor Address = " + SELEntry.hexByte(data3)
            default: return nil
            }
        case .firmwareHealth:
            if data2 == 0x0F { return autoConfiguration(data3) }
            return firmwareDetails[data2]?[data3] ?? "Extended error info = " + SELEntry.hexByte(data3)
        case .health, .capabilities, nil: return nil
        }
    }

    /// The Event column with the Node Manager's texts, nil when the entry keeps the text it has without the record.
    static func text(_ entry: SELEntry, device: SELDeviceIdentity, record: IntelNodeManagerRecord) -> String? {
        guard entry.oemData == nil, SELOEMIntel.nodeManagerTextDevices.contains(device),
            (0x70...0x7F).contains(entry.eventReadingType)
        else { return nil }
        let texts = (event(entry, record: record), data2(entry, record: record), data3(entry, record: record))
        guard texts.0 != nil || texts.1 != nil || texts.2 != nil else { return nil }
        let event = texts.0 ?? SELOEMInterpretation.event(entry, device: device) ?? entry.text
        // The bytes without a Node Manager text keep their generic text (for an OEM event type, the OEM code).
        let data = SELOEMInterpretation.eventData(entry, data2: texts.1, data3: texts.2, eventNamed: true) ?? ""
        return data.isEmpty ? event : event + " ; " + data
    }

    /// Event data 2 and 3 of the SMaRT/CLST sensor's state events (generic type 03h) on the E5-2600 v3 boards, when
    /// event data 1 says event data 3 holds an OEM code: the power supply whose status asserted the event (00h: a
    /// source outside the platform). Nil for other entries.
    static func eventData(_ entry: SELEntry, device: SELDeviceIdentity) -> String? {
        guard SELOEMIntelBIOS.e52600v3Devices.contains(device), entry.sensorType == sensorType,
            entry.eventReadingType == 0x03, entry.sensorKey.sensorNumber == smartCLSTSensor,
            entry.eventData3IsOEMCode
        else { return nil }
        let data3 = entry.eventData[2]
        let text = data3 == 0 ? "Source of assertion is external" : "Power Supply Status Number = \(data3)"
        return SELOEMInterpretation.eventData(entry, data2: nil, data3: text, eventNamed: false)
    }
}

extension SELEntry {
    /// The Event column as ``text(sensor:device:)`` gives it, with Intel's Node Manager texts when the BMC's SDR
    /// repository holds its discovery record (`nodeManager`).
    func text(sensor: SensorDefinition?, device: SELDeviceIdentity?, nodeManager: IntelNodeManagerRecord?) -> String {
        if let device, let nodeManager,
            let text = SELOEMIntelNodeManager.text(self, device: device, record: nodeManager)
        {
            return text
        }
        return text(sensor: sensor, device: device)
    }
}
