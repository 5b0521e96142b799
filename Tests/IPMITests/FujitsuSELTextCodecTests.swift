import IPMI
import Testing

/// Fujitsu's Get SEL Entry Long Text (OEM network function 2Eh, command F5h, specifier 43h), byte for byte as
/// FreeIPMI 1.6 lays it out (the iRMC S2 user guide's layout).
@Suite struct FujitsuSELTextCodecTests {
    @Test func theRequestIsIANASpecifierRecordOffsetLength() throws {
        #expect(FujitsuGetSELEntryTextRequest.netFn.rawValue == 0x2E && FujitsuGetSELEntryTextRequest.command == 0xF5)
        let request = FujitsuGetSELEntryTextRequest(recordID: 0x1234, offset: 0x20, length: 0x40)
        let bytes: [UInt8] = [0x80, 0x28, 0x00, 0x43, 0x34, 0x12, 0x20, 0x40]
        #expect(request.encode() == bytes)
        #expect(try FujitsuGetSELEntryTextRequest(decoding: bytes) == request)
    }

    @Test func anotherVendorsOrCommandsRequestIsRejected() {
        // Supermicro's IANA number; Fujitsu's with specifier 45h (the short text); cut short.
        for bytes: [UInt8] in [
            [0x7C, 0x2A, 0x00, 0x43, 0x01, 0x00, 0x00, 0x64], [0x80, 0x28, 0x00, 0x45, 0x01, 0x00, 0x00, 0x64],
            [0x80, 0x28, 0x00, 0x43, 0x01, 0x00, 0x00],
        ] {
            #expect(throws: IPMIError.self) { try FujitsuGetSELEntryTextRequest(decoding: bytes) }
        }
    }

    @Test func theResponseCarriesSeverityLengthAndAPieceOfText() throws {
        // IANA; next record 0003h; record 0002h; type 02h; timestamp 5F5E1000h; severity: CSS, major (A0h);
        // whole text 12 bytes; piece "Fan 1 failed" and its NUL.
        let bytes: [UInt8] =
            [0x80, 0x28, 0x00, 0x03, 0x00, 0x02, 0x00, 0x02, 0x00, 0x10, 0x5E, 0x5F, 0xA0, 0x0C]
            + Array("Fan 1 failed".utf8) + [0x00]
        let answer = try FujitsuGetSELEntryTextResponse(decoding: bytes)
        #expect(answer.nextRecordID == 3 && answer.recordID == 2 && answer.recordType == 0x02)
        #expect(answer.timestamp == 0x5F5E_1000)
        #expect(answer.cssComponent && answer.severityLevel == 2 && answer.textLength == 12)
        #expect(answer.piece == Array("Fan 1 failed".utf8))
        #expect(answer.encode() == bytes)
    }

    @Test func thePieceEndsAtItsFirstNULAndTheLastByteIsNeverText() throws {
        let head: [UInt8] = [0x80, 0x28, 0x00, 0xFF, 0xFF, 0x01, 0x00, 0xC1, 0, 0, 0, 0, 0x00, 0x05]
        // No NUL: FreeIPMI overwrites the answer's last byte with one.
        #expect(try FujitsuGetSELEntryTextResponse(decoding: head + Array("ABCDE".utf8)).piece == Array("ABCD".utf8))
        #expect(try FujitsuGetSELEntryTextResponse(decoding: head + [0x41, 0x00, 0x42, 0x00]).piece == [0x41])
        // Without a byte of text the answer is short (FreeIPMI wants 15 data bytes at least).
        #expect(throws: IPMIError.self) { try FujitsuGetSELEntryTextResponse(decoding: head) }
        #expect(throws: IPMIError.self) { try FujitsuGetSELEntryTextResponse(decoding: [0x80, 0x28]) }
    }
}
