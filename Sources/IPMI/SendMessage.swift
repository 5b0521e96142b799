/// Where bridged requests go: an IPMB controller behind the BMC (IPMI v2.0 section 6.13, 22.7).
public struct BridgeTarget: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var channel: UInt8
    public var address: UInt8

    public init(channel: UInt8, address: UInt8) {
        self.channel = channel
        self.address = address
    }

    public var description: String { "channel \(channel) target 0x" + hex2(address) }

    /// By channel, then address: the order in which controllers are logged.
    public static func < (lhs: BridgeTarget, rhs: BridgeTarget) -> Bool {
        (lhs.channel, lhs.address) < (rhs.channel, rhs.address)
    }
}

/// Send Message (App 0x34, IPMI v2.0 section 22.7) encapsulation for IPMB bridging.
public enum SendMessage {
    /// Bits 7:6 of the channel byte: 01b = track request, so the BMC routes the target's response back
    /// to us with our rqSeq (section 22.7, table 22-10).
    public static let trackRequest: UInt8 = 0x40

    /// The data of a Send Message request that carries one IPMB request: channel byte with the tracking
    /// bit, then rsAddr (target), netFn/rsLUN, checksum 1, rqAddr, rqSeq/rqLUN, command, data, checksum 2.
    /// The inner rqAddr defaults to the remote console software ID 0x81, as ipmitool sends it; a tracking
    /// BMC routes the answer back by rqSeq.
    public static func encapsulate(
        channel: UInt8, targetAddress: UInt8, targetLUN: UInt8 = 0, netFn: NetFn, command: UInt8,
        data: [UInt8] = [], rqSeq: UInt8, requesterAddress: UInt8 = IPMIAddress.remoteConsole
    ) -> [UInt8] {
        let inner = IPMIRequestMessage(
            responderAddress: targetAddress, netFn: netFn, responderLUN: targetLUN,
            requesterAddress: requesterAddress, rqSeq: rqSeq, command: command, data: data)
        return [trackRequest | channel & 0x0F] + inner.encode()
    }

    /// The nested response some BMCs put in the data of the Send Message response (after its completion
    /// code): rqAddr, netFn/rqLUN, checksum 1, rsAddr, rqSeq/rsLUN, command, completion code, data,
    /// checksum 2. Returns nil when the data is empty (the response will follow as its own message).
    public static func unwrapResponse(_ data: [UInt8]) throws(IPMIError) -> IPMIResponseMessage? {
        if data.isEmpty { return nil }
        return try IPMIResponseMessage.decode(data)
    }
}

/// A request for a controller behind the BMC (``IPMIRequest/bridge``) given to a requester that cannot bridge it.
public struct BridgingUnsupported: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "this connection cannot bridge requests to other controllers" }
}
