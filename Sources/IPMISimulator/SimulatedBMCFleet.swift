import Foundation
import IPMI
import Logging
import NIOCore
import NIOPosix

/// Many simulated BMCs in one process, one UDP socket each on consecutive ports. Each BMC's state is confined
/// to its channel's event loop; the shared ``BMCProfile`` keeps per-BMC memory small.
public final class SimulatedBMCFleet: Sendable {
    /// "host:port" of every BMC, in index order.
    public let addresses: [String]
    /// The bound ports, in index order.
    public let ports: [Int]
    public let profile: BMCProfile
    private let channels: [any Channel]
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let logger: Logger

    private init(
        channels: [any Channel], host: String, profile: BMCProfile, ownedGroup: MultiThreadedEventLoopGroup?,
        logger: Logger
    ) {
        self.channels = channels
        self.ports = channels.map { $0.localAddress?.port ?? 0 }
        self.addresses = ports.map { host.contains(":") ? "[\(host)]:\($0)" : "\(host):\($0)" }
        self.profile = profile
        self.ownedGroup = ownedGroup
        self.logger = logger
    }

    /// Starts `count` BMCs on `host`, ports `basePort`, `basePort + 1`, … (`basePort` 0: any free ports).
    /// The configuration defaults to the built-in server; `faults` apply to every BMC until changed.
    public static func start(
        count: Int, basePort: Int, host: String = "127.0.0.1",
        configuration: SimulatorConfiguration = .defaultServer, faults: BMCFaults = .none,
        group: (any EventLoopGroup)? = nil, logger: Logger
    ) async throws -> SimulatedBMCFleet {
        precondition(count > 0, "a fleet needs at least one BMC")
        let profile = try BMCProfile(configuration)
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: min(4, System.coreCount)) : nil
        let loopGroup: any EventLoopGroup = group ?? ownedGroup!
        let bootTime = Date().timeIntervalSince1970
        // Bind in batches so thousands of BMCs start in seconds without flooding the event loops.
        var channels: [any Channel] = []
        channels.reserveCapacity(count)
        var failure: (any Error)?
        for batchStart in stride(from: 0, to: count, by: 256) {
            var pending: [EventLoopFuture<any Channel>] = []
            for index in batchStart..<min(count, batchStart + 256) {
                let port = basePort == 0 ? 0 : basePort + index
                pending.append(
                    DatagramBootstrap(group: loopGroup)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let bmc = SimulatedBMC(profile: profile, index: index, bootTime: bootTime)
                                try channel.pipeline.syncOperations.addHandler(
                                    BMCChannelHandler(bmc: bmc, faults: faults, seed: UInt64(index)))
                            }
                        }
                        .bind(host: host, port: port))
            }
            for future in pending {
                do {
                    channels.append(try await OnLoop(future.eventLoop).value(of: future))
                } catch {
                    failure = failure ?? error
                }
            }
            if failure != nil { break }
        }
        if let failure {
            for channel in channels { try? await channel.close() }
            try? await ownedGroup?.shutdownGracefully()
            throw failure
        }
        logger.info(
            "simulated BMCs listening",
            metadata: [
                "count": "\(count)", "first": "\(host):\(channels.first?.localAddress?.port ?? 0)",
                "sensors": "\(profile.sensors.count)",
            ])
        return SimulatedBMCFleet(
            channels: channels, host: host, profile: profile, ownedGroup: ownedGroup, logger: logger)
    }

    public var count: Int { channels.count }

    /// Runs `body` on BMC `index`'s event loop, where its state lives (internal: the truth extension uses it).
    func withHandler<T: Sendable>(
        _ index: Int, _ body: @escaping @Sendable (BMCChannelHandler) -> T
    ) async throws -> T {
        let channel = channels[index]
        let future = channel.eventLoop.submit {
            body(try channel.pipeline.syncOperations.handler(type: BMCChannelHandler.self))
        }
        return try await OnLoop(channel.eventLoop).value(of: future)
    }

    /// Changes the faults of one BMC.
    public func setFaults(_ faults: BMCFaults, bmc index: Int) async throws {
        try await withHandler(index) { $0.faults = faults }
    }

    /// Simulates a reboot of one BMC: sessions wiped, SDR/SEL timestamps changed, reservations cancelled.
    public func reboot(bmc index: Int) async throws {
        try await withHandler(index) { $0.bmc.reboot(at: Date().timeIntervalSince1970) }
    }

    /// The data one BMC answers to Get Sensor Reading for sensor `number` now (nil: no such sensor): the truth
    /// that readings taken through a faulty network are compared with.
    public func sensorReading(bmc index: Int, sensor number: UInt8) async throws -> [UInt8]? {
        try await withHandler(index) { handler in
            let (code, data) = handler.bmc.sensorReading([number], now: Date().timeIntervalSince1970)
            return code == .normal ? data : nil
        }
    }

    /// Simulates a restart of one BMC's IPMI service: its sessions are forgotten, its repositories are not.
    public func loseSessions(bmc index: Int) async throws {
        try await withHandler(index) { $0.bmc.loseSessions() }
    }

    /// Drops the next `count` datagrams one BMC receives, whatever they are, then answers again as before.
    public func dropNextDatagrams(_ count: Int, bmc index: Int) async throws {
        try await withHandler(index) { $0.dropNext = max(0, count) }
    }

    /// Get SDR requests one BMC has answered (with data or not) since it started.
    public func getSDRRequests(bmc index: Int) async throws -> Int {
        try await withHandler(index) { $0.bmc.getSDRRequests }
    }

    /// In-session requests one BMC answered with C1h (invalid command) since it started.
    public func refusedRequests(bmc index: Int) async throws -> Int {
        try await withHandler(index) { $0.bmc.refusedRequests }
    }

    /// Requests one BMC dropped since it started because its queue was full (``BMCFaults/queueDepth``).
    public func queueDrops(bmc index: Int) async throws -> Int {
        try await withHandler(index) { $0.queueDrops }
    }

    /// The most requests one BMC has held at once, each received and not yet answered (its answer waiting out the
    /// BMC's latency, service time and round trip), since it started: how many requests a console had on the wire.
    public func mostRequestsInFlight(bmc index: Int) async throws -> Int {
        try await withHandler(index) { $0.mostInFlight }
    }

    /// Number of sessions (including handshakes in progress) one BMC holds.
    public func sessionCount(bmc index: Int) async throws -> Int {
        try await withHandler(index) { $0.bmc.sessionCount }
    }

    /// Closes every socket (and the event loops the fleet created itself).
    public func stop() async {
        for channel in channels {
            channel.close(promise: nil)
            _ = try? await OnLoop(channel.eventLoop).value(of: channel.closeFuture)
        }
        try? await ownedGroup?.shutdownGracefully()
        logger.info("simulated BMCs stopped", metadata: ["count": "\(channels.count)"])
    }
}

/// Waits for a future from its own event loop: the callback then resumes the wait on that thread, or a Swift job
/// carries it there. `future.get()` from another thread is often resumed before its task suspends, an order this
/// toolchain's ThreadSanitizer does not see (it reports a race on the task's memory; `make tsan` runs these tests).
private actor OnLoop {
    nonisolated let loop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    init(_ loop: any EventLoop) { self.loop = loop }

    /// Not `future.get()`, which is nonisolated and would run off the loop again.
    func value<T: Sendable>(of future: EventLoopFuture<T>) async throws -> T {
        try await withUnsafeThrowingContinuation { continuation in
            future.whenComplete { continuation.resume(with: $0) }
        }
    }
}

/// Feeds datagrams to one ``SimulatedBMC`` and applies its faults.
final class BMCChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    var bmc: SimulatedBMC
    var faults: BMCFaults
    /// Datagrams still to drop (see ``SimulatedBMCFleet/dropNextDatagrams(_:bmc:)``).
    var dropNext = 0
    /// Requests dropped because the BMC's queue was full (see ``BMCFaults/queueDepth``).
    var queueDrops = 0
    /// Requests received whose answer is not sent yet, and the most there have been at once.
    private var inFlight = 0
    private(set) var mostInFlight = 0
    private var random: SplitMix64
    /// The requests being served and waiting, when ``BMCFaults/queueDepth`` is set; rebuilt when it changes.
    private var queue: ServiceQueue?

    init(bmc: SimulatedBMC, faults: BMCFaults, seed: UInt64) {
        self.bmc = bmc
        self.faults = faults
        self.random = SplitMix64(seed: seed ^ 0xFA17)
        self.bmc.sessionSlotsExhausted = faults.sessionSlotsExhausted
        self.bmc.emptySDRAnswers = faults.emptySDRAnswers
        self.bmc.noSDRRepository = faults.noSDRRepository
        self.bmc.deviceSDRs = faults.deviceSDRs
        self.bmc.refusedCommands = faults.refusedCommands
        self.bmc.chassisPowerFlags = faults.chassisPowerFlags
        self.bmc.chassisMiscState = faults.chassisMiscState
        self.bmc.quirks = faults.quirks
    }

    private func chance(_ rate: Double) -> Bool {
        rate > 0 && Double(random.next() >> 11) / Double(UInt64(1) << 53) < rate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if chance(faults.lossRate) { return }
        if dropNext > 0 {
            dropNext -= 1
            return
        }
        let datagram = Array(envelope.data.readableBytesView)
        let peer = envelope.remoteAddress
        let channel = context.channel
        // The network's faults on the way in: a request held back, and a copy of it arriving later.
        let copies = chance(faults.duplicationRate) ? 2 : 1
        for copy in 0..<copies {
            if copy > 0 || chance(faults.delayRate) {
                let delay = randomDelay()
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.handle(datagram, from: peer, channel: channel)
                }
            } else {
                handle(datagram, from: peer, channel: channel)
            }
        }
    }

    private func handle(_ datagram: [UInt8], from peer: SocketAddress, channel: any Channel) {
        let arrival = NIODeadline.now().uptimeNanoseconds
        if let depth = faults.queueDepth {
            if queue?.depth != max(0, depth) { queue = ServiceQueue(depth: depth) }
            if queue?.hasRoom(at: arrival) == false {
                queueDrops += 1
                return
            }
        } else {
            queue = nil
        }
        bmc.sessionSlotsExhausted = faults.sessionSlotsExhausted
        bmc.emptySDRAnswers = faults.emptySDRAnswers
        bmc.noSDRRepository = faults.noSDRRepository
        bmc.deviceSDRs = faults.deviceSDRs
        bmc.refusedCommands = faults.refusedCommands
        bmc.chassisPowerFlags = faults.chassisPowerFlags
        bmc.chassisMiscState = faults.chassisMiscState
        bmc.quirks = faults.quirks
        let answers = bmc.handle(datagram, at: Date().timeIntervalSince1970)
        // The BMC is busy with the request for its service time, after those ahead of it in the queue (a request
        // it ignores takes its time too); the answer then spends the round trip on the network.
        let service = UInt64(TimeAmount(faults.latency + faults.serviceTimes[bmc.lastRequestKind]).nanoseconds)
        let done = queue?.admit(at: arrival, service: service) ?? arrival &+ service
        guard !answers.isEmpty else { return }
        let answerDelay = TimeAmount.nanoseconds(Int64(done - arrival)) + TimeAmount(faults.roundTripTime)
        if answerDelay > .zero {
            inFlight += 1
            mostInFlight = max(mostInFlight, inFlight)
            channel.eventLoop.assumeIsolated().scheduleTask(in: answerDelay) { self.inFlight -= 1 }
        }
        var outgoing: [(delay: TimeAmount, envelope: AddressedEnvelope<ByteBuffer>)] = []
        for var answer in answers {
            if chance(faults.answerLossRate) { continue }
            if chance(faults.corruptionRate), answer.count > 8 {
                let position = 4 + Int(random.next() % UInt64(answer.count - 4))
                answer[position] ^= 0x5A
            }
            if chance(faults.truncationRate), answer.count > 8 {
                answer.removeLast(1 + Int(random.next() % 4))
            }
            let envelope = AddressedEnvelope(remoteAddress: peer, data: channel.allocator.buffer(bytes: answer))
            // The network's faults on the way out, after the BMC's own time and the round trip.
            outgoing.append((chance(faults.delayRate) ? answerDelay + randomDelay() : answerDelay, envelope))
            if chance(faults.duplicationRate) { outgoing.append((answerDelay + randomDelay(), envelope)) }
        }
        let now = outgoing.filter { $0.delay == .zero }
        for (_, envelope) in now { channel.write(envelope, promise: nil) }
        if !now.isEmpty { channel.flush() }
        for (delay, envelope) in outgoing where delay > .zero {
            channel.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(envelope, promise: nil) }
        }
    }

    /// Uniform in 0...maxDelay.
    private func randomDelay() -> TimeAmount {
        let maximum = TimeAmount(faults.maxDelay).nanoseconds
        guard maximum > 0 else { return .zero }
        return .nanoseconds(Int64(random.next() % UInt64(maximum + 1)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports ICMP port unreachable for consoles that went away; nothing to do.
    }
}
