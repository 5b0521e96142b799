import IPMI

/// A simulated Fujitsu iRMC (manufacturer 10368, a product of 0200h-05FFh in the configuration's `device`): its SEL
/// entries carry OEM codes in event data 2 and 3 (event data 1 bits 7:4 = 1010b, IPMI v2.0 table 29-6), and it
/// answers Fujitsu's Get SEL Entry Long Text (``FujitsuGetSELEntryTextRequest``) with a text of its own for each,
/// so that FreeIPMI's `ipmi-sel --interpret-oem-data` reads them as it reads a real iRMC's.
extension SimulatedBMC {
    var isFujitsuIRMC: Bool {
        profile.manufacturerID == 10368 && (0x0200...0x05FF).contains(profile.productID)
    }

    /// The text of SEL record `position`: long enough that an iRMC S1 (32 bytes per request) gives it in pieces.
    /// Severity (byte 13 of the answer) by position: informational, minor, major, critical, then an unknown one;
    /// every third entry a CSS component.
    func fujitsuSELText(at position: Int) -> (text: [UInt8], severity: UInt8) {
        let event = profile.selEvents[position]
        let sensor = profile.sensors[event.sensorIndex]
        let text = "\(sensor.name): event \(event.offset) \(event.deassertion ? "deasserted" : "asserted") (iRMC text)"
        let severity = UInt8(position % 5) << 4 | (position % 3 == 0 ? 0x80 : 0x00)
        return (Array(text.utf8.prefix(100)), severity)
    }

    /// Get SEL Entry Long Text: `length` bytes of the text from `offset` (fewer at its end), then a NUL.
    func fujitsuSELEntryText(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard isFujitsuIRMC else { return (.invalidCommand, []) }
        guard let request = try? FujitsuGetSELEntryTextRequest(decoding: data) else {
            return (.requestDataLengthInvalid, [])
        }
        let count = selCount
        let index: Int
        switch request.recordID {
        case GetSELEntryRequest.firstRecord: index = 0
        case GetSELEntryRequest.lastRecord: index = count - 1
        default: index = Int(request.recordID) - 1
        }
        guard index >= 0, index < count else { return (.requestedDataNotPresent, []) }
        let (text, severity) = fujitsuSELText(at: index)
        let start = min(Int(request.offset), text.count)
        let end = min(start + Int(request.length), text.count)
        let record = selRecord(at: index)
        let answer = FujitsuGetSELEntryTextResponse(
            nextRecordID: index + 1 < count ? UInt16(index + 2) : GetSELEntryRequest.lastRecord,
            recordID: UInt16(index + 1), recordType: record[2],
            timestamp: UInt32(record[3]) | UInt32(record[4]) << 8 | UInt32(record[5]) << 16 | UInt32(record[6]) << 24,
            severity: severity, textLength: UInt8(text.count), text: Array(text[start..<end]) + [0])
        return (.normal, answer.encode())
    }
}
