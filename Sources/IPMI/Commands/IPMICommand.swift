/// One IPMI command as a pair of typed messages. The request names its network function and command number
/// once, so callers (collectors, the simulator) never spell raw numbers; both sides encode and decode the
/// data bytes that follow the command byte (request) or the completion code (response).
///
/// Decoding checks lengths and field values and throws ``IPMIError`` (malformed), never traps: the bytes come
/// from the network.
public protocol IPMICommandRequest: Hashable, Sendable {
    associatedtype Response: IPMICommandResponse
    static var netFn: NetFn { get }
    static var command: UInt8 { get }

    /// The request data bytes.
    func encode() -> [UInt8]
    /// Parses request data (a BMC, or the simulator, reading what a console sent).
    init(decoding data: [UInt8]) throws(IPMIError)
}

/// The data of a successful answer (completion code 00h) to an ``IPMICommandRequest``.
public protocol IPMICommandResponse: Hashable, Sendable {
    func encode() -> [UInt8]
    init(decoding data: [UInt8]) throws(IPMIError)
}

extension IPMICommandRequest {
    /// Whether a received request message carries this command.
    public static func matches(netFn: NetFn, command: UInt8) -> Bool {
        netFn == Self.netFn && command == Self.command
    }
}

extension IPMIRequester {
    /// Sends a typed request and decodes its answer. Throws ``IPMICommandError`` for a non-zero completion code
    /// and ``IPMIResponseDecodingError`` when the answer is too short or malformed: the BMC answered, so callers
    /// keep that apart from the session errors (``IPMIError``) of the transport.
    public func call<Request: IPMICommandRequest>(_ request: Request, lun: UInt8 = 0) async throws -> Request.Response {
        let data = try await call(netFn: Request.netFn, command: Request.command, data: request.encode(), lun: lun)
        do {
            return try Request.Response(decoding: data)
        } catch {
            throw IPMIResponseDecodingError(netFn: Request.netFn, command: Request.command, error: error)
        }
    }
}

/// An answer with completion code 00h that its command's codec could not decode.
public struct IPMIResponseDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var netFn: NetFn
    public var command: UInt8
    /// What the codec found wrong (always ``IPMIError/Code/malformed``).
    public var error: IPMIError

    public init(netFn: NetFn, command: UInt8, error: IPMIError) {
        self.netFn = netFn
        self.command = command
        self.error = error
    }

    public var description: String {
        "unexpected response to \(netFn) command 0x\(hex2(command)): \(error)"
    }
}

/// A request without data bytes (Get Device ID, Get Chassis Status …); decoding ignores any extra bytes, as BMCs do.
public protocol IPMIEmptyRequest: IPMICommandRequest {
    init()
}

extension IPMIEmptyRequest {
    public func encode() -> [UInt8] { [] }
    public init(decoding data: [UInt8]) throws(IPMIError) { self.init() }
}

extension ByteReader {
    /// Three bytes, little-endian (the manufacturer ID of Get Device ID, an IANA number).
    mutating func readUInt24LE() throws(IPMIError) -> UInt32 {
        let b = try readBytes(3)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16
    }
}

/// The answer shape the "Get … Parameters" commands share (System Info §22.14a, LAN Configuration §23.2): the
/// parameter revision (11h for both), then the parameter's data, absent for a revision-only request.
public struct ParameterResponse: IPMICommandResponse {
    public var parameterRevision: UInt8
    public var parameterData: [UInt8]

    public init(parameterRevision: UInt8 = 0x11, parameterData: [UInt8] = []) {
        self.parameterRevision = parameterRevision
        self.parameterData = parameterData
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "parameter response")
        parameterRevision = try reader.readByte()
        parameterData = reader.readRest()
    }

    public func encode() -> [UInt8] { [parameterRevision] + parameterData }
}
