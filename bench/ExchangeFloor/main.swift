// exchange-floor: what a warm scrape's request/response exchanges cost with nothing around them.
//
//   exchange-floor --port P [--host 127.0.0.1] [--exchanges 53] [--window 4] [--cycles 2000] [--rounds 4]
//                  [--sensors 0x10,0x11,…] [--user admin] [--password-env VAR] [--through poll|nio]
//                  [--coalesce-us 0]
//
// Opens one RMCP+ session (the library's own state machine, the cipher suite negotiated as the exporter does), then
// runs `cycles` times a burst of `exchanges` Get Sensor Reading requests over it with `window` of them outstanding:
// on one blocking UDP socket with poll(2) (`--through poll`: no event loop, no tasks, no HTTP), or through a bare NIO
// datagram channel (`--through nio`). What that costs (getrusage, user and system time per burst) is the floor under
// the exporter's CPU per warm scrape for the same number of exchanges; bench/floor.py prints them side by side.
// With `--coalesce-us N` (poll only) the window goes out as one burst, the loop sleeps N µs and then reads every
// answer that has arrived, and the next burst waits until the window has drained: fewer wake-ups on both sides of
// the socket, which shows what pacing the reads would save.
// One JSON object per round on standard output. Loopback BMCs only: the host must be in 127.0.0.0/8.

import IPMI
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

struct Options {
    var host = "127.0.0.1"
    var port: UInt16 = 0
    var exchanges = 53
    var window = 4
    var cycles = 2000
    var rounds = 4
    var sensors: [UInt8] = [0x10]
    var user = "admin"
    var password = "password"
    /// `poll`: a blocking loop on the socket; `nio`: the same exchanges driven by a NIO datagram channel on one event
    /// loop (read through the pipeline, written with write and flush at the end of each read), which separates NIO's
    /// share of the exporter's cost from the rest.
    var through = "poll"
    /// With `poll`: send the window as one burst and sleep this long before reading its answers (0: answer by answer).
    var coalesceMicros = 0

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        var rest = arguments
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            switch flag {
            case "--host": host = value
            case "--port": port = try Self.number(value, flag)
            case "--exchanges": exchanges = try Self.number(value, flag)
            case "--window": window = try Self.number(value, flag)
            case "--cycles": cycles = try Self.number(value, flag)
            case "--rounds": rounds = try Self.number(value, flag)
            case "--user": user = value
            case "--coalesce-us": coalesceMicros = try Self.number(value, flag)
            case "--through":
                guard ["poll", "nio"].contains(value) else { throw UsageError("--through: poll or nio") }
                through = value
            case "--password-env":
                guard let secret = getenv(value) else { throw UsageError("\(value) is not set") }
                password = String(cString: secret)
            case "--sensors":
                sensors = []
                for item in value.split(separator: ",") { sensors.append(try Self.number(String(item), flag)) }
            default: throw UsageError("unknown flag \(flag)")
            }
        }
        guard port > 0 else { throw UsageError("--port is required") }
        guard host.hasPrefix("127.") else { throw UsageError("only loopback BMCs (127.0.0.0/8)") }
        guard exchanges > 0, window > 0, cycles > 0, rounds > 0, !sensors.isEmpty else {
            throw UsageError("--exchanges, --window, --cycles, --rounds and --sensors must be positive")
        }
        guard coalesceMicros >= 0, coalesceMicros < 1_000_000 else { throw UsageError("--coalesce-us: 0 to 999999") }
        guard coalesceMicros == 0 || through == "poll" else { throw UsageError("--coalesce-us needs --through poll") }
    }

    private static func number<T: FixedWidthInteger>(_ text: String, _ flag: String) throws(UsageError) -> T {
        let parsed = text.hasPrefix("0x") ? T(text.dropFirst(2), radix: 16) : T(text)
        guard let parsed else { throw UsageError("\(flag): not a number: \(text)") }
        return parsed
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One blocking UDP socket to the BMC.
struct Peer {
    let descriptor: CInt
    var address = sockaddr_in()

    init(host: String, port: UInt16) {
        descriptor = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
    }

    func send(_ bytes: [UInt8]) {
        var address = address
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(
                        descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The next datagram, or nil after `timeout` ms without one.
    func receive(into buffer: inout [UInt8], timeout: CInt = 2000) -> [UInt8]? {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, timeout) == 1 else { return nil }
        return receiveWaiting(into: &buffer)
    }

    /// A datagram already in the socket buffer, or nil at once when there is none.
    func receiveWaiting(into buffer: inout [UInt8]) -> [UInt8]? {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT)) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
}

func openSession(_ peer: Peer, _ options: Options, buffer: inout [UInt8]) throws -> SessionStateMachine {
    let configuration = SessionConfiguration(
        credentials: try SessionCredentials(username: options.user, password: options.password),
        consoleSessionID: 0x4558_4346)
    var machine = SessionStateMachine(configuration: configuration)
    var action = machine.start()
    while !machine.isEstablished {
        switch action {
        case .send(let packet): peer.send(packet)
        case .failed(let error): throw error
        default: break
        }
        guard let datagram = peer.receive(into: &buffer) else {
            throw Failure(description: "no answer in the handshake")
        }
        action = machine.receive(datagram)
    }
    return machine
}

/// The `index`th Get Sensor Reading of a burst (IPMI v2.0 section 35.14), sealed for the session.
func readingRequest(_ index: Int, machine: inout SessionStateMachine, options: Options) throws -> [UInt8] {
    let sensor = options.sensors[index % options.sensors.count]
    return try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, data: [sensor]).packet
}

func processTimes() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

func run() throws {
    let options = try Options(CommandLine.arguments.dropFirst())
    let peer = Peer(host: options.host, port: options.port)
    var buffer = [UInt8](repeating: 0, count: 2048)
    var machine = try openSession(peer, options, buffer: &buffer)

    func sendReading(_ index: Int) throws {
        peer.send(try readingRequest(index, machine: &machine, options: options))
    }

    if options.through == "nio" {
        return try runThroughNIO(machine: machine, peer: peer, options: options)
    }
    if options.coalesceMicros > 0 {
        return try runInPacedBursts(machine: &machine, peer: peer, options: options, buffer: &buffer)
    }
    for round in 1...options.rounds {
        let before = processTimes()
        for _ in 0..<options.cycles {
            var sent = 0
            var answered = 0
            while sent < min(options.window, options.exchanges) {
                try sendReading(sent)
                sent += 1
            }
            while answered < options.exchanges {
                guard let datagram = peer.receive(into: &buffer) else {
                    throw Failure(description: "no answer within 2 s (\(answered) of \(options.exchanges))")
                }
                guard case .response = machine.receive(datagram) else { continue }
                answered += 1
                if sent < options.exchanges {
                    try sendReading(sent)
                    sent += 1
                }
            }
        }
        report(round: round, since: before, options: options, machine: machine)
    }
}

/// `--coalesce-us`: a burst of `window` requests, a pause, then every answer that is there; one poll(2) only when an
/// answer is still missing after the pause.
func runInPacedBursts(
    machine: inout SessionStateMachine, peer: Peer, options: Options, buffer: inout [UInt8]
) throws {
    for round in 1...options.rounds {
        let before = processTimes()
        for _ in 0..<options.cycles {
            var sent = 0
            while sent < options.exchanges {
                let burst = min(options.window, options.exchanges - sent)
                for _ in 0..<burst {
                    peer.send(try readingRequest(sent, machine: &machine, options: options))
                    sent += 1
                }
                var pause = timespec(tv_sec: 0, tv_nsec: options.coalesceMicros * 1000)
                nanosleep(&pause, nil)
                var missing = burst
                while missing > 0 {
                    guard
                        let datagram = peer.receiveWaiting(into: &buffer) ?? peer.receive(into: &buffer)
                    else {
                        throw Failure(description: "no answer within 2 s (\(sent - missing) of \(options.exchanges))")
                    }
                    if case .response = machine.receive(datagram) { missing -= 1 }
                }
            }
        }
        report(round: round, since: before, options: options, machine: machine)
    }
}

func report(round: Int, since before: (user: Double, system: Double), options: Options, machine: SessionStateMachine) {
    let after = processTimes()
    let perCycle = { (seconds: Double) in seconds / Double(options.cycles) * 1000 }
    let user = perCycle(after.user - before.user)
    let system = perCycle(after.system - before.system)
    print(
        "{\"round\": \(round), \"through\": \"\(options.through)\", \"exchanges\": \(options.exchanges), "
            + "\"window\": \(options.window), \"coalesce_us\": \(options.coalesceMicros), "
            + "\"cipher_suite\": \(machine.negotiated?.cipherSuite.id.map { String($0) } ?? "null"), "
            + "\"cpu_ms\": \(user + system), \"user_ms\": \(user), \"system_ms\": \(system)}")
}

/// The bursts of `run()`, driven by a NIO datagram channel that takes over the session's socket.
func runThroughNIO(machine: SessionStateMachine, peer: Peer, options: Options) throws {
    let flags = fcntl(peer.descriptor, F_GETFL)
    _ = fcntl(peer.descriptor, F_SETFL, flags | O_NONBLOCK)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let address = try SocketAddress(ipAddress: options.host, port: Int(options.port))
    let handler = BurstHandler(machine: machine, peer: address, options: options)
    let channel = try DatagramBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
        }
        .withBoundSocket(peer.descriptor).wait()
    for round in 1...options.rounds {
        let before = processTimes()
        let finished = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute { handler.startRound(finished) }
        try finished.futureResult.wait()
        report(round: round, since: before, options: options, machine: handler.machine)
    }
    try channel.close().wait()
}

final class BurstHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    var machine: SessionStateMachine
    let peer: SocketAddress
    let options: Options
    private var context: ChannelHandlerContext?
    private var finished: EventLoopPromise<Void>?
    private var watchdog: RepeatedTask?
    private var cycle = 0
    private var sent = 0
    private var answered = 0
    /// Answers since the start, and their number at the watchdog's last look.
    private var answers = 0
    private var answersAtLastCheck = 0

    init(machine: SessionStateMachine, peer: SocketAddress, options: Options) {
        self.machine = machine
        self.peer = peer
        self.options = options
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func startRound(_ promise: EventLoopPromise<Void>) {
        finished = promise
        cycle = 0
        // As the poll loop gives up after 2 s without an answer, so does this: a lost datagram must not hang the run.
        answersAtLastCheck = answers
        watchdog = promise.futureResult.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(2), delay: .seconds(2)) {
            [weak self] _ in
            guard let self else { return }
            if self.answers == self.answersAtLastCheck {
                self.end(
                    with: Failure(description: "no answer within 2 s (\(self.answered) of \(self.options.exchanges))"))
            }
            self.answersAtLastCheck = self.answers
        }
        startBurst()
    }

    private func startBurst() {
        sent = 0
        answered = 0
        while finished != nil, sent < min(options.window, options.exchanges) { sendReading() }
        context?.flush()
    }

    private func sendReading() {
        guard let context else { return }
        let packet: [UInt8]
        do {
            packet = try readingRequest(sent, machine: &machine, options: options)
        } catch {
            return end(with: error)
        }
        sent += 1
        var buffer = context.channel.allocator.buffer(capacity: packet.count)
        buffer.writeBytes(packet)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: peer, data: buffer)), promise: nil)
    }

    /// Ends the round: a success after the last burst, or the error that stopped it.
    private func end(with error: (any Error)? = nil) {
        watchdog?.cancel()
        watchdog = nil
        guard let finished else { return }
        self.finished = nil
        if let error { finished.fail(error) } else { finished.succeed() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard finished != nil, case .response = machine.receive(Array(envelope.data.readableBytesView)) else { return }
        answered += 1
        answers += 1
        if sent < options.exchanges {
            sendReading()
        } else if answered == options.exchanges {
            cycle += 1
            if cycle == options.cycles {
                end()
            } else {
                startBurst()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

do {
    try run()
} catch {
    var standardError = FileStream(descriptor: 2)
    print("exchange-floor: \(error)", to: &standardError)
    exit(1)
}

struct FileStream: TextOutputStream {
    let descriptor: CInt
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { _ = Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
