// Key material must not leak through `print`, `dump`, string interpolation or debuggers' summaries:
// these types show only what is safe (IPMI issue: never log the password, K_g, SIK, K1 or K2).

extension SessionCredentials: CustomDebugStringConvertible, CustomReflectable {
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "password": "<redacted>", "kg": hasKg ? "<redacted>" : "none"])
    }
}

extension SessionKeys: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SessionKeys(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension SessionCrypto: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SessionCrypto(\(suite), keys <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["suite": suite]) }
}

extension SessionStateMachine: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        if let negotiated { return "SessionStateMachine(established: \(negotiated))" }
        return "SessionStateMachine(\(isHandshaking ? "handshaking" : "not established"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["negotiated": negotiated as Any, "credentials": configuration.credentials])
    }
}
