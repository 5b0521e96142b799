import IPMI
import Logging
import NIOCore
import Synchronization

/// An IPMI v2.0 / RMCP+ session with one BMC.
///
/// ```swift
/// let client = try IPMIClient(host: "10.0.0.5", username: "admin", password: pw, logger: logger)
/// try await client.connect()
/// let deviceID = try await client.request(netFn: .app, command: 0x01)
/// try await client.close()
/// ```
///
/// Many clients can share one ``IPMITransport`` (one UDP socket); a client without one creates its
/// own on `connect()` (on a loop of ``DatagramLoopGroup/singleton``) and closes it on `close()`. Requests may be
/// issued concurrently; at most ``ClientOptions/maxOutstandingRequests`` are on the wire at once.
public actor IPMIClient: IPMIRequester {
    public nonisolated let host: String
    public nonisolated let port: Int
    /// The loop this client runs on: its transport lane's, so that a response is decoded and handed to the waiting
    /// request on the thread that read it from the socket.
    public nonisolated let eventLoop: DatagramLoop
    /// The transport lane (socket group) this client sends through; its event loop is ``eventLoop``.
    private nonisolated let lane: Int
    private nonisolated let executor: any SerialExecutor
    /// A task executor on ``eventLoop``, for callers that want their own code to run where the client runs.
    public nonisolated let taskExecutor: EventLoopTaskExecutor
    private let credentials: SessionCredentials
    private let privilege: PrivilegeLevel
    private let cipherSuite: CipherSuite?
    private let bridge: BridgeTarget?
    private let allowUnauthenticated: Bool
    private let options: ClientOptions
    private var logger: Logger

    private var transport: IPMITransport?
    private let sharedTransport: IPMITransport?
    private var peer: SocketAddress?
    private var consoleSessionID: UInt32 = 0
    private var machine: SessionStateMachine?
    /// Mirrors `machine?.isEstablished`, which is read for every request: reading a property of the machine held
    /// in this actor copies the whole machine first. Atomic, so that ``isConnected`` reads it from any thread
    /// without a hop to this actor.
    private nonisolated let established = Atomic<Bool>(false)

    /// The negotiated cipher suite, privilege and session IDs once connected.
    public private(set) var session: NegotiatedSession?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    // Handshake: one step awaited at a time.
    private var handshakeWait: (continuation: CheckedContinuation<SessionAction?, Never>, timer: Scheduled<Void>)?
    private var handshakeBacklog: [SessionAction] = []
    private var connecting: Task<Void, any Error>?
    private var handshakeStart = ContinuousClock.now
    /// Whether the BMC answered any step of the handshake under way.
    private var handshakeHeardFromBMC = false
    /// A negotiation that fell back to common suites is logged once per client (one per target).
    private var loggedNegotiationFallback = false
    /// Without a configured suite, the one the last session negotiated: the next handshake offers it at once
    /// instead of asking for the BMC's list again (a re-opened session then costs fewer round trips, and a BMC that
    /// answers Get Channel Cipher Suites badly is not asked again). Forgotten when a handshake fails.
    private var rememberedSuite: CipherSuite?

    // Requests: every request has a token; queued until the window has room, then on the wire until its
    // response, its final timeout, a cancellation or the end of the session completes it.
    private var nextToken = 0
    private var pending: [Int: PendingRequest] = [:]
    private var queued = CircularBuffer<Int>()
    /// The token of the request on the wire under each rqSeq.
    private var bySequence = RqSeqTable<Int>()
    private var onWire = 0
    private var startingQueued = false
    /// True while an answer read from the socket is handled: requests it lets onto the wire are flushed by the
    /// transport when the read burst ends, so the answers of one burst release their followers in one write.
    private var delivering = false
    private var window: RequestWindow
    private var retransmission: RetransmissionTimer
    /// One timer for all requests on the wire, armed for the earliest attempt deadline: a timer per request
    /// would be scheduled and cancelled for every packet, which costs more than the packet itself.
    private var sweep: (at: NIODeadline, timer: Scheduled<Void>)?
    private var closeWait: (continuation: CheckedContinuation<Void, Never>, timer: Scheduled<Void>)?

    /// When an rqSeq is held back after its request ended, so a stray answer cannot complete a newer request.
    private var strays: StrayAnswerPolicy
    private var holdWake: Scheduled<Void>?

    /// A class, so that the several updates a request goes through change it in place instead of copying it out of
    /// `pending` and back.
    private final class PendingRequest {
        let request: IPMIRequest
        let deadline: ContinuousClock.Instant?
        let start: ContinuousClock.Instant
        var attempts = 0
        /// The window's round the attempt on the wire counts in (``RequestWindow/sent()``).
        var windowRound: UInt32?
        var rqSeq: UInt8?
        var isOnWire = false
        /// When the attempt on the wire times out; nil when none is.
        var attemptDeadline: NIODeadline?
        /// When the attempt on the wire was sent.
        var sentAt = NIODeadline.uptimeNanoseconds(0)
        let completion: (Result<IPMIResponse, any Error>) -> Void

        init(
            request: IPMIRequest, deadline: ContinuousClock.Instant?, start: ContinuousClock.Instant,
            completion: @escaping (Result<IPMIResponse, any Error>) -> Void
        ) {
            self.request = request
            self.deadline = deadline
            self.start = start
            self.completion = completion
        }
    }

    /// Creates a client. Credentials are checked here (user name ≤ 16 bytes, password ≤ 20 bytes,
    /// K_g ≤ 20 bytes); nothing is sent until ``connect()``.
    /// - Parameters:
    ///   - cipherSuite: `nil` negotiates the strongest suite both sides support (17 first).
    ///   - bridge: send every request through Send Message to this IPMB controller.
    ///   - allowUnauthenticated: permit cipher suite 0 (no authentication at all).
    ///   - transport: the shared transport whose lane (chosen by the transport) the client runs on; nil makes one of
    ///     its own on `connect()`.
    public init(
        host: String,
        port: Int = 623,
        username: String,
        password: String,
        kg: [UInt8]? = nil,
        cipherSuite: CipherSuite? = nil,
        privilege: PrivilegeLevel = .administrator,
        bridge: BridgeTarget? = nil,
        allowUnauthenticated: Bool = false,
        options: ClientOptions = ClientOptions(),
        transport: IPMITransport? = nil,
        logger: Logger = Logger(label: "ipmi.client")
    ) throws {
        self.host = host
        self.port = port
        self.credentials = try SessionCredentials(username: username, password: Array(password.utf8), kg: kg)
        self.cipherSuite = cipherSuite
        self.privilege = privilege
        self.bridge = bridge
        self.allowUnauthenticated = allowUnauthenticated
        self.options = options
        self.window = RequestWindow(maximum: options.maxOutstandingRequests)
        self.retransmission = RetransmissionTimer(
            ceiling: options.requestTimeout, floor: options.minimumRetransmitTimeout)
        self.strays = StrayAnswerPolicy(requestTimeout: options.requestTimeout)
        self.sharedTransport = transport
        if let transport {
            self.lane = transport.assignLane()
            self.eventLoop = transport.eventLoop(ofLane: lane)
        } else {
            self.lane = 0
            self.eventLoop = DatagramLoopGroup.singleton.nextLoop()
        }
        self.executor = eventLoop.executor
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
        var logger = logger
        logger[metadataKey: "bmc"] = "\(host):\(port)"
        self.logger = logger
    }

    /// True from a successful ``connect()`` until the session is closed, reset or lost. Readable from any thread
    /// without waiting for the client.
    public nonisolated var isConnected: Bool { established.load(ordering: .acquiring) }

    // MARK: - Connect

    /// Opens the RMCP+ session: capabilities, cipher suites (when negotiating), Open Session,
    /// RAKP 1–4 and Set Session Privilege Level. Bounded by ``IPMIDeadline/current`` if set, and by
    /// the per-step timeout and retries.
    public func connect() async throws {
        if isConnected { return }
        // Callers racing to connect the same client share one handshake.
        if let connecting {
            return try await connecting.value
        }
        let task = Task { try await self.handshakeRestartingOnce() }
        connecting = task
        defer { connecting = nil }
        try await task.value
    }

    /// A BMC that answered part of the handshake and then lost a datagram may not take the step again (a repeated
    /// RAKP message 1 or 3 finds its session past that step, and many BMCs ignore it): the step times out. One new
    /// handshake then follows while the deadline leaves a request timeout for it. A BMC that never answered gets
    /// none, so a dead target costs one handshake's time.
    private func handshakeRestartingOnce() async throws {
        do {
            try await handshakeFromScratch()
        } catch let error as IPMIClientError where error.isTimeout && handshakeHeardFromBMC {
            if let deadline = IPMIDeadline.current, ContinuousClock.now + options.requestTimeout > deadline {
                throw error
            }
            logger.debug(
                "handshake stalled after the BMC answered; starting a new one", metadata: ["error": "\(error)"])
            try await handshakeFromScratch()
        }
    }

    private func handshakeFromScratch() async throws {
        if isConnected { return }
        handshakeHeardFromBMC = false
        let transport = try await ensureTransport()
        let peer: SocketAddress
        do {
            peer = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw IPMIClientError.cannotResolve(host)
        }
        self.peer = peer
        guard let id = transport.register(peer: peer, inbox: makeInbox()) else { throw IPMIClientError.sessionClosed }
        consoleSessionID = id
        let configuration = SessionConfiguration(
            credentials: credentials,
            privilege: privilege,
            cipherSuite: cipherSuite ?? rememberedSuite,
            allowUnauthenticated: allowUnauthenticated,
            bridge: bridge,
            consoleSessionID: id, workarounds: options.workarounds, ipmi15: options.ipmi15)
        machine = SessionStateMachine(configuration: configuration, random: OpenSSLRandom())
        established.store(false, ordering: .releasing)
        // What the last sessions learnt of this BMC (its window, its round-trip time) holds for the next one.
        window.sessionStarted()
        handshakeBacklog = []
        do {
            try await handshake(transport: transport, peer: peer)
            transport.statistics.handshake(succeeded: true)
            if cipherSuite == nil { rememberedSuite = session?.cipherSuite }
        } catch {
            transport.statistics.handshake(succeeded: false)
            rememberedSuite = nil
            await teardown()
            throw error
        }
    }

    private func ensureTransport() async throws -> IPMITransport {
        if let transport { return transport }
        let created =
            if let sharedTransport { sharedTransport } else {
                try await IPMITransport.bind(loop: eventLoop, logger: logger)
            }
        transport = created
        return created
    }

    private func handshake(transport: IPMITransport, peer: SocketAddress) async throws {
        handshakeStart = .now
        guard var action = machine?.start() else { throw IPMIClientError.notConnected }
        var attempts = 0
        while true {
            switch action {
            case .send(let packet):
                // IPMI v1.5 answers carry the BMC's session ID, not ours: tell the transport which it is.
                if let id = machine?.ipmi15RoutingID {
                    transport.routeIPMI15(peer: peer, bmcSessionID: id, to: consoleSessionID)
                }
                transport.send(packet, to: peer, lane: lane)
                action = try await awaitHandshakeStep(attempts: &attempts, transport: transport)
            case .established(let negotiated):
                session = negotiated
                if let reason = machine?.negotiationFallback, !loggedNegotiationFallback {
                    loggedNegotiationFallback = true
                    logger.info(
                        "cipher suite chosen without the BMC's list",
                        metadata: ["reason": "\(reason)", "cipher_suite": "\(negotiated.cipherSuite)"])
                }
                strays.sessionEstablished(now: NIODeadline.now().uptimeNanoseconds)
                established.store(true, ordering: .releasing)
                transport.sessionEstablished(peer: peer, consoleSessionID: consoleSessionID)
                logger.debug(
                    "session established",
                    metadata: [
                        "cipher_suite": "\(negotiated.cipherSuite)",
                        "privilege": "\(negotiated.privilege)",
                    ])
                return
            case .failed(let error):
                throw error
            case .dropped(let reason):
                transport.statistics.dropped(.rejected)
                logger.debug("handshake packet rejected", metadata: ["reason": "\(reason)"])
                action = try await awaitHandshakeStep(attempts: &attempts, transport: transport)
            case .response, .none:
                action = try await awaitHandshakeStep(attempts: &attempts, transport: transport)
            }
        }
    }

    /// Waits for the next handshake event; on a timeout asks the state machine what to resend.
    private func awaitHandshakeStep(attempts: inout Int, transport: IPMITransport) async throws -> SessionAction {
        while true {
            guard let timeout = attemptTimeout(before: IPMIDeadline.current) else {
                throw IPMIClientError.timeout(after: .now - handshakeStart, during: "the BMC during session set-up")
            }
            if let event = await nextHandshakeEvent(timeout: timeout) {
                handshakeHeardFromBMC = true
                return event
            }
            try Task.checkCancellation()
            attempts += 1
            if attempts > options.retries {
                if let fallback = machine?.stepTimedOut() {
                    attempts = 0
                    return fallback
                }
                throw IPMIClientError.timeout(after: .now - handshakeStart, during: "the BMC during session set-up")
            }
            transport.statistics.retransmitted()
            if let retry = machine?.retransmit(), case .send = retry {
                return retry
            }
        }
    }

    private func nextHandshakeEvent(timeout: Duration) async -> SessionAction? {
        if !handshakeBacklog.isEmpty { return handshakeBacklog.removeFirst() }
        // The transport closed (or the lane's loop stopped, which would never run the timer) between two steps.
        guard machine != nil else { return .failed(IPMIError.sessionClosed()) }
        return await withCheckedContinuation { continuation in
            let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) { [weak self] in
                guard let self else { return }
                self.assumeIsolated { $0.handshakeTimedOut() }
            }
            handshakeWait = (continuation, timer)
        }
    }

    private func handshakeTimedOut() {
        guard let wait = handshakeWait else { return }
        handshakeWait = nil
        wait.continuation.resume(returning: nil)
    }

    // MARK: - Requests

    /// Sends one request through the session and waits for its response, retransmitting after
    /// ``ClientOptions/requestTimeout`` up to ``ClientOptions/retries`` times, never past
    /// ``IPMIDeadline/current``. A non-zero completion code is returned in the response.
    public func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        guard isConnected else { throw IPMIClientError.notConnected }
        let token = makeToken()
        let request = IPMIRequest(netFn: netFn, command: command, data: data, lun: lun)
        let deadline = IPMIDeadline.current
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume(throwing: CancellationError()) }
                submit(token, request, deadline: deadline) { continuation.resume(with: $0) }
            }
        } onCancel: {
            cancelSoon([token])
        }
    }

    /// Sends a batch of requests, up to the window's width at once, and returns every outcome in order.
    /// The whole batch is scheduled on the event loop: no thread switch per request.
    public func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>] {
        guard !batch.isEmpty else { return [] }
        guard isConnected else {
            return batch.map { _ in .failure(IPMIClientError.notConnected) }
        }
        let tokens = batch.map { _ in makeToken() }
        let deadline = IPMIDeadline.current
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else {
                    return continuation.resume(returning: batch.map { _ in .failure(CancellationError()) })
                }
                let collected = BatchResults(count: batch.count, continuation: continuation)
                pending.reserveCapacity(pending.count + batch.count)
                for (index, request) in batch.enumerated() {
                    submit(tokens[index], request, deadline: deadline) { collected.set(index, $0) }
                }
            }
        } onCancel: {
            cancelSoon(tokens)
        }
    }

    /// Collects a batch's outcomes; lives on the client's event loop only.
    private final class BatchResults {
        private var results: [Result<IPMIResponse, any Error>?]
        private var remaining: Int
        private let continuation: CheckedContinuation<[Result<IPMIResponse, any Error>], Never>

        init(count: Int, continuation: CheckedContinuation<[Result<IPMIResponse, any Error>], Never>) {
            results = Array(repeating: nil, count: count)
            remaining = count
            self.continuation = continuation
        }

        func set(_ index: Int, _ result: Result<IPMIResponse, any Error>) {
            guard results[index] == nil else { return }
            results[index] = result
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: results.map { $0! }) }
        }
    }

    private nonisolated func cancelSoon(_ tokens: [Int]) {
        eventLoop.execute { [weak self] in
            guard let self else { return }
            self.assumeIsolated { client in
                for token in tokens { client.complete(token, with: .failure(CancellationError())) }
            }
        }
    }

    private func submit(
        _ token: Int, _ request: IPMIRequest, deadline: ContinuousClock.Instant?,
        completion: @escaping (Result<IPMIResponse, any Error>) -> Void
    ) {
        pending[token] = PendingRequest(request: request, deadline: deadline, start: .now, completion: completion)
        queued.append(token)
        startQueuedRequests()
    }

    /// Puts queued requests on the wire while the window has room. A request that fails at once (session gone,
    /// deadline passed) completes inside the loop; the flag keeps that from starting a nested loop.
    private func startQueuedRequests() {
        guard !startingQueued else { return }
        startingQueued = true
        defer { startingQueued = false }
        var sent = 0
        while onWire < window.width, let token = queued.popFirst() {
            guard let entry = pending[token] else { continue }
            entry.isOnWire = true
            onWire += 1
            switch transmit(token, entry, flush: false) {
            case .sent: sent += 1
            case .failed: break
            case .waitingForRqSeq:
                if sent > 0, !delivering { transport?.flush(lane: lane) }
                return
            }
        }
        if sent > 0, !delivering { transport?.flush(lane: lane) }
    }

    private enum TransmitOutcome {
        case sent
        /// Completed with an error instead.
        case failed
        /// Every rqSeq is in use or held for this command: back at the head of the queue until a hold ends.
        case waitingForRqSeq
    }

    /// Sends (or sends again) one request and arms its timer.
    @discardableResult
    private func transmit(_ token: Int, _ entry: PendingRequest, flush: Bool = true) -> TransmitOutcome {
        guard let transport, let peer, isConnected else {
            complete(token, with: .failure(IPMIClientError.sessionClosed))
            return .failed
        }
        let wait = retransmission.timeout(attempt: entry.attempts, isLast: entry.attempts >= options.retries)
        guard let timeout = attemptTimeout(wait, before: entry.deadline) else {
            complete(token, with: .failure(timeoutError(entry)))
            return .failed
        }
        let request = entry.request
        let encoded: (rqSeq: UInt8, packet: [UInt8])
        do {
            guard
                let sealed = try machine?.encodeRequest(
                    netFn: request.netFn, command: request.command, data: request.data, lun: request.lun,
                    now: NIODeadline.now().uptimeNanoseconds)
            else {
                complete(token, with: .failure(IPMIClientError.sessionClosed))
                return .failed
            }
            encoded = sealed
        } catch let error where error.code == .tooManyOutstandingRequests {
            entry.isOnWire = false
            onWire -= 1
            queued.prepend(token)
            // A hold that ends frees an rqSeq; otherwise requests on the wire hold them all, and the end of each
            // starts the queue again.
            if let end = machine?.earliestHoldEnd(after: NIODeadline.now().uptimeNanoseconds) {
                wakeWhenHoldEnds(NIODeadline.uptimeNanoseconds(end))
            }
            return .waitingForRqSeq
        } catch {
            complete(token, with: .failure(error))
            return .failed
        }
        entry.rqSeq = encoded.rqSeq
        entry.windowRound = window.sent()
        bySequence[encoded.rqSeq] = token
        if entry.attempts > 0 { transport.statistics.retransmitted() }
        let now = NIODeadline.now()
        let attemptDeadline = now + TimeAmount(timeout)
        entry.sentAt = now
        entry.attemptDeadline = attemptDeadline
        armSweep(for: attemptDeadline)
        transport.send(encoded.packet, to: peer, lane: lane, flush: flush)
        return .sent
    }

    private func wakeWhenHoldEnds(_ end: NIODeadline) {
        guard holdWake == nil else { return }
        holdWake = eventLoop.scheduleTask(deadline: end) { [weak self] in
            guard let self else { return }
            self.assumeIsolated { client in
                client.holdWake = nil
                client.startQueuedRequests()
            }
        }
    }

    /// Frees `rqSeq` from an attempt given up on, held back from new requests with the same command while its
    /// answer may still come.
    private func giveUp(_ rqSeq: UInt8, sentAt: NIODeadline) {
        machine?.cancel(rqSeq: rqSeq)
        let now = NIODeadline.now().uptimeNanoseconds
        machine?.hold(rqSeq: rqSeq, until: strays.holdEnd(givenUpAttemptSentAt: sentAt.uptimeNanoseconds, now: now))
    }

    /// A stray answer came; `afterItsHold` when its rqSeq's hold had already ended.
    private func strayArrived(afterItsHold: Bool = false) {
        transport?.statistics.dropped(.late)
        strays.strayArrived(now: NIODeadline.now().uptimeNanoseconds, afterItsHold: afterItsHold)
    }

    /// Makes sure the sweep runs no later than `deadline`.
    private func armSweep(for deadline: NIODeadline) {
        if let sweep, sweep.at <= deadline { return }
        sweep?.timer.cancel()
        let timer = eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.assumeIsolated { $0.sweepExpiredAttempts() }
        }
        sweep = (deadline, timer)
    }

    /// Times out every attempt whose deadline has passed, oldest request first, and re-arms for the next one.
    private func sweepExpiredAttempts() {
        sweep = nil
        let now = NIODeadline.now()
        let expired = pending.compactMap { token, entry in
            entry.attemptDeadline.flatMap { $0 <= now ? token : nil }
        }
        for token in expired.sorted() { requestTimedOut(token) }
        if let next = pending.values.compactMap(\.attemptDeadline).min() { armSweep(for: next) }
    }

    private func requestTimedOut(_ token: Int) {
        guard let entry = pending[token], let rqSeq = entry.rqSeq else { return }
        giveUp(rqSeq, sentAt: entry.sentAt)
        bySequence[rqSeq] = nil
        entry.rqSeq = nil
        entry.attemptDeadline = nil
        entry.attempts += 1
        window.timedOut(entry.windowRound)
        if entry.attempts > options.retries {
            return complete(token, with: .failure(timeoutError(entry)))
        }
        logger.debug("retransmitting", metadata: ["request": "\(describe(entry.request.netFn, entry.request.command))"])
        if onWire > window.width {
            // The window just narrowed: this request waits for a free slot like a new one, ahead of them.
            entry.isOnWire = false
            onWire -= 1
            queued.prepend(token)
        } else {
            transmit(token, entry)
        }
    }

    /// Finishes a request with its outcome, frees its window slot and starts the next queued one.
    private func complete(_ token: Int, with result: Result<IPMIResponse, any Error>) {
        guard let entry = pending.removeValue(forKey: token) else { return }
        if let rqSeq = entry.rqSeq {
            bySequence[rqSeq] = nil
            switch result {
            case .failure:
                // Given up before its answer or timeout (cancelled, session gone): it tells nothing of the width.
                window.abandoned(entry.windowRound)
                giveUp(rqSeq, sentAt: entry.sentAt)
            case .success:
                window.answered(entry.windowRound)
                let now = NIODeadline.now()
                if entry.attempts == 0 { retransmission.measured(Duration(now - entry.sentAt)) }
                if let end = strays.answered(now: now.uptimeNanoseconds) { machine?.hold(rqSeq: rqSeq, until: end) }
            }
        }
        if entry.isOnWire { onWire -= 1 }
        entry.completion(result)
        if !queued.isEmpty {
            startQueuedRequests()
        } else if pending.isEmpty {
            // A batch grows both tables to its size; between scrapes an exporter keeps thousands of idle clients.
            pending = [:]
            if queued.capacity > 16 { queued = CircularBuffer() }
        }
    }

    private func timeoutError(_ entry: PendingRequest) -> IPMIClientError {
        .timeout(
            after: .now - entry.start,
            during: "a response to \(describe(entry.request.netFn, entry.request.command))")
    }

    // MARK: - Inbound

    /// The transport calls `receive` on this client's event loop, so the datagram is handled right there.
    private nonisolated func makeInbox() -> IPMITransport.SessionInbox {
        IPMITransport.SessionInbox(
            lane: lane,
            receive: { [weak self] datagram in
                guard let self else { return }
                if self.eventLoop.inEventLoop {
                    // Called from the transport's read, which sends what the answers released when the burst ends.
                    // The actor's executor is this loop, so it is isolated here already; `assumeIsolated` checks that.
                    self.assumeIsolated { $0.deliver(datagram, inReadBurst: true) }
                } else {
                    self.eventLoop.execute { self.assumeIsolated { $0.deliver(datagram, inReadBurst: false) } }
                }
            },
            finish: { [weak self] in
                guard let self else { return }
                self.eventLoop.execute { self.assumeIsolated { $0.transportClosed() } }
            })
    }

    private func deliver(_ datagram: [UInt8], inReadBurst: Bool) {
        // Optional chaining mutates the machine in place; `machine!` or a nil check would copy it first.
        guard let action = machine?.receive(datagram) else { return }
        delivering = inReadBurst
        defer { delivering = false }
        switch action {
        case .response(let rqSeq, let netFn, let command, let response):
            if command == AppCommand.closeSession, netFn == .app, let wait = closeWait {
                closeWait = nil
                wait.timer.cancel()
                wait.continuation.resume()
                return
            }
            guard let token = bySequence[rqSeq], let entry = pending[token],
                entry.request.netFn == netFn, entry.request.command == command
            else {
                strayArrived()
                return
            }
            complete(token, with: .success(response))
        case .dropped(let reason):
            switch reason {
            case .late:
                // A late answer, or a second answer to a duplicated request, under a held rqSeq; the rqSeq may not
                // have been used again since its hold ended.
                let holdEnded = machine?.lastLateAnswerHoldEnd.map { $0 < NIODeadline.now().uptimeNanoseconds }
                strayArrived(afterItsHold: holdEnded ?? false)
            case .replayed:
                // A second copy of an answer already taken.
                strayArrived()
            case .unmatchedResponse:
                // An answer under an rqSeq whose hold had ended: the network delays longer than the horizon.
                strayArrived(afterItsHold: true)
            default:
                transport?.statistics.dropped(.rejected)
            }
            logger.debug("dropped packet", metadata: ["reason": "\(reason)"])
        case .none:
            break
        case .send, .established, .failed:
            if let wait = handshakeWait {
                handshakeWait = nil
                wait.timer.cancel()
                wait.continuation.resume(returning: action)
            } else {
                handshakeBacklog.append(action)
            }
        }
    }

    private func transportClosed() {
        transport = nil
        machine = nil
        established.store(false, ordering: .releasing)
        session = nil
        failAllWaits()
    }

    private func failAllWaits() {
        queued.removeAll()
        sweep?.timer.cancel()
        sweep = nil
        holdWake?.cancel()
        holdWake = nil
        for token in Array(pending.keys) { complete(token, with: .failure(IPMIClientError.sessionClosed)) }
        if let wait = handshakeWait {
            handshakeWait = nil
            wait.timer.cancel()
            wait.continuation.resume(returning: .failed(IPMIError.sessionClosed()))
        }
        if let wait = closeWait {
            closeWait = nil
            wait.timer.cancel()
            wait.continuation.resume()
        }
    }

    // MARK: - Close

    /// Closes the session politely (Close Session, waiting briefly for its answer) and releases the
    /// transport registration. Safe to call more than once, and after a failed connect.
    public func close() async {
        if isConnected, let transport, let peer, let packet = try? machine?.encodeClose() {
            established.store(false, ordering: .releasing)
            // The answer is a courtesy: the BMC forgets the session either way, so one short wait.
            transport.send(packet, to: peer, lane: lane)
            await withCheckedContinuation { continuation in
                let timer = eventLoop.scheduleTask(in: TimeAmount(options.closeTimeout)) { [weak self] in
                    guard let self else { return }
                    self.assumeIsolated { client in
                        guard let wait = client.closeWait else { return }
                        client.closeWait = nil
                        wait.continuation.resume()
                    }
                }
                closeWait = (continuation, timer)
            }
        }
        await teardown()
    }

    /// Forgets the session without telling the BMC, for when the BMC has already dropped it (it stopped
    /// answering, or rebooted); the next ``connect()`` starts a fresh handshake.
    public func reset() async {
        await teardown()
    }

    private func teardown() async {
        if let transport, let peer, consoleSessionID != 0 {
            transport.unregister(peer: peer, consoleSessionID: consoleSessionID)
        }
        machine = nil
        established.store(false, ordering: .releasing)
        session = nil
        failAllWaits()
        consoleSessionID = 0
        if sharedTransport == nil, let transport {
            await transport.close()
        }
        transport = nil
    }

    // MARK: - Helpers

    private func makeToken() -> Int {
        nextToken &+= 1
        return nextToken
    }

    /// How long to wait for one attempt: `wait` (the request timeout unless given), shortened to what is left before
    /// `deadline`;
    /// nil once the deadline has passed.
    private func attemptTimeout(
        _ wait: Duration? = nil, before deadline: ContinuousClock.Instant?
    ) -> Duration? {
        let wait = wait ?? options.requestTimeout
        guard let deadline else { return wait }
        let left = ContinuousClock.now.duration(to: deadline)
        return left > .zero ? min(wait, left) : nil
    }

    private func describe(_ netFn: NetFn, _ command: UInt8) -> String {
        "\(netFn) command 0x" + String(command, radix: 16)
    }
}
