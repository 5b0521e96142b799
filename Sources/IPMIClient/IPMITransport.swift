import IPMI
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// One UDP socket that carries many RMCP+ sessions to many BMCs.
///
/// Datagrams from a BMC are routed to the session they belong to by the peer address and the console
/// session ID (in the RMCP+ header, or inside Open Session / RAKP payloads); messages sent before a
/// session exists (Get Channel Authentication Capabilities, Get Channel Cipher Suites) go to every
/// session of that peer still in its handshake, whose state machine keeps only its own (rqSeq).
/// This is what lets one exporter process keep thousands of sessions open on a handful of sockets.
///
/// The sockets are grouped in lanes, one ``DatagramLoop`` each (the transport's own `epoll` loop, which reads with
/// `recvmmsg`). A client is given a lane, round-robin, when it is created and runs on that lane's loop
/// (``IPMIClient`` takes it as its actor executor), so a datagram is decrypted and handed to the waiting request on
/// the thread that read it: no queue and no thread switch between the socket and the session. More lanes spread many
/// sessions over more cores.
public final class IPMITransport: Sendable {
    /// Where a registered session's datagrams go: `receive` is called on the loop of the lane the datagram arrived
    /// on, `finish` (the transport closed, or the session's lane stopped) on any thread.
    struct SessionInbox: Sendable {
        var lane: Int
        var receive: @Sendable ([UInt8]) -> Void
        var finish: @Sendable () -> Void
    }

    struct Registry: Sendable {
        var routes = SessionRoutes<SocketAddress, SessionInbox>()
        /// Lanes whose loop stopped: no session registers there any more.
        var stoppedLanes: Set<Int> = []
        /// The transport closed: no session registers at all.
        var closed = false

        /// Marks `lane` stopped and takes out the inboxes of its sessions.
        mutating func stop(lane: Int) -> [SessionInbox] {
            stoppedLanes.insert(lane)
            return routes.removeAll { $0.lane == lane }
        }
    }

    /// The routing table, shared by the transport (registering sessions) and its inbound handler (the box's copies
    /// share one lock and one table).
    typealias SharedRegistry = NIOLockedValueBox<Registry>

    /// A socket of a lane, and its address family.
    struct BoundSocket: Sendable {
        let socket: DatagramSocket
        let isIPv6: Bool
    }

    /// Sockets that share one event loop: one socket, or an IPv4 and an IPv6 one.
    struct Lane: Sendable {
        let eventLoop: DatagramLoop
        let sockets: [BoundSocket]
        let outbox: LaneOutbox
        private let ipv6: BoundSocket?

        init(eventLoop: DatagramLoop, sockets: [BoundSocket], outbox: LaneOutbox) {
            self.eventLoop = eventLoop
            self.sockets = sockets
            self.outbox = outbox
            self.ipv6 = sockets.first { $0.isIPv6 }
        }

        /// The socket of the peer's address family (the first one when there is only one).
        func socket(for peer: SocketAddress) -> BoundSocket {
            if peer.protocol == .inet6, let ipv6 { return ipv6 }
            return sockets[0]
        }
    }

    private let lanes: [Lane]
    private let nextLane = Atomic<Int>(0)
    private let registry: SharedRegistry
    public let statistics: TransportStatistics
    private let logger: Logger

    /// Binds one UDP socket on `host` (an ephemeral port by default) on `loop`. Peers must be of the same address
    /// family as `host`; ``bindAll(group:lanes:readPacing:statistics:logger:)`` covers both.
    public static func bind(
        host: String = "0.0.0.0",
        port: Int = 0,
        loop: DatagramLoop = DatagramLoopGroup.singleton.nextLoop(),
        statistics: TransportStatistics = TransportStatistics(),
        logger: Logger = Logger(label: "ipmi.transport")
    ) async throws -> IPMITransport {
        let router = Router(registry: SharedRegistry(Registry()), statistics: statistics, logger: logger)
        let outbox = LaneOutbox(logger: logger, loop: loop)
        let socket = try await makeSocket(host: host, port: port, lane: 0, loop: loop, outbox: outbox, router: router)
        return IPMITransport(lanes: [Lane(eventLoop: loop, sockets: [socket], outbox: outbox)], router: router)
    }

    /// Binds, per lane, one IPv4 socket and, where the machine has IPv6, one IPv6-only socket, so that BMCs of
    /// both families share the transport (an IPv4 peer keeps its plain IPv4 address as the routing key).
    /// - Parameters:
    ///   - lanes: how many loops of `group` carry sessions (clients are spread round-robin); one per core lets a busy
    ///     exporter use every core for its BMC sessions.
    ///   - readPacing: after sending a burst of requests leave the socket unread this long, so that their answers are
    ///     read with one call rather than one wake-up each; nil reads at once.
    public static func bindAll(
        group: DatagramLoopGroup = DatagramLoopGroup.singleton,
        lanes laneCount: Int = 1,
        readPacing: TimeAmount? = nil,
        statistics: TransportStatistics = TransportStatistics(),
        logger: Logger = Logger(label: "ipmi.transport")
    ) async throws -> IPMITransport {
        let router = Router(registry: SharedRegistry(Registry()), statistics: statistics, logger: logger)
        var lanes: [Lane] = []
        for index in 0..<max(1, laneCount) {
            let loop = group.nextLoop()
            let outbox = LaneOutbox(logger: logger, loop: loop, pacing: readPacing)
            var sockets = [
                try await makeSocket(host: "0.0.0.0", port: 0, lane: index, loop: loop, outbox: outbox, router: router)
            ]
            if let v6 = try? await makeSocket(
                host: "::", port: 0, lane: index, loop: loop, outbox: outbox, router: router, v6Only: true)
            {
                sockets.append(v6)
            }
            lanes.append(Lane(eventLoop: loop, sockets: sockets, outbox: outbox))
        }
        return IPMITransport(lanes: lanes, router: router)
    }

    /// Room per datagram: far more than any RMCP+ packet (a 255-byte payload, encrypted and authenticated, is under
    /// 350 bytes), so nothing a BMC sends is cut.
    static let maximumDatagramSize = 2048

    private static func makeSocket(
        host: String, port: Int, lane: Int, loop: DatagramLoop, outbox: LaneOutbox, router: Router, v6Only: Bool = false
    ) async throws -> BoundSocket {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let socket = try DatagramSocket.bound(to: address, v6Only: v6Only, receiveBufferSize: 4 << 20)
        let bound = BoundSocket(socket: socket, isIPv6: address.protocol == .inet6)
        // The loop reads the socket (LoopReader); the transport closes it, or the loop when it stops first.
        let reader = LoopReader(socket: bound, outbox: outbox, router: router)
        let registry = router.registry
        let stopped: @Sendable () -> Void = {
            socket.close()
            // Once per lane (it may have two sockets): its sessions end rather than wait for answers.
            guard outbox.isOpen else { return }
            outbox.isOpen = false
            for inbox in registry.withLockedValue({ $0.stop(lane: lane) }) { inbox.finish() }
        }
        do {
            try await loop.run {
                try loop.watch(socket.descriptor, onReadable: { reader.readAvailable() }, onStop: stopped)
            }
        } catch {
            socket.close()
            throw error
        }
        return bound
    }

    private init(lanes: [Lane], router: Router) {
        self.lanes = lanes
        registry = router.registry
        statistics = router.statistics
        logger = router.logger
    }

    /// The local address the socket is bound to.
    public var localAddress: SocketAddress? { lanes[0].sockets.first?.socket.localAddress }

    /// The loop of the first lane.
    public var eventLoop: DatagramLoop { lanes[0].eventLoop }

    /// Picks the lane for a new session, round-robin: the one place that decides where a session runs.
    func assignLane() -> Int {
        nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % lanes.count
    }

    func eventLoop(ofLane lane: Int) -> DatagramLoop { lanes[lane].eventLoop }

    /// How many sessions are registered (open or in their handshake).
    public var sessionCount: Int { registry.withLockedValue { $0.routes.count } }

    /// Closes the sockets. Sessions still registered see their inbox finish. Safe to call more than once, and while or
    /// after the loops stop.
    public func close() async {
        let inboxes = registry.withLockedValue { registry -> [SessionInbox]? in
            guard !registry.closed else { return nil }
            registry.closed = true
            return registry.routes.removeAll { _ in true }
        }
        guard let inboxes else { return }
        for inbox in inboxes { inbox.finish() }
        for lane in lanes {
            let loop = lane.eventLoop
            let sockets = lane.sockets
            let outbox = lane.outbox
            // On the loop, so that no send or read is using a descriptor while it is closed (and its number reused).
            // A loop that stops first has closed them itself; this task then fails.
            _ = try? await loop.run {
                guard outbox.isOpen else { return }
                outbox.isOpen = false
                for socket in sockets {
                    loop.unwatch(socket.socket.descriptor)
                    socket.socket.close()
                }
            }
        }
    }

    /// Picks a console session ID not in use for this peer and registers the session's inbox under it; nil when the
    /// transport is closed or the session's lane has stopped (nothing would be sent or read).
    func register(peer: SocketAddress, inbox: SessionInbox) -> UInt32? {
        registry.withLockedValue { registry -> UInt32? in
            guard !registry.closed, !registry.stoppedLanes.contains(inbox.lane) else { return nil }
            return registry.routes.add(inbox, peer: peer) { UInt32.random(in: 1...UInt32.max) }
        }
    }

    /// Once a session has its ID on the BMC it no longer listens for pre-session messages.
    func sessionEstablished(peer: SocketAddress, consoleSessionID: UInt32) {
        registry.withLockedValue { $0.routes.established(peer: peer, consoleSessionID: consoleSessionID) }
    }

    /// Routes the IPMI v1.5 answers that carry `bmcSessionID` to the session registered under `consoleSessionID`
    /// (``SessionRoutes/route(peer:bmcSessionID:to:)``).
    func routeIPMI15(peer: SocketAddress, bmcSessionID: UInt32, to consoleSessionID: UInt32) {
        registry.withLockedValue { $0.routes.route(peer: peer, bmcSessionID: bmcSessionID, to: consoleSessionID) }
    }

    /// Removes a session's inbox; the session itself asked for it, so its `finish` is not called.
    func unregister(peer: SocketAddress, consoleSessionID: UInt32) {
        _ = registry.withLockedValue { $0.routes.remove(peer: peer, consoleSessionID: consoleSessionID) }
    }

    /// Sends one datagram. Write errors (e.g. ICMP port unreachable reported on a later write) are
    /// logged and left to the caller's timeout.
    /// - Parameter flush: false holds the datagram until ``flush(lane:)`` (or the end of the read being handled), so
    ///   that a burst reaches the BMC together.
    func send(_ bytes: [UInt8], to peer: SocketAddress, lane: Int = 0, flush: Bool = true) {
        let lane = lanes[lane]
        let target = lane.socket(for: peer)
        statistics.sent()
        logDatagram(logger, "udp send", bytes, peer: peer)
        // On the lane's loop the outbox writes to the socket directly; elsewhere (rare: sessions run on their lane's
        // loop) a task on the loop sends it.
        guard lane.eventLoop.inEventLoop else {
            let outbox = lane.outbox
            return lane.eventLoop.execute { outbox.send(bytes, to: peer, on: target) }
        }
        lane.outbox.hold(bytes, to: peer, on: target)
        if flush { lane.outbox.flushSoon() }
    }

    /// Sends what ``send(_:to:lane:flush:)`` held back on the lane.
    func flush(lane index: Int) {
        let lane = lanes[index]
        if lane.eventLoop.inEventLoop { lane.outbox.flushSoon() }
    }

    /// Hands each datagram from a BMC to the session it belongs to.
    struct Router: Sendable {
        let registry: SharedRegistry
        let statistics: TransportStatistics
        let logger: Logger

        func route(_ bytes: [UInt8], from peer: SocketAddress) {
            statistics.received()
            logDatagram(logger, "udp receive", bytes, peer: peer)
            guard let key = routingKey(ofDatagramFromBMC: bytes) else { return malformed(from: peer) }
            switch registry.withLockedValue({ $0.routes.recipients(of: key, from: peer) }) {
            case .one(let inbox): inbox.receive(bytes)
            case .several(let inboxes): for inbox in inboxes { inbox.receive(bytes) }
            case .nobody: unroutable(from: peer)
            }
        }

        func malformed(from peer: SocketAddress?) {
            statistics.dropped(.malformed)
            logger.debug("dropped malformed datagram", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"])
        }

        private func unroutable(from peer: SocketAddress) {
            statistics.dropped(.unroutable)
            logger.debug("dropped unroutable datagram", metadata: ["peer": "\(peer)"])
        }
    }
}

/// Logs a datagram at debug level: its session header and its bytes (``PacketSummary``).
private func logDatagram(_ logger: Logger, _ event: Logger.Message, _ bytes: [UInt8], peer: SocketAddress) {
    guard logger.logLevel <= .debug else { return }
    let header = PacketSummary.describe(bytes)
    logger.debug(
        event, metadata: ["peer": "\(peer)", "header": "\(header)", "hex": "\(PacketSummary.loggableHex(bytes))"])
}
