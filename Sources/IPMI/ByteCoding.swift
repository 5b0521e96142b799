/// Little helpers to build and parse wire messages over plain byte arrays. IPMI multi-byte integers
/// are little-endian (IPMI v2.0 section 13.6: "least significant byte first").
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    public mutating func write(_ more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
    }

    public mutating func write(littleEndian value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    public mutating func write(littleEndian value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    public mutating func write(repeating byte: UInt8, count: Int) {
        bytes.append(contentsOf: repeatElement(byte, count: max(0, count)))
    }
}

/// Reads a byte array front to back; every read checks bounds and throws ``IPMIError`` (malformed)
/// instead of trapping, because all of it comes from the network.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    let what: String

    public init(_ bytes: [UInt8], what: String = "message") {
        self.bytes = bytes
        self.offset = 0
        self.what = what
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func readByte() throws(IPMIError) -> UInt8 {
        guard offset < bytes.count else { throw .malformed(what + " too short") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readBytes(_ count: Int) throws(IPMIError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .malformed(what + " too short") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public mutating func readRest() -> [UInt8] {
        guard offset < bytes.count else { return [] }
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    public mutating func readUInt16LE() throws(IPMIError) -> UInt16 {
        let b = try readBytes(2)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    public mutating func readUInt32LE() throws(IPMIError) -> UInt32 {
        let b = try readBytes(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    public mutating func skip(_ count: Int) throws(IPMIError) {
        _ = try readBytes(count)
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex, two digits per byte, separated by spaces (for logs and test messages).
    public var hexDump: String {
        map { hex2($0) }.joined(separator: " ")
    }

    /// Parses hex digits, ignoring spaces; nil on odd length or non-hex characters.
    public init?(hex: String) {
        var result: [UInt8] = []
        var high: UInt8?
        for character in hex where !character.isWhitespace {
            guard let nibble = character.hexDigitValue else { return nil }
            if let h = high {
                result.append(h << 4 | UInt8(nibble))
                high = nil
            } else {
                high = UInt8(nibble)
            }
        }
        guard high == nil else { return nil }
        self = result
    }
}

/// Compares two byte strings in time independent of where they differ (for MACs and password hashes).
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { a in b.withUnsafeBytes { b in constantTimeEqual(a, b) } }
}

/// ``constantTimeEqual(_:_:)-([UInt8],[UInt8])`` over bytes in place (an AuthCode inside a datagram).
func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count {
        difference |= a[i] ^ b[i]
    }
    return difference == 0
}

func readUInt32LE(_ bytes: [UInt8], at offset: Int) -> UInt32? {
    guard offset >= 0, offset + 4 <= bytes.count else { return nil }
    return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
        | UInt32(bytes[offset + 3]) << 24
}
