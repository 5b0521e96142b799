/// Fujitsu iRMC's "Get SEL Entry Long Text": OEM network function 2Eh (IPMI v2.0 §5.1, OEM/group: the first three
/// data bytes are the IANA number, Fujitsu's 10368 = 002880h, least significant byte first), command F5h, command
/// specifier 43h. Not in the IPMI spec; the layout is the one of Fujitsu's iRMC S2 user guide as FreeIPMI 1.6 sends
/// it (libfreeipmi sel/ipmi-sel-string-fujitsu-irmc-common.c): the English text the iRMC makes of a SEL entry, read in
/// pieces by offset.
public struct FujitsuGetSELEntryTextRequest: IPMICommandRequest {
    public typealias Response = FujitsuGetSELEntryTextResponse
    public static let netFn = NetFn.oemGroup
    public static let command: UInt8 = 0xF5

    /// Fujitsu's IANA enterprise number, least significant byte first.
    public static let iana: [UInt8] = [0x80, 0x28, 0x00]
    /// Command specifier 43h: Get SEL Entry Long Text.
    public static let specifier: UInt8 = 0x43

    /// The SEL record whose text is asked for (0000h the first, FFFFh the last).
    public var recordID: UInt16
    /// Where in the text this piece starts.
    public var offset: UInt8
    /// How many bytes of text to return at most (iRMC S2: offset + length at most 100; S1: 80, 32 per request).
    public var length: UInt8

    public init(recordID: UInt16, offset: UInt8, length: UInt8) {
        self.recordID = recordID
        self.offset = offset
        self.length = length
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Fujitsu Get SEL Entry Text request")
        guard try reader.readBytes(3) == Self.iana else { throw .malformed("OEM request F5h is not Fujitsu's") }
        guard try reader.readByte() == Self.specifier else {
            throw .malformed("Fujitsu OEM request F5h is not Get SEL Entry Long Text (43h)")
        }
        recordID = try reader.readUInt16LE()
        offset = try reader.readByte()
        length = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        Self.iana + [Self.specifier, UInt8(recordID & 0xFF), UInt8(recordID >> 8), offset, length]
    }
}

/// The answer: the IANA number, the next and the actual record ID, the record type and timestamp, a severity byte
/// (bit 7: a CSS (customer self service) component; bits 6:4: 0 informational, 1 minor, 2 major, 3 critical, 4-7
/// unknown), the length of the whole text, then the piece of text asked for, NUL-terminated.
public struct FujitsuGetSELEntryTextResponse: IPMICommandResponse {
    public var nextRecordID: UInt16
    public var recordID: UInt16
    public var recordType: UInt8
    public var timestamp: UInt32
    public var severity: UInt8
    /// The length of the whole text, of which ``text`` is the piece asked for.
    public var textLength: UInt8
    /// The piece of text as sent, its terminating NUL included (and anything after it).
    public var text: [UInt8]

    public init(
        nextRecordID: UInt16, recordID: UInt16, recordType: UInt8, timestamp: UInt32, severity: UInt8,
        textLength: UInt8, text: [UInt8]
    ) {
        self.nextRecordID = nextRecordID
        self.recordID = recordID
        self.recordType = recordType
        self.timestamp = timestamp
        self.severity = severity
        self.textLength = textLength
        self.text = text
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Fujitsu Get SEL Entry Text response")
        guard try reader.readBytes(3) == FujitsuGetSELEntryTextRequest.iana else {
            throw .malformed("OEM response F5h is not Fujitsu's")
        }
        nextRecordID = try reader.readUInt16LE()
        recordID = try reader.readUInt16LE()
        recordType = try reader.readByte()
        timestamp = try reader.readUInt32LE()
        severity = try reader.readByte()
        textLength = try reader.readByte()
        // FreeIPMI reads at least one byte of text (a 17-byte answer with command and completion code).
        text = reader.readRest()
        guard !text.isEmpty else { throw .malformed("Fujitsu SEL entry text answer without text") }
    }

    public func encode() -> [UInt8] {
        var bytes = FujitsuGetSELEntryTextRequest.iana
        bytes += [UInt8(nextRecordID & 0xFF), UInt8(nextRecordID >> 8), UInt8(recordID & 0xFF), UInt8(recordID >> 8)]
        bytes.append(recordType)
        bytes += [
            UInt8(timestamp & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp >> 16 & 0xFF),
            UInt8(timestamp >> 24),
        ]
        return bytes + [severity, textLength] + text
    }

    /// The piece of text, up to its first NUL (FreeIPMI takes the answer's last byte as a NUL whatever it is).
    public var piece: [UInt8] {
        Array(text.dropLast().prefix { $0 != 0 })
    }

    /// Bit 7 of the severity byte: the entry concerns a customer self service component.
    public var cssComponent: Bool { severity & 0x80 != 0 }

    /// Bits 6:4 of the severity byte.
    public var severityLevel: UInt8 { severity >> 4 & 0x07 }
}
