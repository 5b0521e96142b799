/// Which console session a datagram from a BMC belongs to, for a transport that carries many sessions over one socket:
/// the sessions registered per peer (an address and port, or any key a test chooses) under the console session ID we
/// gave each, and what each one is offered besides the packets that name it.
///
/// - An RMCP+ packet names our console session ID (SIDm) in its session header, or in the Open Session Response and
///   RAKP 2/4 payloads (IPMI v2.0 sections 13.6, 13.18, 13.21, 13.23): ``RoutingKey/session(consoleSessionID:)``.
/// - An IPMI v1.5 answer names the BMC's session ID instead: the temporary one of Get Session Challenge, then the one
///   of Activate Session (IPMI v2.0 sections 22.16, 22.17). ``route(peer:bmcSessionID:to:)`` maps each to ours
///   (``RoutingKey/ipmi15Session(bmcSessionID:)``).
/// - A packet with session ID 0 names no session (Get Channel Authentication Capabilities, Get Channel Cipher Suites, a
///   short Open Session refusal): it goes to every session of that peer still in its handshake, and to v1.5 sessions
///   (FreeIPMI's `idzero` BMCs answer them so). Their state machines keep only their own, by rqSeq or message tag.
///
/// No sockets: the transport holds this under its lock and does the I/O.
package struct SessionRoutes<Peer: Hashable & Sendable, Session: Sendable>: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var session: Session
        @usableFromInline var acceptsPreSession = true
        @usableFromInline var isIPMI15 = false
    }

    /// Where a datagram goes.
    package enum Recipients {
        case nobody
        /// The common case, once per answer: one lookup, no array.
        case one(Session)
        /// A pre-session answer: never empty.
        case several([Session])
    }

    @usableFromInline var entries: [Peer: [UInt32: Entry]] = [:]
    /// Per peer, the BMC's session IDs of IPMI v1.5 sessions and the console session ID each belongs to.
    @usableFromInline var ipmi15Routes: [Peer: [UInt32: UInt32]] = [:]

    package init() {}

    /// How many sessions are registered (open or in their handshake).
    package var count: Int { entries.values.reduce(0) { $0 + $1.count } }

    /// Registers `session` under a console session ID that `chooseID` gives, taking the first that is not 0 (which
    /// means "no session" on the wire) and not in use for `peer`; returns that ID. A new session accepts pre-session
    /// answers until ``established(peer:consoleSessionID:)``.
    package mutating func add(_ session: Session, peer: Peer, choosingIDWith chooseID: () -> UInt32) -> UInt32 {
        var id: UInt32
        repeat { id = chooseID() } while id == 0 || entries[peer]?[id] != nil
        entries[peer, default: [:]][id] = Entry(session: session)
        return id
    }

    /// Once a session has its ID on the BMC it no longer listens for pre-session answers.
    package mutating func established(peer: Peer, consoleSessionID: UInt32) {
        entries[peer]?[consoleSessionID]?.acceptsPreSession = false
    }

    /// Routes the IPMI v1.5 answers that carry `bmcSessionID` (the BMC's temporary or activated session ID) to the
    /// session registered under `consoleSessionID`, which is offered pre-session answers from then on. The BMC gives
    /// an ID to one live session at a time, so a newer claim replaces an older one (of a session that ended without
    /// Close Session). Nothing happens for a session not registered.
    package mutating func route(peer: Peer, bmcSessionID: UInt32, to consoleSessionID: UInt32) {
        guard entries[peer]?[consoleSessionID] != nil else { return }
        ipmi15Routes[peer, default: [:]][bmcSessionID] = consoleSessionID
        entries[peer]?[consoleSessionID]?.isIPMI15 = true
    }

    /// Removes a session and the v1.5 routes to it; returns it, nil when it was not registered.
    @discardableResult
    package mutating func remove(peer: Peer, consoleSessionID: UInt32) -> Session? {
        let removed = entries[peer]?.removeValue(forKey: consoleSessionID)
        if entries[peer]?.isEmpty == true { entries[peer] = nil }
        if let routes = ipmi15Routes[peer], routes.values.contains(consoleSessionID) {
            let kept = routes.filter { $0.value != consoleSessionID }
            ipmi15Routes[peer] = kept.isEmpty ? nil : kept
        }
        return removed?.session
    }

    /// Removes the sessions `shouldRemove` picks, and the v1.5 routes to them; returns them.
    package mutating func removeAll(where shouldRemove: (Session) -> Bool) -> [Session] {
        var removed: [Session] = []
        for (peer, sessions) in entries {
            for (id, entry) in sessions where shouldRemove(entry.session) {
                remove(peer: peer, consoleSessionID: id)
                removed.append(entry.session)
            }
        }
        return removed
    }

    /// The sessions a datagram from `peer` with routing key `key` (``routingKey(ofDatagramFromBMC:)``) goes to.
    @inlinable
    package func recipients(of key: RoutingKey, from peer: Peer) -> Recipients {
        let session: Session?
        switch key {
        case .session(let id):
            session = entries[peer]?[id]?.session
        case .ipmi15Session(let bmcID):
            session = ipmi15Routes[peer]?[bmcID].flatMap { entries[peer]?[$0]?.session }
        case .preSession:
            let sessions = entries[peer]?.values.filter { $0.acceptsPreSession || $0.isIPMI15 }.map(\.session) ?? []
            return sessions.isEmpty ? .nobody : .several(sessions)
        }
        return session.map { .one($0) } ?? .nobody
    }
}
