/// Decoding of the "ID String Type/Length Code" byte and the bytes after it (IPMI v2.0 §43.15).
///
/// Bits 7:6 give the encoding, bits 4:0 the number of bytes that follow.
public enum IDStringEncoding: UInt8, Sendable, Hashable {
    /// 00b: Unicode. No BMC in the field uses it; like ipmitool and FreeIPMI we show the bytes as Latin-1.
    case unicode = 0
    /// 01b: BCD plus (§43.15): two characters per byte from "0123456789 -.:,_".
    case bcdPlus = 1
    /// 10b: 6-bit packed ASCII (§43.15): four characters in three bytes, ASCII 20h + value.
    case sixBitASCII = 2
    /// 11b: 8-bit ASCII + Latin 1.
    case latin1 = 3
}

enum IDString {
    /// Decodes an ID string whose type/length byte is `typeLength` from the bytes after it.
    ///
    /// The length field counts characters (§43.15), so a 6-bit string of 4 characters occupies 3 bytes and a BCD
    /// plus string of 5 characters 3 bytes. A record that ends early yields the characters that are present:
    /// a damaged name is better than a lost sensor.
    static func decode(typeLength: UInt8, bytes: ArraySlice<UInt8>) -> String {
        let characters = Int(typeLength & 0x1F)
        let encoding = IDStringEncoding(rawValue: typeLength >> 6)!
        switch encoding {
        case .unicode, .latin1:
            return latin1(Array(bytes.prefix(characters)))
        case .bcdPlus:
            return String(bcdPlus(Array(bytes.prefix((characters + 1) / 2))).prefix(characters))
        case .sixBitASCII:
            return String(sixBit(Array(bytes.prefix((characters * 6 + 7) / 8))).prefix(characters))
        }
    }

    /// 8-bit characters up to the first NUL (some SDRs pad with zeros).
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte == 0 { break }
            scalars.append(Unicode.Scalar(byte))
        }
        return String(scalars)
    }

    /// BCD plus: each nibble maps into "0123456789 -.:,_" (§43.15). The low nibble comes first, as OpenIPMI (the one
    /// implementation we know that both writes and reads this encoding) packs it.
    static func bcdPlus(_ bytes: [UInt8]) -> String {
        let alphabet = Array("0123456789 -.:,_")
        var result = ""
        for byte in bytes {
            result.append(alphabet[Int(byte & 0x0F)])
            result.append(alphabet[Int(byte >> 4)])
        }
        return result
    }

    /// 6-bit packed ASCII: characters are packed least significant bits first; each 6-bit value v is ASCII 20h + v
    /// (§43.15). A trailing partial group that cannot hold a full character is dropped.
    static func sixBit(_ bytes: [UInt8]) -> String {
        let count = bytes.count * 8 / 6
        var result = String.UnicodeScalarView()
        for index in 0..<count {
            let bitOffset = index * 6
            let byteIndex = bitOffset / 8
            let shift = bitOffset % 8
            var value = UInt16(bytes[byteIndex]) >> UInt16(shift)
            if shift > 2, byteIndex + 1 < bytes.count {
                value |= UInt16(bytes[byteIndex + 1]) << UInt16(8 - shift)
            }
            result.append(Unicode.Scalar(UInt8(0x20 + (value & 0x3F))))
        }
        return String(result)
    }
}
