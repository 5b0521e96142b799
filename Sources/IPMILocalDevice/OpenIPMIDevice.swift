import COpenIPMI
import IPMI
import IPMIClient
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Timing of requests through the local device.
public struct LocalDeviceOptions: Sendable {
    /// The longest wait for one answer before the request is queued again. The kernel driver already retries the
    /// system interface itself and answers with a completion code (0xC3, 0xFF) when the BMC fails, so this only
    /// catches a BMC or driver that has stopped altogether; a BMC busy with a long SDR read takes seconds. ipmitool
    /// waits 15 s, FreeIPMI 60 s: 5 s with one retry stays under a Prometheus scrape timeout.
    public var requestTimeout: Duration = .seconds(5)
    /// How many times a request is queued again after a timeout.
    public var retries: Int = 1

    public init() {}
}

/// The node's own BMC through the Linux OpenIPMI driver's character device (`/dev/ipmi0`): requests go to the
/// system interface (KCS, SMIC, BT or SSIF) with `IPMICTL_SEND_COMMAND`, and answers come back with
/// `IPMICTL_RECEIVE_MSG_TRUNC`, matched by the `msgid` we gave the request. No session, no authentication: the
/// device's file permissions are the access control. It implements ``IPMIRequester``, so SDR reading and every
/// collector run over it as over an RMCP+ session.
///
/// ```swift
/// let device = try await OpenIPMIDevice.open(logger: logger)   // /dev/ipmi0, /dev/ipmi/0 or /dev/ipmidev/0
/// let deviceID = try await device.call(netFn: .app, command: 0x01)
/// await device.close()
/// ```
///
/// Where the waiting happens: the descriptor is opened non-blocking and watched by the epoll of one of the transport's
/// own ``DatagramLoop``s (the loop is this actor's executor), so no thread ever blocks in the driver: the send ioctl
/// only queues the message in the kernel, a receive ioctl runs when epoll says an answer is waiting, and timeouts are
/// the loop's timers. A dedicated thread blocked in `poll`, or short polls on the cooperative pool, would cost a thread
/// or wake-ups for nothing; NIO's own event loops serving HTTP are not touched.
///
/// With a ``BridgeTarget`` every request goes to that controller on its IPMB channel instead (IPMB address type): the
/// kernel wraps it in Send Message and unwraps the answer, as it does for `ipmitool -I open -b -t`. A request of a
/// batch that names its own ``IPMIRequest/bridge`` goes to that controller the same way.
public actor OpenIPMIDevice: IPMIRequester {
    /// Where the kernel's device is, in the order ipmitool and FreeIPMI look: udev's name, then the devfs names.
    public static let standardPaths = ["/dev/ipmi0", "/dev/ipmi/0", "/dev/ipmidev/0"]

    public nonisolated let path: String
    public nonisolated let bridge: BridgeTarget?
    /// The loop whose epoll watches the device and whose thread runs this actor.
    public nonisolated let eventLoop: DatagramLoop
    private nonisolated let executor: any SerialExecutor
    /// A task executor on ``eventLoop``, for callers whose requests should run where the device's answers are read.
    public nonisolated let taskExecutor: EventLoopTaskExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let descriptor: CInt
    private let options: LocalDeviceOptions
    private let logger: Logger
    /// Open until ``close()`` or the loop stops; then every request fails.
    private var isOpen = true
    private var watching = false
    private var nextToken = 0
    /// The kernel hands `msgid` back as it was given; ours count up from 1 and are never reused in a process's life
    /// (a `long` does not wrap), so a late answer cannot be taken for a newer request's.
    private var nextMessageID = 1
    private var pending: [Int: Pending] = [:]
    /// The request (token) each msgid in flight belongs to.
    private var byMessageID: [Int: Int] = [:]

    private final class Pending {
        let request: IPMIRequest
        let deadline: ContinuousClock.Instant?
        let start = ContinuousClock.now
        let continuation: CheckedContinuation<IPMIResponse, any Error>
        var attempts = 0
        var messageIDs: [Int] = []
        var timer: Scheduled<Void>?

        init(
            request: IPMIRequest, deadline: ContinuousClock.Instant?,
            continuation: CheckedContinuation<IPMIResponse, any Error>
        ) {
            self.request = request
            self.deadline = deadline
            self.continuation = continuation
        }
    }

    private init(
        path: String, descriptor: CInt, bridge: BridgeTarget?, options: LocalDeviceOptions, eventLoop: DatagramLoop,
        logger: Logger
    ) {
        self.path = path
        self.descriptor = descriptor
        self.bridge = bridge
        self.options = options
        self.eventLoop = eventLoop
        self.executor = eventLoop.executor
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
        var logger = logger
        logger[metadataKey: "device"] = "\(path)"
        self.logger = logger
    }

    /// Opens the device: `path`, or the first of ``standardPaths`` that exists. Throws ``LocalDeviceError``: no
    /// device (the kernel modules are not loaded), permission denied (with the device's owner, group and mode), or
    /// another reason to refuse.
    /// - Parameters:
    ///   - bridge: send every request to this IPMB controller instead of the BMC.
    ///   - eventLoop: the loop that watches the device; one of ``DatagramLoopGroup/singleton`` when nil.
    public static func open(
        path: String? = nil, bridge: BridgeTarget? = nil, options: LocalDeviceOptions = LocalDeviceOptions(),
        eventLoop: DatagramLoop? = nil, logger: Logger
    ) async throws -> OpenIPMIDevice {
        let candidates = path.map { [$0] } ?? standardPaths
        for candidate in candidates {
            let descriptor = copenipmi_open(candidate)
            if descriptor < 0 {
                let code = errno
                switch code {
                // Not there, or a node without a driver or interface behind it (ipmi_si found no BMC).
                case ENOENT, ENXIO, ENODEV: continue
                case EACCES, EPERM: throw LocalDeviceError.permissionDenied(candidate, access: access(of: candidate))
                default: throw LocalDeviceError.cannotOpen(candidate, errno: code)
                }
            }
            let device = OpenIPMIDevice(
                path: candidate, descriptor: descriptor, bridge: bridge, options: options,
                eventLoop: eventLoop ?? DatagramLoopGroup.singleton.nextLoop(), logger: logger)
            try await device.startWatching()
            return device
        }
        throw LocalDeviceError.noDevice(candidates)
    }

    /// The first of `paths` that exists, or nil when none does (the exporter's test for local collection).
    public static func existingPath(among paths: [String] = standardPaths) -> String? {
        paths.first { Glibc.access($0, F_OK) == 0 }
    }

    /// "owner root, group ipmi, mode crw-rw----" (numeric IDs when the names are unknown), for permission errors.
    static func access(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot stat it" }
        let owner = getpwuid(info.st_uid).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "\(info.st_uid)"
        let group = getgrgid(info.st_gid).flatMap { String(validatingCString: $0.pointee.gr_name) } ?? "\(info.st_gid)"
        return "owner \(owner), group \(group), mode \(modeString(info.st_mode))"
    }

    /// `ls -l`'s first column for the mode bits.
    static func modeString(_ mode: mode_t) -> String {
        let kind: Character =
            switch mode & S_IFMT {
            case S_IFCHR: "c"
            case S_IFDIR: "d"
            case S_IFBLK: "b"
            case S_IFREG: "-"
            default: "?"
            }
        let letters: [Character] = ["r", "w", "x"]
        var text = String(kind)
        for bit in (0..<9).reversed() {
            text.append(mode & (1 << mode_t(bit)) != 0 ? letters[(8 - bit) % 3] : "-")
        }
        return text
    }

    deinit {
        // Normally close() has run. If not, the loop stops watching the descriptor before it is closed, so that
        // epoll never reports a reused descriptor number to this (gone) device.
        guard isOpen else { return }
        let loop = eventLoop
        let descriptor = self.descriptor
        let watched = watching
        loop.execute {
            if watched { loop.unwatch(descriptor) }
            _ = Glibc.close(descriptor)
        }
    }

    private func startWatching() throws {
        do {
            try eventLoop.watch(
                descriptor,
                onReadable: { [weak self] in self?.assumeIsolated { $0.readAnswers() } },
                onStop: { [weak self] in self?.assumeIsolated { $0.shutDown(LocalDeviceError.closed($0.path)) } })
            watching = true
        } catch {
            shutDown(LocalDeviceError.closed(path))
            throw error
        }
    }

    /// Closes the device; requests still waiting fail.
    public func close() {
        shutDown(LocalDeviceError.closed(path))
    }

    private func shutDown(_ error: LocalDeviceError) {
        guard isOpen else { return }
        isOpen = false
        if watching { eventLoop.unwatch(descriptor) }
        watching = false
        _ = Glibc.close(descriptor)
        for token in Array(pending.keys) { complete(token, with: .failure(error)) }
    }

    // MARK: - Requests

    /// Sends one request to the BMC (or the bridge target) and waits for its answer, queueing it again after
    /// ``LocalDeviceOptions/requestTimeout`` up to ``LocalDeviceOptions/retries`` times, never past
    /// ``IPMIDeadline/current``. A non-zero completion code is returned in the response, including the ones the
    /// kernel makes up when the BMC fails (0xC3 timeout, 0xFF unspecified).
    public func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        try await perform(IPMIRequest(netFn: netFn, command: command, data: data, lun: lun))
    }

    /// Sends the requests one after the other (the system interface takes one at a time), each to its own
    /// ``IPMIRequest/bridge`` when it names one (Get Sensor Reading for a sensor of another controller, say), else as
    /// ``request(netFn:command:data:lun:)`` does. One failing request does not stop the others.
    public func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>] {
        var results: [Result<IPMIResponse, any Error>] = []
        results.reserveCapacity(batch.count)
        for request in batch {
            do {
                results.append(.success(try await perform(request)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    private func perform(_ request: IPMIRequest) async throws -> IPMIResponse {
        guard isOpen else { throw LocalDeviceError.closed(path) }
        let token = nextToken
        nextToken += 1
        let deadline = IPMIDeadline.current
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume(throwing: CancellationError()) }
                pending[token] = Pending(request: request, deadline: deadline, continuation: continuation)
                send(token)
            }
        } onCancel: {
            eventLoop.execute { [weak self] in
                self?.assumeIsolated { $0.complete(token, with: .failure(CancellationError())) }
            }
        }
    }

    /// Queues one attempt of a request in the kernel and arms its timer.
    private func send(_ token: Int) {
        guard let entry = pending[token] else { return }
        guard isOpen else { return complete(token, with: .failure(LocalDeviceError.closed(path))) }
        var wait = options.requestTimeout
        if let deadline = entry.deadline {
            let left = deadline - .now
            guard left > .zero else { return complete(token, with: .failure(timeoutError(entry))) }
            wait = min(wait, left)
        }
        let messageID = nextMessageID
        nextMessageID += 1
        let request = entry.request
        let target = request.bridge ?? bridge
        var address = copenipmi_address(
            kind: target == nil ? COPENIPMI_SYSTEM_INTERFACE : COPENIPMI_IPMB, channel: target?.channel ?? 0,
            slave_address: target?.address ?? 0, lun: request.lun & 0x03)
        // For IPMB the kernel retransmits on its own; one try per attempt of ours, each as long as the attempt.
        let milliseconds = UInt32(clamping: TimeBounds.milliseconds(wait))
        let sent = request.data.withUnsafeBufferPointer { bytes in
            copenipmi_send(
                descriptor, &address, messageID, request.netFn.rawValue, request.command, bytes.baseAddress,
                UInt16(clamping: bytes.count), 0, milliseconds)
        }
        guard sent == 0 else {
            let code = errno
            return complete(
                token,
                with: .failure(
                    LocalDeviceError.sendFailed(path, errno: code, netFn: request.netFn, command: request.command)))
        }
        entry.attempts += 1
        entry.messageIDs.append(messageID)
        byMessageID[messageID] = token
        let attempt = entry.attempts
        entry.timer?.cancel()
        entry.timer = eventLoop.scheduleTask(in: TimeAmount(wait)) { [weak self] in
            self?.assumeIsolated { $0.attemptTimedOut(token, attempt: attempt) }
        }
        if logger.logLevel <= .debug {
            logger.debug(
                "sent",
                metadata: [
                    "msgid": "\(messageID)",
                    "request": "\(CommandName.describe(netFn: request.netFn, command: request.command))",
                    "data": "\(CommandName.hex(request.data))",
                ])
        }
    }

    private func attemptTimedOut(_ token: Int, attempt: Int) {
        guard let entry = pending[token], entry.attempts == attempt else { return }
        entry.timer = nil
        // The earlier attempt's msgid stays mapped: if its answer comes after all, it completes the request.
        if entry.attempts <= options.retries {
            logger.debug("no answer in time, queueing the request again", metadata: ["attempt": "\(attempt)"])
            send(token)
        } else {
            complete(token, with: .failure(timeoutError(entry)))
        }
    }

    private func timeoutError(_ entry: Pending) -> LocalDeviceError {
        .timeout(path, after: .now - entry.start, netFn: entry.request.netFn, command: entry.request.command)
    }

    private func complete(_ token: Int, with result: Result<IPMIResponse, any Error>) {
        guard let entry = pending.removeValue(forKey: token) else { return }
        entry.timer?.cancel()
        for messageID in entry.messageIDs { byMessageID[messageID] = nil }
        entry.continuation.resume(with: result)
    }

    // MARK: - Answers

    /// Reads every message waiting on the device (epoll reported it readable) and completes the requests they answer.
    private func readAnswers() {
        var message = copenipmi_message()
        while isOpen {
            guard copenipmi_receive(descriptor, &message) == 0 else {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }
                // Nothing else is expected from a device that was readable; give up on it rather than spin.
                logger.error("reading the IPMI device failed", metadata: ["errno": "\(code)"])
                return shutDown(LocalDeviceError.readFailed(path, errno: code))
            }
            let bytes = withUnsafeBytes(of: &message.data) { Array($0.prefix(Int(message.length))) }
            handle(message, bytes)
        }
    }

    private func handle(_ message: copenipmi_message, _ bytes: [UInt8]) {
        // 1 = IPMI_RESPONSE_RECV_TYPE; events and commands from elsewhere are not for us (we did not ask for them).
        guard message.receive_type == 1, let token = byMessageID[Int(message.msgid)], let entry = pending[token]
        else {
            logger.debug(
                "ignored a message that answers no request of ours",
                metadata: ["type": "\(message.receive_type)", "msgid": "\(message.msgid)"])
            return
        }
        let request = entry.request
        // The kernel matched it by msgid; a netFn or command that is not the request's would be a driver bug.
        guard message.netfn == request.netFn.response, message.command == request.command, !bytes.isEmpty,
            message.truncated == 0
        else {
            return complete(
                token,
                with: .failure(
                    LocalDeviceError.malformed(
                        path,
                        "answer to \(CommandName.describe(netFn: request.netFn, command: request.command)) has netfn "
                            + "0x\(CommandName.hex([message.netfn])) command 0x\(CommandName.hex([message.command])) and \(bytes.count) bytes"
                            + (message.truncated != 0 ? " (truncated)" : ""))))
        }
        if logger.logLevel <= .debug {
            logger.debug(
                "received",
                metadata: ["msgid": "\(message.msgid)", "data": "\(CommandName.hex(bytes))"])
        }
        complete(
            token,
            with: .success(
                IPMIResponse(completionCode: CompletionCode(rawValue: bytes[0]), data: Array(bytes.dropFirst()))))
    }
}
