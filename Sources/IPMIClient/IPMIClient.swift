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
    private var book: RequestBook
    /// The caller waiting for each request of the book.
    private var completions: [Int: (Result<IPMIResponse, any Error>) -> Void] = [:]
    private var startingQueued = false
    /// True while an answer read from the socket is handled: requests it lets onto the wire are flushed by the
    /// transport when the read burst ends, so the answers of one burst release their followers in one write.
    private var delivering = false
    /// One timer for all requests on the wire, armed for the earliest attempt deadline: a timer per request
    /// would be scheduled and cancelled for every packet, which costs more than the packet itself.
    private var sweep: (at: NIODeadline, timer: Scheduled<Void>)?
    private var closeWait: (continuation: CheckedContinuation<Void, Never>, timer: Scheduled<Void>)?

    /// When an rqSeq is held back after its request ended, so a stray answer cannot complete a newer request.
    private var strays: StrayAnswerPolicy
    private var holdWake: Scheduled<Void>?

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
        self.book = RequestBook(
            maximumOutstanding: options.maxOutstandingRequests, retries: options.retries,
            requestTimeout: options.requestTimeout, minimumRetransmitTimeout: options.minimumRetransmitTimeout)
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
        book.sessionStarted()
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
                // An answer that moves the handshake on starts the next step with all its retries
                // (ClientOptions.retries counts per step): a BMC slow at every step is slow, not gone.
                if case .send = event { attempts = 0 }
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
                self.assumeIsolated { _ = $0.resumeHandshake(with: nil) }
            }
            handshakeWait = (continuation, timer)
        }
    }

    /// Hands the handshake step waiting for an event this one (nil: its time is up); false when no step waits.
    @discardableResult
    private func resumeHandshake(with event: SessionAction?) -> Bool {
        guard let wait = handshakeWait else { return false }
        handshakeWait = nil
        wait.timer.cancel()
        wait.continuation.resume(returning: event)
        return true
    }

    // MARK: - Requests

    /// Sends one request through the session and waits for its response, retransmitting after
    /// ``ClientOptions/requestTimeout`` up to ``ClientOptions/retries`` times, never past
    /// ``IPMIDeadline/current``. A non-zero completion code is returned in the response.
    public func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        guard isConnected else { throw IPMIClientError.notConnected }
        let token = book.makeToken()
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
        let tokens = batch.map { _ in book.makeToken() }
        let deadline = IPMIDeadline.current
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else {
                    return continuation.resume(returning: batch.map { _ in .failure(CancellationError()) })
                }
                let collected = BatchResults(count: batch.count, continuation: continuation)
                book.reserveCapacity(batch.count)
                completions.reserveCapacity(completions.count + batch.count)
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
        book.submit(token, request, deadline: deadline, start: .now)
        completions[token] = completion
        startQueuedRequests()
    }

    /// Puts queued requests on the wire while the window has room. A request that fails at once (session gone,
    /// deadline passed) completes inside the loop; the flag keeps that from starting a nested loop.
    private func startQueuedRequests() {
        guard !startingQueued else { return }
        startingQueued = true
        defer { startingQueued = false }
        var sent = 0
        starting: while case let (token, entry)? = book.startNext() {
            switch transmit(token, entry, flush: false) {
            case .sent: sent += 1
            case .failed: break
            case .waitingForRqSeq: break starting
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
    private func transmit(_ token: Int, _ entry: RequestBook.Entry, flush: Bool = true) -> TransmitOutcome {
        guard let transport, let peer, isConnected else {
            complete(token, with: .failure(IPMIClientError.sessionClosed))
            return .failed
        }
        guard let timeout = attemptTimeout(book.attemptWait(entry), before: entry.deadline) else {
            complete(token, with: .failure(timeoutError(entry)))
            return .failed
        }
        let request = entry.request
        let encoded: (rqSeq: UInt8, packet: [UInt8])
        do {
            guard
                let sealed = try machine?.encodeRequest(
                    netFn: request.netFn, command: request.command, data: request.data, lun: request.lun,
                    bridge: request.bridge, now: NIODeadline.now().uptimeNanoseconds)
            else {
                complete(token, with: .failure(IPMIClientError.sessionClosed))
                return .failed
            }
            encoded = sealed
        } catch let error where error.code == .tooManyOutstandingRequests {
            book.requeue(token)
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
        let now = NIODeadline.now()
        let attemptDeadline = now + TimeAmount(timeout)
        let isRetransmission = book.sent(
            token, rqSeq: encoded.rqSeq, now: now.uptimeNanoseconds, deadline: attemptDeadline.uptimeNanoseconds)
        if isRetransmission { transport.statistics.retransmitted() }
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
    private func giveUp(_ rqSeq: UInt8, sentAt: UInt64, now: UInt64 = NIODeadline.now().uptimeNanoseconds) {
        machine?.cancel(rqSeq: rqSeq)
        machine?.hold(rqSeq: rqSeq, until: strays.holdEnd(givenUpAttemptSentAt: sentAt, now: now))
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
        for token in book.dueAttempts(now: NIODeadline.now().uptimeNanoseconds) { requestTimedOut(token) }
        if let next = book.nextAttemptDeadline { armSweep(for: .uptimeNanoseconds(next)) }
    }

    private func requestTimedOut(_ token: Int) {
        guard case let (entry, rqSeq, then)? = book.attemptTimedOut(token) else { return }
        giveUp(rqSeq, sentAt: entry.sentAt)
        if then == .expired { return complete(token, with: .failure(timeoutError(entry))) }
        logger.debug("retransmitting", metadata: ["request": "\(describe(entry.request.netFn, entry.request.command))"])
        if then == .retransmit { transmit(token, entry) }
    }

    /// Finishes a request with its outcome, frees its window slot and starts the next queued one.
    private func complete(_ token: Int, with result: Result<IPMIResponse, any Error>) {
        let now = NIODeadline.now().uptimeNanoseconds
        let answered = if case .success = result { true } else { false }
        guard let entry = book.finish(token, answered: answered, now: now) else { return }
        if let rqSeq = entry.rqSeq {
            if !answered {
                giveUp(rqSeq, sentAt: entry.sentAt, now: now)
            } else if let end = strays.answered(now: now) {
                machine?.hold(rqSeq: rqSeq, until: end)
            }
        }
        completions.removeValue(forKey: token)?(result)
        if book.hasQueued {
            startQueuedRequests()
        } else if book.isEmpty {
            completions = [:]
        }
    }

    private func timeoutError(_ entry: RequestBook.Entry) -> IPMIClientError {
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
            if command == AppCommand.closeSession, netFn == .app, endCloseWait() { return }
            guard let token = book.match(rqSeq: rqSeq, netFn: netFn, command: command) else {
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
            if !resumeHandshake(with: action) { handshakeBacklog.append(action) }
        }
    }

    private func transportClosed() {
        transport = nil
        endSession()
    }

    /// Forgets the session's state and fails everything that waits on it.
    private func endSession() {
        machine = nil
        established.store(false, ordering: .releasing)
        session = nil
        book.dropQueue()
        sweep?.timer.cancel()
        sweep = nil
        holdWake?.cancel()
        holdWake = nil
        for token in book.tokens { complete(token, with: .failure(IPMIClientError.sessionClosed)) }
        resumeHandshake(with: .failed(IPMIError.sessionClosed()))
        endCloseWait()
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
                    self.assumeIsolated { _ = $0.endCloseWait() }
                }
                closeWait = (continuation, timer)
            }
        }
        await teardown()
    }

    /// Stops waiting for the answer to Close Session (it came, its time is up, or the session is gone); false when
    /// nothing waits for it.
    @discardableResult
    private func endCloseWait() -> Bool {
        guard let wait = closeWait else { return false }
        closeWait = nil
        wait.timer.cancel()
        wait.continuation.resume()
        return true
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
        endSession()
        consoleSessionID = 0
        if sharedTransport == nil, let transport {
            await transport.close()
        }
        transport = nil
    }

    // MARK: - Helpers

    /// How long to wait for one attempt: `wait` (the request timeout unless given), shortened to what is left before
    /// `deadline`; nil once the deadline has passed.
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
