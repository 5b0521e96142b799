/// IPMB-style checksum: the two's complement of the byte sum, so that sum + checksum == 0 mod 256
/// (IPMI v2.0 section 13.8).
public func ipmiChecksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
    var sum: UInt8 = 0
    for byte in bytes { sum &+= byte }
    return 0 &- sum
}

/// Well-known addresses on the LAN interface (IPMI v2.0 section 13.8 and section 5.5 software IDs).
public enum IPMIAddress {
    /// The BMC's IPMB slave address.
    public static let bmc: UInt8 = 0x20
    /// Remote console software ID 0x40 in the 7-bit form used by LAN messages (0x81).
    public static let remoteConsole: UInt8 = 0x81
}

/// An IPMI request message as carried in a LAN payload (IPMI v2.0 section 13.8, table 13-4):
/// rsAddr, netFn/rsLUN, checksum 1, rqAddr, rqSeq/rqLUN, command, data, checksum 2.
public struct IPMIRequestMessage: Hashable, Sendable {
    public var responderAddress: UInt8
    public var netFn: NetFn
    public var responderLUN: UInt8
    public var requesterAddress: UInt8
    /// 6-bit request sequence number, echoed in the response.
    public var rqSeq: UInt8
    public var requesterLUN: UInt8
    public var command: UInt8
    public var data: [UInt8]

    public init(
        responderAddress: UInt8 = IPMIAddress.bmc, netFn: NetFn, responderLUN: UInt8 = 0,
        requesterAddress: UInt8 = IPMIAddress.remoteConsole, rqSeq: UInt8, requesterLUN: UInt8 = 0,
        command: UInt8, data: [UInt8] = []
    ) {
        self.responderAddress = responderAddress
        self.netFn = netFn
        self.responderLUN = responderLUN
        self.requesterAddress = requesterAddress
        self.rqSeq = rqSeq
        self.requesterLUN = requesterLUN
        self.command = command
        self.data = data
    }

    /// Length of ``encode()``: seven header and checksum bytes plus the data.
    var encodedCount: Int { 7 + data.count }

    /// ``encode()`` straight into `output` (exactly ``encodedCount`` bytes), e.g. into its place in a sealed packet.
    func encode(into output: UnsafeMutableRawBufferPointer) {
        output[0] = responderAddress
        output[1] = netFn.rawValue << 2 | responderLUN & 0x03
        output[2] = ipmiChecksum(UnsafeRawBufferPointer(rebasing: output[0..<2]))
        output[3] = requesterAddress
        output[4] = (rqSeq & 0x3F) << 2 | requesterLUN & 0x03
        output[5] = command
        UnsafeMutableRawBufferPointer(rebasing: output[6..<(6 + data.count)]).copyBytes(from: data)
        output[6 + data.count] = ipmiChecksum(UnsafeRawBufferPointer(rebasing: output[3..<(6 + data.count)]))
    }

    public func encode() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCount) { buffer, count in
            encode(into: UnsafeMutableRawBufferPointer(buffer))
            count = encodedCount
        }
    }

    /// Parses a request (used by simulated BMCs and tests); both checksums are verified.
    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> IPMIRequestMessage {
        guard bytes.count >= 7 else { throw .malformed("IPMI request shorter than 7 bytes") }
        guard ipmiChecksum(bytes[0..<2]) == bytes[2] else { throw .malformed("IPMI header checksum mismatch") }
        guard ipmiChecksum(bytes[3..<(bytes.count - 1)]) == bytes[bytes.count - 1] else {
            throw .malformed("IPMI data checksum mismatch")
        }
        return IPMIRequestMessage(
            responderAddress: bytes[0], netFn: NetFn(rawValue: bytes[1] >> 2), responderLUN: bytes[1] & 0x03,
            requesterAddress: bytes[3], rqSeq: bytes[4] >> 2, requesterLUN: bytes[4] & 0x03, command: bytes[5],
            data: Array(bytes[6..<(bytes.count - 1)]))
    }
}

/// An IPMI response message as carried in a LAN payload (IPMI v2.0 section 13.8, table 13-5):
/// rqAddr, netFn/rqLUN, checksum 1, rsAddr, rqSeq/rsLUN, command, completion code, data, checksum 2.
public struct IPMIResponseMessage: Hashable, Sendable {
    public var requesterAddress: UInt8
    /// The raw 6-bit response network function (odd: request netFn + 1).
    public var netFnCode: UInt8
    public var requesterLUN: UInt8
    public var responderAddress: UInt8
    public var rqSeq: UInt8
    public var responderLUN: UInt8
    public var command: UInt8
    public var completionCode: CompletionCode
    public var data: [UInt8]

    public init(
        requesterAddress: UInt8 = IPMIAddress.remoteConsole, netFnCode: UInt8, requesterLUN: UInt8 = 0,
        responderAddress: UInt8 = IPMIAddress.bmc, rqSeq: UInt8, responderLUN: UInt8 = 0, command: UInt8,
        completionCode: CompletionCode, data: [UInt8] = []
    ) {
        self.requesterAddress = requesterAddress
        self.netFnCode = netFnCode & 0x3F
        self.requesterLUN = requesterLUN
        self.responderAddress = responderAddress
        self.rqSeq = rqSeq
        self.responderLUN = responderLUN
        self.command = command
        self.completionCode = completionCode
        self.data = data
    }

    /// The request network function this answers (the response code with its low bit cleared).
    public var requestNetFn: NetFn { NetFn(rawValue: netFnCode & 0x3E) }
    public var isResponse: Bool { netFnCode & 0x01 == 1 }
    public var response: IPMIResponse { IPMIResponse(completionCode: completionCode, data: data) }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + data.count)
        writer.write(requesterAddress)
        writer.write((netFnCode & 0x3F) << 2 | requesterLUN & 0x03)
        writer.write(ipmiChecksum(writer.bytes))
        writer.write(responderAddress)
        writer.write((rqSeq & 0x3F) << 2 | responderLUN & 0x03)
        writer.write(command)
        writer.write(completionCode.rawValue)
        writer.write(data)
        writer.write(ipmiChecksum(writer.bytes[3...]))
        return writer.bytes
    }

    /// Parses a response; both checksums are verified.
    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> IPMIResponseMessage {
        let decoded = bytes.withUnsafeBytes { bytes in
            Result { () throws(IPMIError) in try decode(bytes: bytes) }
        }
        return try decoded.get()
    }

    /// ``decode(_:)`` from bytes in place (a decrypted payload that lives only in a temporary buffer). Without
    /// `checkingChecksums` (FreeIPMI's `nochecksumcheck`) the two checksums are not verified.
    static func decode(
        bytes: UnsafeRawBufferPointer, checkingChecksums: Bool = true
    ) throws(IPMIError)
        -> IPMIResponseMessage
    {
        guard bytes.count >= 8 else { throw .malformed("IPMI response shorter than 8 bytes") }
        if checkingChecksums {
            guard ipmiChecksum(bytes[0..<2]) == bytes[2] else { throw .malformed("IPMI header checksum mismatch") }
            // Rebased buffers rather than slices: they iterate and copy as plain memory.
            let data = UnsafeRawBufferPointer(rebasing: bytes[3..<(bytes.count - 1)])
            guard ipmiChecksum(data) == bytes[bytes.count - 1] else { throw .malformed("IPMI data checksum mismatch") }
        }
        return IPMIResponseMessage(
            requesterAddress: bytes[0], netFnCode: bytes[1] >> 2, requesterLUN: bytes[1] & 0x03,
            responderAddress: bytes[3], rqSeq: bytes[4] >> 2, responderLUN: bytes[4] & 0x03, command: bytes[5],
            completionCode: CompletionCode(rawValue: bytes[6]),
            data: Array(UnsafeRawBufferPointer(rebasing: bytes[7..<(bytes.count - 1)])))
    }
}
