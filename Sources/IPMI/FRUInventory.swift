/// The inventory of one FRU device, decoded from its bytes as the Platform Management FRU Information Storage
/// Definition v1.0 lays them out: a common header (§8) pointing at a chassis info area (§10), a board info area
/// (§11) and a product info area (§12), each made of type/length-prefixed fields (§13).
///
/// Pure: the bytes come from Read FRU Data (IPMI v2.0 §34.2), or a test. Bad bytes never trap: a bad common header
/// throws, and an area that is corrupt (wrong version, checksum, or a field running past its end) is left out and
/// listed in ``skippedAreas`` so the caller can log it; the other areas are still decoded.
///
/// Texts are what `ipmitool fru print` and FreeIPMI's `ipmi-fru` print for the same bytes: padding spaces of 6-bit
/// ASCII and BCD plus fields are kept, an 8-bit text ends at its first NUL (both tools print C strings).
public struct FRUInventory: Hashable, Sendable {
    /// Chassis info area (§10).
    public struct Chassis: Hashable, Sendable {
        /// The SMBIOS system enclosure type (§10, SMBIOS "System Enclosure or Chassis Types").
        public var type: UInt8
        public var partNumber: String
        public var serialNumber: String

        public init(type: UInt8, partNumber: String, serialNumber: String) {
            self.type = type
            self.partNumber = partNumber
            self.serialNumber = serialNumber
        }

        /// The type's name as `ipmi-fru` prints it.
        public var typeName: String { FRUInventory.chassisTypeName(type) }
    }

    /// Board info area (§11).
    public struct Board: Hashable, Sendable {
        /// Minutes since 1996-01-01 00:00 UTC; 0 means unspecified (§11, byte 3).
        public var manufacturingMinutes: UInt32
        public var manufacturer: String
        public var productName: String
        public var serialNumber: String
        public var partNumber: String

        public init(
            manufacturingMinutes: UInt32, manufacturer: String, productName: String, serialNumber: String,
            partNumber: String
        ) {
            self.manufacturingMinutes = manufacturingMinutes
            self.manufacturer = manufacturer
            self.productName = productName
            self.serialNumber = serialNumber
            self.partNumber = partNumber
        }

        /// 1996-01-01 00:00:00 UTC in seconds since the Unix epoch: where the board's date counts from.
        public static let dateOrigin: Int64 = 820_454_400

        /// The manufacturing date in seconds since the Unix epoch; nil when unspecified.
        public var manufacturingDate: Int64? {
            manufacturingMinutes == 0 ? nil : Self.dateOrigin + Int64(manufacturingMinutes) * 60
        }
    }

    /// Product info area (§12).
    public struct Product: Hashable, Sendable {
        public var manufacturer: String
        public var name: String
        public var partNumber: String
        public var version: String
        public var serialNumber: String
        public var assetTag: String

        public init(
            manufacturer: String, name: String, partNumber: String, version: String, serialNumber: String,
            assetTag: String
        ) {
            self.manufacturer = manufacturer
            self.name = name
            self.partNumber = partNumber
            self.version = version
            self.serialNumber = serialNumber
            self.assetTag = assetTag
        }
    }

    /// Which area, for ``skippedAreas``.
    public enum Area: String, Hashable, Sendable {
        case chassis
        case board
        case product
    }

    public var chassis: Chassis?
    public var board: Board?
    public var product: Product?
    /// An area the header points at that could not be decoded, and why.
    public struct SkippedArea: Hashable, Sendable {
        public var area: Area
        public var reason: String

        public init(area: Area, reason: String) {
            self.area = area
            self.reason = reason
        }
    }

    public var skippedAreas: [SkippedArea] = []

    public init(chassis: Chassis? = nil, board: Board? = nil, product: Product? = nil) {
        self.chassis = chassis
        self.board = board
        self.product = product
    }

    /// The size of the common header (§8).
    public static let headerSize = 8

    /// Decodes a FRU device's bytes from offset 0. Bytes the header does not point at are not looked at, so a
    /// reader may leave them zero. Throws when the common header is short, of another format version or fails its
    /// checksum: nothing it points at can be trusted then.
    public init(decoding bytes: [UInt8]) throws(FRUDecodingError) {
        let offsets = try Self.areaOffsets(header: bytes)
        chassis = decodeArea(.chassis, bytes, at: offsets.chassis, Self.chassis(body:))
        board = decodeArea(.board, bytes, at: offsets.board, Self.board(body:))
        product = decodeArea(.product, bytes, at: offsets.product, Self.product(body:))
    }

    /// Byte 2: chassis type; then part number and serial number (§10).
    static func chassis(body: ArraySlice<UInt8>) throws(FRUDecodingError) -> Chassis {
        guard let type = body.first else { throw FRUDecodingError("no chassis type") }
        let fields = try fields(body.dropFirst(), count: 2)
        return Chassis(type: type, partNumber: fields[0], serialNumber: fields[1])
    }

    /// Byte 2: language; bytes 3-5: manufacturing date/time, little-endian; then manufacturer, product name,
    /// serial number, part number (§11).
    static func board(body: ArraySlice<UInt8>) throws(FRUDecodingError) -> Board {
        guard body.count >= 4 else { throw FRUDecodingError("no manufacturing date") }
        let start = body.startIndex
        let minutes = UInt32(body[start + 1]) | UInt32(body[start + 2]) << 8 | UInt32(body[start + 3]) << 16
        let fields = try fields(body.dropFirst(4), count: 4)
        return Board(
            manufacturingMinutes: minutes, manufacturer: fields[0], productName: fields[1], serialNumber: fields[2],
            partNumber: fields[3])
    }

    /// Byte 2: language; then manufacturer, name, part/model number, version, serial number, asset tag (§12).
    static func product(body: ArraySlice<UInt8>) throws(FRUDecodingError) -> Product {
        guard !body.isEmpty else { throw FRUDecodingError("no language code") }
        let fields = try fields(body.dropFirst(), count: 6)
        return Product(
            manufacturer: fields[0], name: fields[1], partNumber: fields[2], version: fields[3],
            serialNumber: fields[4], assetTag: fields[5])
    }

    /// The byte offsets of the chassis, board and product areas, from the common header (§8: byte 0 format version
    /// 01h in bits 3:0; bytes 2-4 the offsets in multiples of 8 bytes, 0 for an absent area; byte 7 a zero
    /// checksum of the header).
    public static func areaOffsets(
        header bytes: [UInt8]
    ) throws(FRUDecodingError) -> (
        chassis: Int?, board: Int?, product: Int?
    ) {
        guard bytes.count >= headerSize else {
            throw FRUDecodingError("common header has \(bytes.count) of 8 bytes")
        }
        let header = Array(bytes.prefix(headerSize))
        guard header[0] & 0x0F == 0x01 else {
            throw FRUDecodingError("common header format version \(header[0] & 0x0F), not 1")
        }
        guard zeroChecksum(header[...]) else { throw FRUDecodingError("common header checksum invalid") }
        func offset(_ byte: UInt8) -> Int? { byte == 0 ? nil : Int(byte) * 8 }
        return (offset(header[2]), offset(header[3]), offset(header[4]))
    }

    /// The length in bytes of the info area whose first two bytes are `start` (§10-12: byte 1 is the length in
    /// multiples of 8 bytes); nil when they are not an area's.
    public static func areaLength(start: [UInt8]) -> Int? {
        guard start.count >= 2, start[0] & 0x0F == 0x01, start[1] != 0 else { return nil }
        return Int(start[1]) * 8
    }

    /// Checks the area at `offset` (version, length within the bytes, zero checksum) and decodes its body: the bytes
    /// after the version and length bytes, up to the checksum. A failure skips the area, noted in ``skippedAreas``.
    private mutating func decodeArea<Decoded>(
        _ area: Area, _ bytes: [UInt8], at offset: Int?,
        _ decode: (ArraySlice<UInt8>) throws(FRUDecodingError) -> Decoded
    ) -> Decoded? {
        guard let offset else { return nil }
        do {
            guard offset + 2 <= bytes.count else { throw FRUDecodingError("starts past the end of the data") }
            guard let length = Self.areaLength(start: Array(bytes[offset..<offset + 2])) else {
                throw FRUDecodingError(
                    "format version \(bytes[offset] & 0x0F) or length \(bytes[offset + 1]) invalid")
            }
            guard offset + length <= bytes.count else { throw FRUDecodingError("runs past the end of the data") }
            let areaBytes = bytes[offset..<offset + length]
            guard Self.zeroChecksum(areaBytes) else { throw FRUDecodingError("checksum invalid") }
            return try decode(areaBytes.dropFirst(2).dropLast())
        } catch {
            skippedAreas.append(SkippedArea(area: area, reason: "\(error)"))
            return nil
        }
    }

    /// The first `count` type/length fields of `body` (§13.1) as text. The end-of-fields marker (C1h) before
    /// them leaves the rest empty, as both tools print nothing for them; a field running past the area is corrupt.
    static func fields(_ body: ArraySlice<UInt8>, count: Int) throws(FRUDecodingError) -> [String] {
        var texts: [String] = []
        var index = body.startIndex
        while texts.count < count {
            guard index < body.endIndex else { break }
            let typeLength = body[index]
            if typeLength == endOfFields { break }
            let length = Int(typeLength & 0x3F)
            let start = index + 1
            guard start + length <= body.endIndex else {
                throw FRUDecodingError("field \(texts.count + 1) runs past the end of the area")
            }
            texts.append(text(type: typeLength >> 6, Array(body[start..<start + length])))
            index = start + length
        }
        return texts + Array(repeating: "", count: count - texts.count)
    }

    /// The type/length byte that ends an area's fields (§13.1): type 11b with length 1, which is why an 8-bit text
    /// of one character cannot be stored.
    public static let endOfFields: UInt8 = 0xC1

    /// A field's bytes as text, by its type code (§13.1, bits 7:6 of the type/length byte): 00b binary, shown as
    /// lower-case hex as ipmitool shows it; 01b BCD plus; 10b 6-bit ASCII packed; 11b 8-bit ASCII + Latin-1 (which
    /// ipmitool and FreeIPMI print byte for byte whatever the language code).
    public static func text(type: UInt8, _ bytes: [UInt8]) -> String {
        switch type & 0x03 {
        case 0b00: return bytes.map { hex2($0) }.joined()
        case 0b01: return bcdPlus(bytes)
        case 0b10: return sixBitASCII(bytes)
        default:
            let text = bytes.prefix { $0 != 0 }
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: text.map { Unicode.Scalar($0) })
            return String(scalars)
        }
    }

    /// BCD plus (§13.1.1): two digits a byte, high nibble first; Ah space, Bh dash, Ch period. Dh-Fh are reserved;
    /// ipmitool shows them as ':', ',' and '_'.
    public static func bcdPlus(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789 -.:,_")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// 6-bit ASCII packed (§13.1.2): characters 20h-5Fh as 6-bit codes, four in three bytes, least significant
    /// bits first; `n` bytes hold `n * 8 / 6` characters.
    public static func sixBitASCII(_ bytes: [UInt8]) -> String {
        var characters: [Character] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator |= UInt32(byte) << UInt32(bits)
            bits += 8
            while bits >= 6 {
                characters.append(Character(Unicode.Scalar(UInt8(accumulator & 0x3F) + 0x20)))
                accumulator >>= 6
                bits -= 6
            }
        }
        return String(characters)
    }

    /// A header or area sums to zero modulo 256 with its checksum byte (§16.2).
    static func zeroChecksum(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.reduce(UInt8(0)) { $0 &+ $1 } == 0
    }

    /// The SMBIOS chassis type names as FreeIPMI's `ipmi-fru` prints them (SMBIOS table "System Enclosure or
    /// Chassis Types", 01h-1Dh). ipmitool differs for four: 00h "Unspecified", 19h "Multi-system Chassis",
    /// 1Ah "CompactPCI", 1Bh "AdvancedTCA"; both tools say "Unknown" from 1Eh on.
    public static func chassisTypeName(_ type: UInt8) -> String {
        let names = [
            "Unknown", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
            "Portable", "LapTop", "Notebook", "Hand Held", "Docking Station", "All in One", "Sub Notebook",
            "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "SubChassis",
            "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis", "Sealed-case PC",
            "Multi-system chassis", "Compact PCI", "Advanced TCA", "Blade", "Blade Enclosure",
        ]
        return Int(type) < names.count ? names[Int(type)] : "Unknown"
    }
}

/// Why FRU bytes could not be decoded.
public struct FRUDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
