/// RMCP+ Open Session Request payload (IPMI v2.0 section 13.17, table 13-9): message tag, requested
/// maximum privilege (0 = highest the BMC allows), 2 reserved, remote console session ID, then three
/// 8-byte algorithm payloads (type 0/1/2, reserved, length 8, algorithm, 3 reserved).
public struct OpenSessionRequest: Hashable, Sendable {
    public var messageTag: UInt8
    public var requestedPrivilege: UInt8
    public var consoleSessionID: UInt32
    public var cipherSuite: CipherSuite

    public init(messageTag: UInt8, requestedPrivilege: UInt8, consoleSessionID: UInt32, cipherSuite: CipherSuite) {
        self.messageTag = messageTag
        self.requestedPrivilege = requestedPrivilege
        self.consoleSessionID = consoleSessionID
        self.cipherSuite = cipherSuite
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        writer.write(messageTag)
        writer.write(requestedPrivilege & 0x0F)
        writer.write([0, 0])
        writer.write(littleEndian: consoleSessionID)
        writeAlgorithms(cipherSuite, into: &writer)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> OpenSessionRequest {
        var reader = ByteReader(bytes, what: "Open Session Request")
        let tag = try reader.readByte()
        let privilege = try reader.readByte() & 0x0F
        try reader.skip(2)
        let sessionID = try reader.readUInt32LE()
        let suite = try readAlgorithms(from: &reader)
        return OpenSessionRequest(
            messageTag: tag, requestedPrivilege: privilege, consoleSessionID: sessionID, cipherSuite: suite)
    }
}

/// RMCP+ Open Session Response payload (IPMI v2.0 section 13.18, table 13-10). On a non-zero status the
/// BMC may stop after the remote console session ID.
public struct OpenSessionResponse: Hashable, Sendable {
    public var messageTag: UInt8
    public var status: UInt8
    /// The maximum privilege the BMC grants; many BMCs (and ipmi_sim) send 0 here.
    public var maximumPrivilege: UInt8
    public var consoleSessionID: UInt32
    public var managedSessionID: UInt32
    public var cipherSuite: CipherSuite?

    public init(
        messageTag: UInt8, status: UInt8, maximumPrivilege: UInt8, consoleSessionID: UInt32, managedSessionID: UInt32,
        cipherSuite: CipherSuite?
    ) {
        self.messageTag = messageTag
        self.status = status
        self.maximumPrivilege = maximumPrivilege
        self.consoleSessionID = consoleSessionID
        self.managedSessionID = managedSessionID
        self.cipherSuite = cipherSuite
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 36)
        writer.write(messageTag)
        writer.write(status)
        writer.write(maximumPrivilege & 0x0F)
        writer.write(0)
        writer.write(littleEndian: consoleSessionID)
        guard let cipherSuite else { return writer.bytes }
        writer.write(littleEndian: managedSessionID)
        writeAlgorithms(cipherSuite, into: &writer)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> OpenSessionResponse {
        var reader = ByteReader(bytes, what: "Open Session Response")
        let tag = try reader.readByte()
        let status = try reader.readByte()
        // A refusal may stop right after the status (ipmi_sim sends 2 bytes); the console session ID is
        // then 0.
        if status != 0 && reader.remaining < 6 {
            return OpenSessionResponse(
                messageTag: tag, status: status, maximumPrivilege: 0, consoleSessionID: 0, managedSessionID: 0,
                cipherSuite: nil)
        }
        let privilege = try reader.readByte() & 0x0F
        try reader.skip(1)
        let consoleID = try reader.readUInt32LE()
        if status != 0 && reader.remaining < 28 {
            return OpenSessionResponse(
                messageTag: tag, status: status, maximumPrivilege: privilege, consoleSessionID: consoleID,
                managedSessionID: 0, cipherSuite: nil)
        }
        let managedID = try reader.readUInt32LE()
        let suite = try readAlgorithms(from: &reader)
        return OpenSessionResponse(
            messageTag: tag, status: status, maximumPrivilege: privilege, consoleSessionID: consoleID,
            managedSessionID: managedID, cipherSuite: suite)
    }
}

private func writeAlgorithms(_ suite: CipherSuite, into writer: inout ByteWriter) {
    let algorithms = [suite.authentication.rawValue, suite.integrity.rawValue, suite.confidentiality.rawValue]
    for (payloadType, algorithm) in algorithms.enumerated() {
        writer.write([UInt8(payloadType), 0, 0, 8, algorithm & 0x3F, 0, 0, 0])
    }
}

private func readAlgorithms(from reader: inout ByteReader) throws(IPMIError) -> CipherSuite {
    var values: [UInt8] = []
    for expectedType in UInt8(0)...2 {
        let record = try reader.readBytes(8)
        guard record[0] == expectedType else { throw .malformed("algorithm payload out of order") }
        values.append(record[4] & 0x3F)
    }
    guard let a = AuthenticationAlgorithm(rawValue: values[0]), let i = IntegrityAlgorithm(rawValue: values[1]),
        let c = ConfidentialityAlgorithm(rawValue: values[2])
    else { throw .unsupportedCipherSuite("algorithms \(values) are not implemented") }
    return CipherSuite(authentication: a, integrity: i, confidentiality: c)
}

/// RAKP Message 1 (IPMI v2.0 section 13.20, table 13-11): message tag, 3 reserved, managed system session
/// ID, remote console random number Rm (16), requested role (privilege in bits 3:0, bit 4 = name-only
/// lookup), 2 reserved, user name length, user name (0-16 bytes).
public struct RAKPMessage1: Hashable, Sendable {
    /// Bit 4 of the role byte: look the user up by name only (not by name and privilege).
    public static let nameOnlyLookup: UInt8 = 0x10

    public var messageTag: UInt8
    public var managedSessionID: UInt32
    public var consoleRandom: [UInt8]
    public var role: UInt8
    public var username: [UInt8]

    public init(messageTag: UInt8, managedSessionID: UInt32, consoleRandom: [UInt8], role: UInt8, username: [UInt8]) {
        self.messageTag = messageTag
        self.managedSessionID = managedSessionID
        self.consoleRandom = consoleRandom
        self.role = role
        self.username = username
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 28 + username.count)
        writer.write(messageTag)
        writer.write([0, 0, 0])
        writer.write(littleEndian: managedSessionID)
        writer.write(consoleRandom)
        writer.write(role)
        writer.write([0, 0])
        writer.write(UInt8(truncatingIfNeeded: username.count))
        writer.write(username)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> RAKPMessage1 {
        var reader = ByteReader(bytes, what: "RAKP 1")
        let tag = try reader.readByte()
        try reader.skip(3)
        let managedID = try reader.readUInt32LE()
        let random = try reader.readBytes(16)
        let role = try reader.readByte()
        try reader.skip(2)
        let length = Int(try reader.readByte())
        guard length <= 16 else { throw .malformed("RAKP 1 user name longer than 16 bytes") }
        let name = try reader.readBytes(length)
        return RAKPMessage1(
            messageTag: tag, managedSessionID: managedID, consoleRandom: random, role: role, username: name)
    }
}

/// RAKP Message 2 (IPMI v2.0 section 13.21, table 13-12): message tag, status, 2 reserved, remote console
/// session ID, managed system random number Rc (16), managed system GUID (16), key exchange
/// authentication code (HMAC, length by authentication algorithm). On error the BMC may stop early.
public struct RAKPMessage2: Hashable, Sendable {
    public var messageTag: UInt8
    public var status: UInt8
    public var consoleSessionID: UInt32
    public var managedRandom: [UInt8]
    public var managedGUID: [UInt8]
    public var authCode: [UInt8]

    public init(
        messageTag: UInt8, status: UInt8, consoleSessionID: UInt32, managedRandom: [UInt8], managedGUID: [UInt8],
        authCode: [UInt8]
    ) {
        self.messageTag = messageTag
        self.status = status
        self.consoleSessionID = consoleSessionID
        self.managedRandom = managedRandom
        self.managedGUID = managedGUID
        self.authCode = authCode
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + authCode.count)
        writer.write(messageTag)
        writer.write(status)
        writer.write([0, 0])
        writer.write(littleEndian: consoleSessionID)
        writer.write(managedRandom)
        writer.write(managedGUID)
        writer.write(authCode)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> RAKPMessage2 {
        var reader = ByteReader(bytes, what: "RAKP 2")
        let tag = try reader.readByte()
        let status = try reader.readByte()
        if status != 0 && reader.remaining < 6 {
            return RAKPMessage2(
                messageTag: tag, status: status, consoleSessionID: 0, managedRandom: [], managedGUID: [], authCode: [])
        }
        try reader.skip(2)
        let consoleID = try reader.readUInt32LE()
        if status != 0 && reader.remaining < 32 {
            return RAKPMessage2(
                messageTag: tag, status: status, consoleSessionID: consoleID, managedRandom: [], managedGUID: [],
                authCode: [])
        }
        let random = try reader.readBytes(16)
        let guid = try reader.readBytes(16)
        return RAKPMessage2(
            messageTag: tag, status: status, consoleSessionID: consoleID, managedRandom: random, managedGUID: guid,
            authCode: reader.readRest())
    }
}

/// RAKP Message 3 (IPMI v2.0 section 13.22, table 13-13): message tag, status, 2 reserved, managed system
/// session ID, key exchange authentication code.
public struct RAKPMessage3: Hashable, Sendable {
    public var messageTag: UInt8
    public var status: UInt8
    public var managedSessionID: UInt32
    public var authCode: [UInt8]

    public init(messageTag: UInt8, status: UInt8, managedSessionID: UInt32, authCode: [UInt8]) {
        self.messageTag = messageTag
        self.status = status
        self.managedSessionID = managedSessionID
        self.authCode = authCode
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + authCode.count)
        writer.write(messageTag)
        writer.write(status)
        writer.write([0, 0])
        writer.write(littleEndian: managedSessionID)
        writer.write(authCode)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> RAKPMessage3 {
        var reader = ByteReader(bytes, what: "RAKP 3")
        let tag = try reader.readByte()
        let status = try reader.readByte()
        try reader.skip(2)
        let managedID = try reader.readUInt32LE()
        return RAKPMessage3(messageTag: tag, status: status, managedSessionID: managedID, authCode: reader.readRest())
    }
}

/// RAKP Message 4 (IPMI v2.0 section 13.23, table 13-14): message tag, status, 2 reserved, remote console
/// session ID, integrity check value (truncated HMAC under SIK).
public struct RAKPMessage4: Hashable, Sendable {
    public var messageTag: UInt8
    public var status: UInt8
    public var consoleSessionID: UInt32
    public var integrityCheckValue: [UInt8]

    public init(messageTag: UInt8, status: UInt8, consoleSessionID: UInt32, integrityCheckValue: [UInt8]) {
        self.messageTag = messageTag
        self.status = status
        self.consoleSessionID = consoleSessionID
        self.integrityCheckValue = integrityCheckValue
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + integrityCheckValue.count)
        writer.write(messageTag)
        writer.write(status)
        writer.write([0, 0])
        writer.write(littleEndian: consoleSessionID)
        writer.write(integrityCheckValue)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(IPMIError) -> RAKPMessage4 {
        var reader = ByteReader(bytes, what: "RAKP 4")
        let tag = try reader.readByte()
        let status = try reader.readByte()
        if status != 0 && reader.remaining < 6 {
            return RAKPMessage4(messageTag: tag, status: status, consoleSessionID: 0, integrityCheckValue: [])
        }
        try reader.skip(2)
        let consoleID = try reader.readUInt32LE()
        return RAKPMessage4(
            messageTag: tag, status: status, consoleSessionID: consoleID, integrityCheckValue: reader.readRest())
    }
}
