/// An error of the IPMI protocol layer (session establishment, packet decoding, credentials) or of a
/// transport built on it. A struct wrapping a private enum, so cases can be added without breaking
/// users; match on ``code``. The ``description`` is one line and never contains secrets.
public struct IPMIError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Backing: Hashable, Sendable {
        case invalidCredentials(String)
        case invalidArgument(String)
        case authenticationFailed(String)
        case unsupportedCipherSuite(String)
        case rakpStatus(code: UInt8, name: String, step: String)
        case privilegeRejected(String)
        case timeout(String)
        case malformed(String)
        case sessionClosed(String)
        case notEstablished
        case tooManyOutstandingRequests
        case crypto(String)
        case transport(String)
    }

    private var backing: Backing

    private init(_ backing: Backing) {
        self.backing = backing
    }

    /// The kind of error, for matching.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        public static let invalidCredentials = Code("invalid credentials")
        public static let invalidArgument = Code("invalid argument")
        public static let authenticationFailed = Code("authentication failed")
        public static let unsupportedCipherSuite = Code("unsupported cipher suite")
        public static let rakpStatus = Code("RAKP status")
        public static let privilegeRejected = Code("privilege rejected")
        public static let timeout = Code("timeout")
        public static let malformed = Code("malformed packet")
        public static let sessionClosed = Code("session closed")
        public static let notEstablished = Code("session not established")
        public static let tooManyOutstandingRequests = Code("too many outstanding requests")
        public static let crypto = Code("crypto failure")
        public static let transport = Code("transport error")

        public var description: String { name }
    }

    public var code: Code {
        switch backing {
        case .invalidCredentials: .invalidCredentials
        case .invalidArgument: .invalidArgument
        case .authenticationFailed: .authenticationFailed
        case .unsupportedCipherSuite: .unsupportedCipherSuite
        case .rakpStatus: .rakpStatus
        case .privilegeRejected: .privilegeRejected
        case .timeout: .timeout
        case .malformed: .malformed
        case .sessionClosed: .sessionClosed
        case .notEstablished: .notEstablished
        case .tooManyOutstandingRequests: .tooManyOutstandingRequests
        case .crypto: .crypto
        case .transport: .transport
        }
    }

    /// True for every error that means "the BMC did not accept these credentials": an HMAC or integrity
    /// check value mismatch, or a RAKP status such as unauthorized name or invalid integrity check value.
    public var isAuthenticationFailure: Bool {
        switch backing {
        case .authenticationFailed: true
        case .rakpStatus(let code, _, _): RAKPStatus.isCredentialRejection(code)
        default: false
        }
    }

    /// The RMCP+ status code (IPMI v2.0 table 13-15) when the BMC rejected a handshake step.
    public var rakpStatusCode: UInt8? {
        if case .rakpStatus(let code, _, _) = backing { return code }
        return nil
    }

    public var description: String {
        switch backing {
        case .invalidCredentials(let reason): "invalid credentials: " + reason
        case .invalidArgument(let reason): "invalid argument: " + reason
        case .authenticationFailed(let reason): "authentication failed: " + reason
        case .unsupportedCipherSuite(let reason): "unsupported cipher suite: " + reason
        case .rakpStatus(let code, let name, let step):
            (RAKPStatus.isCredentialRejection(code) ? "authentication failed: " : "session setup failed: ")
                + step + " status 0x" + hex2(code) + " (" + name + ")"
        case .privilegeRejected(let reason): "privilege level rejected: " + reason
        case .timeout(let reason): "timeout" + (reason.isEmpty ? "" : " " + reason)
        case .malformed(let reason): "malformed packet: " + reason
        case .sessionClosed(let reason): "session closed" + (reason.isEmpty ? "" : ": " + reason)
        case .notEstablished: "session not established"
        case .tooManyOutstandingRequests: "too many outstanding requests in one session"
        case .crypto(let reason): "crypto failure: " + reason
        case .transport(let reason): "transport error: " + reason
        }
    }

    // MARK: constructors (reasons must never contain secrets)

    public static func invalidCredentials(_ reason: String) -> IPMIError { .init(.invalidCredentials(reason)) }
    public static func invalidArgument(_ reason: String) -> IPMIError { .init(.invalidArgument(reason)) }
    public static func authenticationFailed(_ reason: String) -> IPMIError { .init(.authenticationFailed(reason)) }
    public static func unsupportedCipherSuite(_ reason: String) -> IPMIError {
        .init(.unsupportedCipherSuite(reason))
    }
    /// `step` names the message that carried the status, e.g. "RAKP 2".
    public static func rakpStatus(_ code: UInt8, step: String) -> IPMIError {
        rakpStatus(code, step: step, hint: "")
    }
    /// As ``rakpStatus(_:step:)``, with `hint` (a workaround flag to try) after the status name.
    public static func rakpStatus(_ code: UInt8, step: String, hint: String) -> IPMIError {
        .init(.rakpStatus(code: code, name: RAKPStatus.name(of: code) + hint, step: step))
    }
    public static func privilegeRejected(_ reason: String) -> IPMIError { .init(.privilegeRejected(reason)) }
    /// E.g. `.timeout("after 5 s")` → "timeout after 5 s".
    public static func timeout(_ reason: String = "") -> IPMIError { .init(.timeout(reason)) }
    public static func malformed(_ reason: String) -> IPMIError { .init(.malformed(reason)) }
    public static func sessionClosed(_ reason: String = "") -> IPMIError { .init(.sessionClosed(reason)) }
    public static let notEstablished = IPMIError(.notEstablished)
    public static let tooManyOutstandingRequests = IPMIError(.tooManyOutstandingRequests)
    public static func crypto(_ reason: String) -> IPMIError { .init(.crypto(reason)) }
    public static func transport(_ reason: String) -> IPMIError { .init(.transport(reason)) }
}

/// RMCP+ and RAKP message status codes (IPMI v2.0 section 13.24, table 13-15).
public enum RAKPStatus {
    public static func name(of code: UInt8) -> String {
        switch code {
        case 0x00: "no errors"
        case 0x01: "insufficient resources to create a session"
        case 0x02: "invalid session ID"
        case 0x03: "invalid payload type"
        case 0x04: "invalid authentication algorithm"
        case 0x05: "invalid integrity algorithm"
        case 0x06: "no matching authentication payload"
        case 0x07: "no matching integrity payload"
        case 0x08: "inactive session ID"
        case 0x09: "invalid role"
        case 0x0A: "unauthorized role or privilege level requested"
        case 0x0B: "insufficient resources to create a session at the requested role"
        case 0x0C: "invalid name length"
        case 0x0D: "unauthorized name"
        case 0x0E: "unauthorized GUID"
        case 0x0F: "invalid integrity check value"
        case 0x10: "invalid confidentiality algorithm"
        case 0x11: "no cipher suite match with proposed security algorithms"
        case 0x12: "illegal or unrecognized parameter"
        default: "reserved status code"
        }
    }

    /// Codes a BMC uses when the user name, password or role is refused.
    static func isCredentialRejection(_ code: UInt8) -> Bool {
        [0x09, 0x0A, 0x0C, 0x0D, 0x0E, 0x0F].contains(code)
    }
}
