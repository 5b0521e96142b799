import IPMI
import Testing

@testable import ExporterCollectors

/// FreeIPMI's reading of a Fujitsu iRMC's SEL (libfreeipmi sel/ipmi-sel-string-fujitsu-irmc-common.c), byte for
/// byte: which entries it asks the iRMC's text of, how it asks for it in pieces, and what it prints with it.
@Suite struct SELOEMFujitsuTests {
    static let irmcS2 = SELDeviceIdentity(manufacturerID: 10368, productID: 0x0260)
    static let irmcS1 = SELDeviceIdentity(manufacturerID: 10368, productID: 0x0200)

    static func event(_ tail: [UInt8], from generator: UInt8 = 0x20) -> SELEntry {
        SELEntry(record: [0x07, 0x00, 0x02, 0, 0, 0, 0, generator, 0x00, 0x04] + tail)!
    }

    static let oemRecord = SELEntry(record: [0x08, 0x00, 0xC1, 0, 0, 0, 0, 0x80, 0x28, 0x00, 1, 2, 3, 4, 5, 6])!

    @Test func onlyFujitsusIRMCProductsAreRead() {
        #expect(SELOEMFujitsu.isIRMC(Self.irmcS2) && SELOEMFujitsu.isIRMC(Self.irmcS1))
        #expect(SELOEMFujitsu.isIRMC(SELDeviceIdentity(manufacturerID: 10368, productID: 0x05FF)))
        #expect(!SELOEMFujitsu.isIRMC(SELDeviceIdentity(manufacturerID: 10368, productID: 0x0600)))
        #expect(!SELOEMFujitsu.isIRMC(SELDeviceIdentity(manufacturerID: 10368, productID: 0x01FF)))
        #expect(!SELOEMFujitsu.isIRMC(SELDeviceIdentity(manufacturerID: 10876, productID: 0x0260)))
        #expect(!SELOEMFujitsu.isIRMC(nil))
    }

    @Test func theTextIsAskedForOEMCodesInBothBytesAndForOEMRecords() {
        // Memory, correctable, OEM codes in event data 2 and 3: asked; in one of them only, or none: not.
        #expect(SELOEMFujitsu.asksText(Self.event([0x0C, 0x08, 0x6F, 0xA0, 0x2A, 0x01])))
        #expect(SELOEMFujitsu.asksText(Self.event([0x01, 0x30, 0x81, 0xA7, 0x2A, 0x01])))
        #expect(!SELOEMFujitsu.asksText(Self.event([0x0C, 0x08, 0x6F, 0x80, 0x2A, 0xFF])))
        #expect(!SELOEMFujitsu.asksText(Self.event([0x0C, 0x08, 0x6F, 0x20, 0xFF, 0x01])))
        #expect(!SELOEMFujitsu.asksText(Self.event([0x0C, 0x08, 0x6F, 0x00, 0xFF, 0xFF])))
        // The Linux kernel's OS critical stop (generator 21h) and panic record (F0h) are the kernel's.
        #expect(!SELOEMFujitsu.asksText(Self.event([0x20, 0x41, 0x6F, 0xA0, 0x42, 0x43], from: 0x21)))
        #expect(SELOEMFujitsu.asksText(Self.event([0x20, 0x41, 0x6F, 0xA0, 0x42, 0x43])))
        #expect(SELOEMFujitsu.asksText(Self.oemRecord))
        let panic = SELEntry(record: [0x09, 0x00, 0xF0, 0x20, 0x01] + Array("oops at xyz".utf8))!
        #expect(!SELOEMFujitsu.asksText(panic))
        #expect(SELOEMFujitsu.asksText(SELEntry(record: [0x0A, 0x00, 0xE0] + Array(1...13))!))
    }

    @Test func aSystemEventGetsTheTextAfterItsEvent() {
        let entry = Self.event([0x0C, 0x08, 0x6F, 0xA0, 0x2A, 0x01])
        let plain = FujitsuSELText.text("DIMM-1A: memory error", severity: 2, css: false)
        #expect(
            SELOEMFujitsu.text(entry, answer: plain, device: Self.irmcS2)
                == "Correctable memory error ; DIMM-1A: memory error")
        let css = FujitsuSELText.text("DIMM-1A: memory error", severity: 0, css: true)
        #expect(
            SELOEMFujitsu.text(entry, answer: css, device: Self.irmcS2)
                == "Correctable memory error ; DIMM-1A: memory error (CSS Component)")
        // An empty text: the generic one stands (the OEM codes).
        #expect(SELOEMFujitsu.text(entry, answer: .text("", severity: 0, css: true), device: Self.irmcS2) == nil)
        #expect(
            SELOEMFujitsu.text(entry, answer: .privilegeRequired, device: Self.irmcS2)
                == "Correctable memory error ; [Fujitsu OEM decoding requires administrator privilege]")
    }

    @Test func anOEMRecordIsItsSeverityAndText() {
        let names = ["INFORMATIONAL", "MINOR", "MAJOR", "CRITICAL", "Unknown Severity", "Unknown Severity"]
        for (level, name) in names.enumerated() {
            let answer = FujitsuSELText.text("Power supply lost", severity: UInt8(level), css: false)
            #expect(
                SELOEMFujitsu.text(Self.oemRecord, answer: answer, device: Self.irmcS2) == name + ": Power supply lost")
        }
        #expect(
            SELOEMFujitsu.text(Self.oemRecord, answer: .text("", severity: 3, css: true), device: Self.irmcS2)
                == "CRITICAL:  (CSS Component)")
        #expect(
            SELOEMFujitsu.text(Self.oemRecord, answer: .privilegeRequired, device: Self.irmcS2)
                == "[Fujitsu OEM decoding requires administrator privilege]")
    }

    @Test func fujitsusSensorTypesAreNamedWithTheTextOrWithout() {
        // Fan status (E6h), offset 01h, OEM codes in event data 2 and 3: FreeIPMI asks the iRMC.
        let entry = Self.event([0xE6, 0x30, 0x6F, 0xA1, 0x12, 0x34])
        let answer = FujitsuSELText.text("FAN2 SYS failed", severity: 2, css: false)
        #expect(entry.text(sensor: nil, device: Self.irmcS2, irmcText: answer) == "FAN failed ; FAN2 SYS failed")
        #expect(
            entry.text(sensor: nil, device: Self.irmcS2, irmcText: .privilegeRequired)
                == "FAN failed ; [Fujitsu OEM decoding requires administrator privilege]")
        // An empty text: the name, then the OEM codes as usual.
        #expect(
            entry.text(sensor: nil, device: Self.irmcS1, irmcText: .text("", severity: 0, css: false))
                == "FAN failed ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 34h")
        // No answer: ipmi-sel's text without --interpret-oem-data.
        #expect(
            entry.text(sensor: nil, device: Self.irmcS2, irmcText: nil)
                == "Event Offset = 01h ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 34h")
        // Without OEM codes nothing is asked; past the table's end, on a reserved type, on another product: the
        // generic name.
        let named = Self.event([0xEF, 0x30, 0xEF, 0x0F, 0xFF, 0xFF])
        #expect(named.text(sensor: nil, device: Self.irmcS2, irmcText: nil) == "NVRAM defaults loaded")
        #expect(
            Self.event([0xE9, 0x30, 0x6F, 0x01, 0xFF, 0xFF]).text(sensor: nil, device: Self.irmcS2)
                == "Event Offset = 01h")
        #expect(
            Self.event([0xEA, 0x30, 0x6F, 0x00, 0xFF, 0xFF]).text(sensor: nil, device: Self.irmcS2)
                == "Event Offset = 00h")
        let other = SELDeviceIdentity(manufacturerID: 10368, productID: 0x0600)
        #expect(named.text(sensor: nil, device: other) == "Event Offset = 0Fh")
    }

    static func answer(_ text: String, length: Int, severity: UInt8 = 0x30) -> FujitsuGetSELEntryTextResponse {
        FujitsuGetSELEntryTextResponse(
            nextRecordID: 0xFFFF, recordID: 7, recordType: 2, timestamp: 0, severity: severity,
            textLength: UInt8(length), text: Array(text.utf8) + [0])
    }

    @Test func anIRMCS2IsAskedFor100BytesAtOnce() {
        var reader = FujitsuSELTextReader(recordID: 7, productID: 0x0260)
        #expect(reader.request == FujitsuGetSELEntryTextRequest(recordID: 7, offset: 0, length: 100))
        reader.take(Self.answer("Fan 1 failed", length: 12, severity: 0xB0))
        #expect(reader.request == nil)
        #expect(reader.result == .text("Fan 1 failed", severity: 3, css: true))
    }

    @Test func anIRMCS1IsAskedFor32BytesAtATimeUpToTheLengthItGives() {
        let text = String(repeating: "0123456789", count: 5)  // 50 bytes
        var reader = FujitsuSELTextReader(recordID: 7, productID: 0x0200)
        #expect(reader.request == FujitsuGetSELEntryTextRequest(recordID: 7, offset: 0, length: 32))
        reader.take(Self.answer(String(text.prefix(32)), length: 50, severity: 0x10))
        // 32 + 32 is past the 50 bytes: the request shrinks to the 18 left.
        #expect(reader.request == FujitsuGetSELEntryTextRequest(recordID: 7, offset: 32, length: 18))
        reader.take(Self.answer(String(text.dropFirst(32)), length: 50, severity: 0x30))
        #expect(reader.request == nil)
        // The severity is the first answer's.
        #expect(reader.result == .text(text, severity: 1, css: false))
    }

    @Test func aPieceLongerThanTheTextIsTakenAndEndsTheReading() {
        var reader = FujitsuSELTextReader(recordID: 7, productID: 0x0260)
        reader.take(Self.answer("Hello world", length: 5))
        #expect(reader.request == nil)
        #expect(reader.result == .text("Hello world", severity: 3, css: false))
        // Never more than FreeIPMI's 100 bytes.
        var long = FujitsuSELTextReader(recordID: 7, productID: 0x0260)
        long.take(Self.answer(String(repeating: "x", count: 150), length: 20))
        #expect(long.result == .text(String(repeating: "x", count: 100), severity: 3, css: false))
    }

    @Test func anEmptyPieceEndsTheReadingWhereFreeIPMIWouldAskForever() {
        var reader = FujitsuSELTextReader(recordID: 7, productID: 0x0200)
        reader.take(Self.answer(String(repeating: "a", count: 32), length: 60))
        #expect(reader.request != nil)
        reader.take(Self.answer("", length: 60))
        #expect(reader.request == nil)
        #expect(reader.result == .text(String(repeating: "a", count: 32), severity: 3, css: false))
    }
}
