import IPMI

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
/// of the log not at all, and ipmi_exporter then reports the collector failed); here the entry keeps its generic
/// text, the text ipmi-sel prints without `--interpret-oem-data`, and the iRMC is not asked again in the session.
///
/// Not here yet: the names FreeIPMI gives to the offsets of Fujitsu's OEM sensor types (C0h, DDh-EFh) in event
/// data 1.
enum SELOEMFujitsu {
    static let manufacturerID: UInt32 = 10368
    static let products: ClosedRange<UInt16> = 0x0200...0x05FF
    /// The iRMC S1 products (TX200 S3 … BX630 S2 SHA), which give at most 80 bytes of text, 32 per request.
    static let s1Products: Set<UInt16> = [
        0x0200, 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x0206, 0x0207, 0x0208, 0x0209, 0x0210, 0x0211, 0x0212, 0x0213,
    ]

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

    /// The Event column of `entry` with the iRMC's `answer`, nil when the generic text stands (an empty text of a
    /// system event).
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
