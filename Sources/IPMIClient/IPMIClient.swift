import IPMI
import Logging
import NIOCore

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
/// own on `connect()` and closes it on `close()`. Requests may be issued concurrently; at most
/// ``ClientOptions/maxOutstandingRequests`` are on the wire at once.
public actor IPMIClient: IPMIRequester {
    public nonisolated let host: String
    public nonisolated let port: Int
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
    private var reader: Task<Void, Never>?

    /// The negotiated cipher suite, privilege and session IDs once connected.
    public private(set) var session: NegotiatedSession?

    // Waiting machinery: every wait has a token; a response, a timeout or a cancellation resolves it.
    private var nextToken = 0
    private var handshakeWait: (token: Int, continuation: CheckedContinuation<SessionAction?, Never>)?
    private var handshakeBacklog: [SessionAction] = []
    private var responseWaits: [Int: ResponseWait] = [:]
    private var pendingSequences: [UInt8: Int] = [:]
    private var timers: [Int: Task<Void, Never>] = [:]
    private var inFlight = 0
    private var windowQueue: [CheckedContinuation<Void, Never>] = []
    private var closeToken: Int?
    private var connecting: Task<Void, any Error>?
    private var handshakeStart = ContinuousClock.now
    private let closeSessionCommand: UInt8 = 0x3C

    private struct ResponseWait {
        var netFn: NetFn
        var command: UInt8
        var continuation: CheckedContinuation<WaitOutcome, Never>?
    }

    private enum WaitOutcome {
        case response(IPMIResponse)
        case timedOut
        case closed
        case cancelled
    }

    /// Creates a client. Credentials are checked here (user name ≤ 16 bytes, password ≤ 20 bytes,
    /// K_g ≤ 20 bytes); nothing is sent until ``connect()``.
    /// - Parameters:
    ///   - cipherSuite: `nil` negotiates the strongest suite both sides support (17 first).
    ///   - bridge: send every request through Send Message to this IPMB controller.
    ///   - allowUnauthenticated: permit cipher suite 0 (no authentication at all).
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
        self.sharedTransport = transport
        var logger = logger
        logger[metadataKey: "bmc"] = "\(host):\(port)"
        self.logger = logger
    }

    public var isConnected: Bool { machine?.isEstablished ?? false }

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
        let task = Task { try await self.handshakeFromScratch() }
        connecting = task
        defer { connecting = nil }
        try await task.value
    }

    private func handshakeFromScratch() async throws {
        if isConnected { return }
        let transport = try await ensureTransport()
        let peer: SocketAddress
        do {
            peer = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw IPMIClientError.cannotResolve(host)
        }
        self.peer = peer
        let (id, inbox) = transport.register(peer: peer)
        consoleSessionID = id
        let configuration = SessionConfiguration(
            credentials: credentials,
            privilege: privilege,
            cipherSuite: cipherSuite,
            allowUnauthenticated: allowUnauthenticated,
            bridge: bridge,
            consoleSessionID: id)
        machine = SessionStateMachine(configuration: configuration, random: OpenSSLRandom())
        handshakeBacklog = []
        reader = Task { [weak self] in
            for await datagram in inbox {
                await self?.deliver(datagram)
            }
            await self?.inboxFinished()
        }
        do {
            try await handshake(transport: transport, peer: peer)
            transport.statistics.handshake(succeeded: true)
        } catch {
            transport.statistics.handshake(succeeded: false)
            await teardown()
            throw error
        }
    }

    private func ensureTransport() async throws -> IPMITransport {
        if let transport { return transport }
        let created: IPMITransport
        if let sharedTransport {
            created = sharedTransport
        } else {
            created = try await IPMITransport.bind(logger: logger)
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
                transport.send(packet, to: peer)
                action = try await awaitHandshakeStep(attempts: &attempts, transport: transport)
            case .established(let negotiated):
                session = negotiated
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
            let timeout = try effectiveTimeout(
                options.requestTimeout, phase: "the BMC during session set-up", since: handshakeStart)
            if let event = await nextHandshakeEvent(timeout: timeout) {
                return event
            }
            try Task.checkCancellation()
            attempts += 1
            if attempts > options.retries {
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
        let token = makeToken()
        return await withCheckedContinuation { continuation in
            handshakeWait = (token, continuation)
            timers[token] = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.handshakeTimedOut(token)
            }
        }
    }

    private func handshakeTimedOut(_ token: Int) {
        timers[token] = nil
        guard let wait = handshakeWait, wait.token == token else { return }
        handshakeWait = nil
        wait.continuation.resume(returning: nil)
    }

    // MARK: - Requests

    /// Sends one request through the session and waits for its response, retransmitting after
    /// ``ClientOptions/requestTimeout`` up to ``ClientOptions/retries`` times, never past
    /// ``IPMIDeadline/current``. A non-zero completion code is returned in the response.
    public func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        guard let transport, let peer, machine?.isEstablished == true else { throw IPMIClientError.notConnected }
        await acquireWindowSlot()
        defer { releaseWindowSlot() }
        let token = makeToken()
        responseWaits[token] = ResponseWait(netFn: netFn, command: command, continuation: nil)
        defer { forgetWait(token) }
        let start = ContinuousClock.now
        var attempt = 0
        while true {
            guard machine != nil else { throw IPMIClientError.sessionClosed }
            let timeout = try effectiveTimeout(
                options.requestTimeout, phase: "a response to \(describe(netFn, command))", since: start)
            let (rqSeq, packet) = try machine!.encodeRequest(netFn: netFn, command: command, data: data, lun: lun)
            pendingSequences[rqSeq] = token
            if attempt > 0 { transport.statistics.retransmitted() }
            transport.send(packet, to: peer)
            switch await waitForResponse(token, timeout: timeout) {
            case .response(let response):
                return response
            case .closed:
                throw IPMIClientError.sessionClosed
            case .cancelled:
                throw CancellationError()
            case .timedOut:
                machine?.cancel(rqSeq: rqSeq)
                attempt += 1
                if attempt > options.retries {
                    throw IPMIClientError.timeout(
                        after: .now - start, during: "a response to \(describe(netFn, command))")
                }
                logger.debug("retransmitting", metadata: ["request": "\(describe(netFn, command))"])
            }
        }
    }

    private func waitForResponse(_ token: Int, timeout: Duration) async -> WaitOutcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: .cancelled)
                    return
                }
                responseWaits[token]?.continuation = continuation
                timers[token] = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.resolve(token, with: .timedOut)
                }
            }
        } onCancel: {
            Task { await self.resolve(token, with: .cancelled) }
        }
    }

    private func resolve(_ token: Int, with outcome: WaitOutcome) {
        timers.removeValue(forKey: token)?.cancel()
        guard let continuation = responseWaits[token]?.continuation else { return }
        responseWaits[token]?.continuation = nil
        continuation.resume(returning: outcome)
    }

    private func forgetWait(_ token: Int) {
        timers.removeValue(forKey: token)?.cancel()
        responseWaits[token] = nil
        pendingSequences = pendingSequences.filter { $0.value != token }
    }

    private func acquireWindowSlot() async {
        if inFlight < max(1, options.maxOutstandingRequests) {
            inFlight += 1
            return
        }
        await withCheckedContinuation { windowQueue.append($0) }
    }

    private func releaseWindowSlot() {
        if windowQueue.isEmpty {
            inFlight -= 1
        } else {
            // The slot passes straight to the next waiter.
            windowQueue.removeFirst().resume()
        }
    }

    // MARK: - Inbound

    private func deliver(_ datagram: [UInt8]) {
        guard machine != nil else { return }
        let action = machine!.receive(datagram)
        switch action {
        case .response(let rqSeq, let netFn, let command, let response):
            if command == closeSessionCommand, netFn == .app, let token = closeToken {
                resolve(token, with: .response(response))
                return
            }
            guard let token = pendingSequences[rqSeq], let wait = responseWaits[token],
                wait.netFn == netFn, wait.command == command
            else {
                transport?.statistics.dropped(.late)
                return
            }
            resolve(token, with: .response(response))
        case .dropped(let reason):
            transport?.statistics.dropped(.rejected)
            logger.debug("dropped packet", metadata: ["reason": "\(reason)"])
        case .none:
            break
        case .send, .established, .failed:
            if let wait = handshakeWait {
                handshakeWait = nil
                timers.removeValue(forKey: wait.token)?.cancel()
                wait.continuation.resume(returning: action)
            } else {
                handshakeBacklog.append(action)
            }
        }
    }

    private func inboxFinished() {
        failAllWaits()
    }

    private func failAllWaits() {
        for token in Array(responseWaits.keys) { resolve(token, with: .closed) }
        if let wait = handshakeWait {
            handshakeWait = nil
            wait.continuation.resume(returning: .failed(IPMIError.sessionClosed()))
        }
    }

    // MARK: - Close

    /// Closes the session politely (Close Session, waiting briefly for its answer) and releases the
    /// transport registration. Safe to call more than once, and after a failed connect.
    public func close() async {
        if machine?.isEstablished == true, let transport, let peer,
            let packet = try? machine!.encodeClose()
        {
            // The answer is a courtesy: the BMC forgets the session either way, so one short wait.
            let token = makeToken()
            responseWaits[token] = ResponseWait(netFn: .app, command: closeSessionCommand, continuation: nil)
            closeToken = token
            transport.send(packet, to: peer)
            _ = await waitForResponse(token, timeout: options.closeTimeout)
            closeToken = nil
            forgetWait(token)
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
        session = nil
        failAllWaits()
        for timer in timers.values { timer.cancel() }
        timers = [:]
        reader?.cancel()
        reader = nil
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

    /// The per-attempt timeout shortened to what is left before the task's deadline.
    private func effectiveTimeout(
        _ timeout: Duration, phase: String, since start: ContinuousClock.Instant
    ) throws -> Duration {
        guard let deadline = IPMIDeadline.current else { return timeout }
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { throw IPMIClientError.timeout(after: .now - start, during: phase) }
        return min(timeout, left)
    }

    private func describe(_ netFn: NetFn, _ command: UInt8) -> String {
        "\(netFn) command 0x" + String(command, radix: 16)
    }
}
