import IPMI

/// Timing and flow-control settings of a client session.
public struct ClientOptions: Sendable {
    /// The longest wait for one response before the request is sent again; the last attempt always waits this long.
    /// Earlier attempts wait as long as the session's measured round trips suggest (see
    /// ``minimumRetransmitTimeout``), so that a lost datagram costs a fraction of this.
    public var requestTimeout: Duration = .milliseconds(1000)
    /// The shortest wait before a request is sent again. Equal to ``requestTimeout``, every attempt waits that long.
    public var minimumRetransmitTimeout: Duration = .milliseconds(200)
    /// How many times a request (or handshake step) is sent again after a timeout.
    public var retries: Int = 2
    /// The most requests one session keeps outstanding at once (concurrent `request` calls, or a batch from
    /// `requests(_:)`). A BMC that handles only one at a time drops the others; a round that loses half of them
    /// narrows the session's window, so such a BMC costs a lost round per session rather than
    /// failing.
    /// ipmi_sim and most modern BMCs take 4–8.
    public var maxOutstandingRequests: Int = 4
    /// How long `close()` waits for the BMC to confirm Close Session.
    public var closeTimeout: Duration = .milliseconds(500)
    /// FreeIPMI workaround flags for the handshake (``SessionWorkarounds``), read once per session set-up.
    public var workarounds: SessionWorkarounds = []
    /// Set: IPMI v1.5 sessions (`driver: LAN`) instead of RMCP+.
    public var ipmi15: IPMI15Options?

    public init() {}
}

/// A point in time after which no IPMI work may continue. Bind it with ``IPMIDeadline/$current``
/// (`IPMIDeadline.$current.withValue(.now + .seconds(5)) { … }`) and every request made inside,
/// including retries, stops there.
public enum IPMIDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?
}
