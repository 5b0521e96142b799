import IPMI

/// Failures of the client that are not protocol errors of the BMC.
public struct IPMIClientError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case timeout(seconds: Double, during: String)
        case notConnected
        case sessionClosed
        case cannotResolve(String)
    }

    private let kind: Kind

    public static func timeout(after duration: Duration, during phase: String) -> IPMIClientError {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return IPMIClientError(kind: .timeout(seconds: seconds, during: phase))
    }
    public static let notConnected = IPMIClientError(kind: .notConnected)
    public static let sessionClosed = IPMIClientError(kind: .sessionClosed)
    public static func cannotResolve(_ host: String) -> IPMIClientError {
        IPMIClientError(kind: .cannotResolve(host))
    }

    public var isTimeout: Bool {
        if case .timeout = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .timeout(let seconds, let phase):
            let rounded = (seconds * 10).rounded() / 10
            return "timeout after \(rounded) s waiting for \(phase)"
        case .notConnected: return "no session: call connect() first"
        case .sessionClosed: return "the session was closed"
        case .cannotResolve(let host): return "cannot resolve BMC address \(host)"
        }
    }
}
