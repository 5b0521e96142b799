/// The answer to one IPMI request: its completion code and the data bytes after it.
public struct IPMIResponse: Hashable, Sendable {
    public var completionCode: CompletionCode
    public var data: [UInt8]

    public init(completionCode: CompletionCode, data: [UInt8]) {
        self.completionCode = completionCode
        self.data = data
    }

    /// The data, or an error carrying the completion code when it is not 0x00.
    public func requireSuccess(netFn: NetFn, command: UInt8) throws(IPMICommandError) -> [UInt8] {
        guard completionCode == .normal else {
            throw IPMICommandError(netFn: netFn, command: command, completionCode: completionCode)
        }
        return data
    }
}

/// A command that the BMC answered with a completion code other than 0x00.
public struct IPMICommandError: Error, Hashable, Sendable, CustomStringConvertible {
    public var netFn: NetFn
    public var command: UInt8
    public var completionCode: CompletionCode

    public init(netFn: NetFn, command: UInt8, completionCode: CompletionCode) {
        self.netFn = netFn
        self.command = command
        self.completionCode = completionCode
    }

    public var description: String { completionCode.description }
}

/// Anything that can carry IPMI requests to a controller: a live RMCP+ session, a bridged session,
/// a test double. Code above the transport (SDR reading, collectors) is written against this.
public protocol IPMIRequester: Sendable {
    /// Sends one request to the given LUN of the responder and waits for its response. Throws for
    /// transport failures (timeout, session lost, authentication); a non-zero completion code is
    /// returned, not thrown.
    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse

    /// Sends several independent requests and returns their outcomes in the same order. A requester that
    /// can keep requests outstanding (an RMCP+ session with a window) overlaps them; the default sends them
    /// one after the other. One failing request does not stop the others.
    func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>]
}

/// One request of a batch: the command and its data, for a LUN of the responder.
public struct IPMIRequest: Hashable, Sendable {
    public var netFn: NetFn
    public var command: UInt8
    public var data: [UInt8]
    public var lun: UInt8
    /// The controller behind the BMC that this one request is for, carried in Send Message (IPMI v2.0 §6.13, §22.7),
    /// e.g. Get Sensor Reading for a sensor whose SDR names another owner (§43.1); `lun` is then that
    /// controller's LUN. Nil: the BMC (or the session's own bridge target).
    public var bridge: BridgeTarget?

    public init(netFn: NetFn, command: UInt8, data: [UInt8] = [], lun: UInt8 = 0, bridge: BridgeTarget? = nil) {
        self.netFn = netFn
        self.command = command
        self.data = data
        self.lun = lun
        self.bridge = bridge
    }
}

extension IPMIRequester {
    public func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>] {
        var results: [Result<IPMIResponse, any Error>] = []
        results.reserveCapacity(batch.count)
        for request in batch {
            // `request(netFn:command:data:lun:)` has no way to name another controller.
            if request.bridge != nil {
                results.append(.failure(BridgingUnsupported()))
                continue
            }
            do {
                results.append(
                    .success(
                        try await self.request(
                            netFn: request.netFn, command: request.command, data: request.data, lun: request.lun)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// Sends one request to LUN 0.
    public func request(netFn: NetFn, command: UInt8, data: [UInt8] = []) async throws -> IPMIResponse {
        try await request(netFn: netFn, command: command, data: data, lun: 0)
    }

    /// Sends a request and returns its data, throwing ``IPMICommandError`` for a non-zero completion code.
    public func call(netFn: NetFn, command: UInt8, data: [UInt8] = [], lun: UInt8 = 0) async throws -> [UInt8] {
        try await request(netFn: netFn, command: command, data: data, lun: lun)
            .requireSuccess(netFn: netFn, command: command)
    }
}
