import IPMI
import IPMISensors

/// FreeIPMI's interpretation of the SEL of Fujitsu iRMC S1/S2/S3 BMCs (manufacturer 10368, products 0200h-05FFh):
/// facts from libfreeipmi 1.6 (sel/ipmi-sel-string-fujitsu-irmc-common.c). FreeIPMI does not decode these entries
/// itself; it asks the iRMC for its own text of the entry (Fujitsu's Get SEL Entry Long Text,
/// ``FujitsuGetSELEntryTextRequest``):
/// - a system event record whose event data 2 and 3 both hold OEM codes (event data 1 bits 7:4 = 1010b, table 29-6):
///   the text, with " (CSS Component)" after it for such a component, stands for event data 2 and 3;
/// - an OEM record (record types C0h-FFh, but the Linux kernel's panic record F0h): the Event column is the severity
///   ("INFORMATIONAL", "MINOR", "MAJOR", "CRITICAL", "Unknown Severity"), ": " and the text, the CSS mark after it.
///
/// An iRMC that answers "insufficient privilege" (D4h) gives "[Fujitsu OEM decoding requires administrator
/// privilege]" in place of the text. Any other refusal makes ipmi-sel stop at that entry (it prints it and the rest
/// of the log not at all, and ipmi_exporter then reports the collector failed: libfreeipmi fails the entry, so there
/// is no text of FreeIPMI's to match); here the entry keeps its generic text, the text ipmi-sel prints without
/// `--interpret-oem-data` (also while the answer is lost: ``SELEntry/text(sensor:device:irmcText:)``), and the iRMC
/// is not asked again in the session.
///
/// Fujitsu's OEM sensor types (C0h, DDh-EFh; sensor-specific, event/reading type 6Fh) get FreeIPMI's names for
/// their offsets in event data 1 (spec/ipmi-sensor-and-event-code-tables-oem-fujitsu-spec.c), before the iRMC's
/// text or without one. FreeIPMI's State column has no Fujitsu entries: the generic state stands.
enum SELOEMFujitsu {
    static let manufacturerID: UInt32 = 10368
    static let products: ClosedRange<UInt16> = 0x0200...0x05FF
    /// The iRMC S1 products (TX200 S3 … BX630 S2 SHA), which give at most 80 bytes of text, 32 per request.
    static let s1Products: Set<UInt16> = [
        0x0200, 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x0206, 0x0207, 0x0208, 0x0209, 0x0210, 0x0211, 0x0212, 0x0213,
    ]

    /// Fujitsu's OEM sensor types and the names of their offsets; FreeIPMI leaves EAh (communication) and EEh
    /// (event) without names, as reserved, and names an offset past a table's end "Event Offset = nnh".
    static let oemSensorTypes: [UInt8: [String]] = [
        // I2C bus.
        0xC0: ["I2C Bus Error", "I2C Bus OK", "I2C Bus Disabled", "I2C Bus Failed"],
        // System power consumption.
        0xDD: [
            "System Power Consumption within Limit", "System Power Consumption above Warning Level",
            "System Power Consumption above Critical Level", "System Power Consumption limiting disabled",
        ],
        // Memory status and memory configuration.
        0xDE: ["Empty slot", "OK", "Reserved", "Error", "Fail", "Prefailure", "Reserved", "Unknown"],
        0xDF: [
            "Normal", "Disabled", "Spare module", "Mirrored module", "RAID module", "Not Usable",
            "Unspecified state(6)", "Unspecified state(7)",
        ],
        // Memory events.
        0xE1: [
            "Non Fujitsu memory module detected", "Memory module replaced", "Fatal general memory error",
            "Recoverable general memory error", "Recoverable ECC memory error", "Recoverable CRC memory error",
            "Fatal CRC memory error", "Recoverable thermal memory event", "Fatal thermal memory error",
            "Too many correctable memory errors", "Uncorrectable Parity memory error", "Memory Modules swapped",
            "Memory Module moved", "Memory removed", "Memory Re-inserted", "Memory module(s) changed",
        ],
        // Hardware and system errors.
        0xE3: ["TPM Error", "Reserved", "No usable CPU"],
        0xE4: [
            "System configuration Data error", "Resource Conflict", "IRQ not configured",
            "Device node allocation error", "Expansion ROM Slot not initialized",
        ],
        // Fan status.
        0xE6: [
            "FAN on, running", "FAN failed", "FAN prefailure", "Redundant FAN failed", "FAN not manageable",
            "FAN not installed", "FAN unspecified state(6)", "FAN in init phase",
        ],
        // Power supply status and redundancy.
        0xE8: [
            "Power supply - Not present", "Power supply - OK", "Power supply - Failed",
            "Redundant power supply - AC failed", "Redundant power supply - DC failed",
            "Power supply - Critical Temperature", "Power supply - Not manageable",
            "Power supply - Fan failure predicted", "Power supply - Fan failed", "Power supply - Power Save Mode",
        ],
        0xE9: ["Power Supply - redundancy present"],
        // Firmware flash.
        0xEC: [
            "Online firmware flash", "Online firmware flash: reboot", "BIOS TFTP Flash: OK", "BIOS TFTP Flash: failed",
            "iRMC TFTP Flash: OK", "iRMC TFTP Flash: failed",
        ],
        // Configuration backup (the chassis ID PROM); offsets 08h-0Eh are reserved.
        0xEF: [
            "Chassis IDPROM: Motherboard Exchange detected", "Chassis IDPROM: Read or Write error",
            "Chassis IDPROM: Restore successful", "Chassis IDPROM: Restore failed", "Chassis IDPROM: Backup successful",
            "Chassis IDPROM: Backup failed", "Chassis IDPROM: Feature disabled",
            "Chassis IDPROM: Function Not Available",
        ] + Array(repeating: "Reserved", count: 7) + ["NVRAM defaults loaded"],
    ]

    /// The event (event data 1) of an entry of an iRMC, nil when it is the generic one.
    static func event(_ entry: SELEntry) -> String? {
        guard entry.eventReadingType == 0x6F else { return nil }
        return oemSensorTypes[entry.sensorType]?.element(at: entry.offset)
    }

    /// What replaces the text when the iRMC answers D4h.
    static let privilegeText = "[Fujitsu OEM decoding requires administrator privilege]"

    /// Whether FreeIPMI reads `device`'s SEL with the iRMC's texts.
    static func isIRMC(_ device: SELDeviceIdentity?) -> Bool {
        guard let device else { return false }
        return device.manufacturerID == manufacturerID && products.contains(device.productID)
    }

    /// Whether FreeIPMI asks the iRMC for `entry`'s text.
    static func asksText(_ entry: SELEntry) -> Bool {
        guard entry.oemData == nil else {
            // The Linux kernel's panic record is read before any manufacturer's interpretation.
            return SELOEMInterpretation.oemRecordText(entry) == nil
        }
        guard entry.eventData[0] >> 4 == 0b1010 else { return false }
        // The Linux kernel's OS critical stop with OEM codes is its own.
        return
            !(entry.eventReadingType == 0x6F && entry.sensorKey.ownerID == SELOEMInterpretation.linuxKernelGenerator
            && entry.sensorType == 0x20)
    }

    /// The Event column of `entry` with the iRMC's `answer`, nil when the text without it stands (an empty text of
    /// a system event: ``SELEntry/text(sensor:device:)``, the iRMC's names of event data 1 included).
    static func text(_ entry: SELEntry, answer: FujitsuSELText, device: SELDeviceIdentity?) -> String? {
        let described: String
        switch answer {
        case .privilegeRequired:
            described = privilegeText
        case .text(let text, let severity, let css):
            let mark = css ? " (CSS Component)" : ""
            if entry.oemData != nil { return severityName(severity) + ": " + text + mark }
            if text.isEmpty { return nil }
            described = text + mark
        }
        if entry.oemData != nil { return described }
        let event = SELOEMInterpretation.event(entry, device: device) ?? entry.text
        return event + " ; " + described
    }

    /// Bits 6:4 of the severity byte as FreeIPMI names them.
    static func severityName(_ level: UInt8) -> String {
        switch level {
        case 0: "INFORMATIONAL"
        case 1: "MINOR"
        case 2: "MAJOR"
        case 3: "CRITICAL"
        default: "Unknown Severity"
        }
    }
}

extension SELEntry {
    /// The Event column for a BMC that is `device`, with the iRMC's text of the entry when the iRMC answered
    /// (`irmcText`), as ipmi-sel prints it; without an answer, an entry FreeIPMI asks the iRMC about reads as
    /// ipmi-sel without `--interpret-oem-data` prints it (``SELOEMFujitsu``).
    func text(sensor: SensorDefinition?, device: SELDeviceIdentity?, irmcText: FujitsuSELText?) -> String {
        guard SELOEMFujitsu.isIRMC(device), SELOEMFujitsu.asksText(self) else {
            return text(sensor: sensor, device: device)
        }
        guard let irmcText else { return text(sensor: sensor) }
        return SELOEMFujitsu.text(self, answer: irmcText, device: device) ?? text(sensor: sensor, device: device)
    }
}

/// What the iRMC answered for one entry.
enum FujitsuSELText: Equatable, Sendable {
    /// The whole text, the severity (bits 6:4 of the severity byte) and the CSS component mark (bit 7).
    case text(String, severity: UInt8, css: Bool)
    /// Completion code D4h: the session's privilege is below what the iRMC wants (administrator).
    case privilegeRequired
}

/// Reads one entry's text in pieces as FreeIPMI does, so that a BMC sees the same requests from both: at most 100
/// bytes (80 on an iRMC S1), asked for 100 (32) at a time from the offset reached, the request shortened to what
/// the iRMC says the whole text is long. Pure: ``request`` gives the next request, ``take(_:)`` the answer to it.
struct FujitsuSELTextReader: Sendable {
    /// FreeIPMI's buffer for the text: 100 bytes.
    static let maximumText = 100

    let recordID: UInt16
    private var length: Int
    private var textLength: Int
    private var offset = 0
    private var text: [UInt8] = []
    private var severity: UInt8 = 0
    private var answered = false
    /// Set when a piece added nothing: FreeIPMI would ask for the same piece forever; here the text ends there.
    private var stalled = false

    init(recordID: UInt16, productID: UInt16) {
        self.recordID = recordID
        let s1 = SELOEMFujitsu.s1Products.contains(productID)
        length = s1 ? 32 : 100
        textLength = s1 ? 80 : 100
    }

    /// The next request, nil when the text is complete.
    var request: FujitsuGetSELEntryTextRequest? {
        guard offset < textLength, !stalled else { return nil }
        return FujitsuGetSELEntryTextRequest(
            recordID: recordID, offset: UInt8(clamping: offset),
            length: UInt8(clamping: min(length, textLength - offset)))
    }

    mutating func take(_ answer: FujitsuGetSELEntryTextResponse) {
        if let request { length = Int(request.length) }
        if !answered { severity = answer.severity }
        answered = true
        textLength = Int(answer.textLength)
        let piece = answer.piece
        if offset + piece.count > textLength {
            // More than the iRMC said the text is: FreeIPMI takes the piece as far as its buffer goes, and stops.
            text += piece.prefix(max(0, Self.maximumText - offset))
            offset = textLength
        } else {
            text += piece
            offset += piece.count
            stalled = piece.isEmpty
        }
        if text.count > Self.maximumText { text.removeLast(text.count - Self.maximumText) }
        // Offsets are one byte in the request.
        if offset > Int(UInt8.max) { stalled = true }
    }

    /// The text read, once ``request`` is nil.
    var result: FujitsuSELText {
        .text(String(decoding: text, as: UTF8.self), severity: severity >> 4 & 0x07, css: severity & 0x80 != 0)
    }
}
