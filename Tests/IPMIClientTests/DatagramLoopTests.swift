import Glibc
import NIOCore
import Synchronization
import Testing

@testable import IPMIClient

/// The transport's own event loop: tasks, timers, Swift concurrency on it, and its sockets (watched, paused, read with
/// recvmmsg and routed).
@Suite struct DatagramLoopTests {
    /// Collects values from any thread.
    final class Recorder<Value: Sendable>: Sendable {
        private let values = Mutex<[Value]>([])
        func add(_ value: Value) { values.withLock { $0.append(value) } }
        var all: [Value] { values.withLock { $0 } }
    }

    @Test func tasksFromAnotherThreadRunOnTheLoopInOrder() async throws {
        let loop = DatagramLoop(name: "test-tasks")
        defer { loop.stop() }
        #expect(!loop.inEventLoop)
        let seen = Recorder<(Int, Bool)>()
        for index in 0..<100 {
            loop.execute { seen.add((index, loop.inEventLoop)) }
        }
        // Tasks queued on the loop by a task run too, after it.
        try await loop.run { loop.execute { seen.add((100, loop.inEventLoop)) } }
        try await loop.run {}
        #expect(seen.all.map(\.0) == Array(0...100))
        #expect(seen.all.allSatisfy { $0.1 })
    }

    @Test func timersRunByDeadlineAndACancelledOneNeverRuns() async throws {
        let loop = DatagramLoop(name: "test-timers")
        defer { loop.stop() }
        let order = Recorder<String>()
        // Deadlines fixed up front, so that a slow test machine cannot reorder them by scheduling late.
        let base = NIODeadline.now()
        let cancelled = loop.scheduleTask(deadline: base + .seconds(10)) { order.add("cancelled") }
        // Cancelled at once: on a loaded machine the steps below can take longer than its deadline.
        cancelled.cancel()
        let early = loop.scheduleTask(deadline: base + .milliseconds(20)) { order.add("early") }  // from off the loop
        let (late, middle) = try await loop.run {
            (
                loop.scheduleTask(deadline: base + .milliseconds(60)) { order.add("late") },
                loop.scheduleTask(deadline: base + .milliseconds(40)) { order.add("middle") }
            )
        }
        try await early.futureResult.get()
        try await middle.futureResult.get()
        try await late.futureResult.get()
        let error = await #expect(throws: EventLoopError.self) { try await cancelled.futureResult.get() }
        #expect(error == .cancelled)
        #expect(order.all == ["early", "middle", "late"])
    }

    @Test func aTimerReturnsItsValueAndAThrowingOneFailsItsFuture() async throws {
        struct Boom: Error {}
        let loop = DatagramLoop(name: "test-values")
        defer { loop.stop() }
        #expect(try await loop.scheduleTask(in: .microseconds(100)) { 42 }.futureResult.get() == 42)
        await #expect(throws: Boom.self) {
            try await loop.scheduleTask(in: .microseconds(100)) { () throws -> Int in throw Boom() }.futureResult.get()
        }
    }

    actor Counter {
        private let loop: DatagramLoop
        private var value = 0
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

        init(loop: DatagramLoop) { self.loop = loop }

        func increment() -> (Int, Bool) {
            value += 1
            return (value, loop.inEventLoop)
        }
    }

    @Test func anActorWithTheLoopAsExecutorRunsOnIt() async throws {
        let loop = DatagramLoop(name: "test-actor")
        defer { loop.stop() }
        let counter = Counter(loop: loop)
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<50 { group.addTask { await counter.increment() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.map(\.0).sorted() == Array(1...50))
        #expect(results.allSatisfy { $0.1 })
    }

    @Test func stoppingFailsTheTimersThatDidNotRun() async throws {
        let loop = DatagramLoop(name: "test-stop")
        let pending = loop.scheduleTask(in: .seconds(60)) {}
        let outcome = Recorder<EventLoopError?>()
        try await loop.run {
            pending.futureResult.whenFailure { outcome.add($0 as? EventLoopError) }
        }
        loop.stop()
        try await waitUntil { !outcome.all.isEmpty }
        #expect(outcome.all == [.shutdown])
        try await loop.shutdownGracefully()
    }

    /// A UDP socket on 127.0.0.1 that the test sends from or reads on.
    typealias Endpoint = LoopbackEndpoint

    @Test func aPausedSocketIsReadOnlyWhenThePauseIsOver() async throws {
        let loop = DatagramLoop(name: "test-pause")
        defer { loop.stop() }
        let receiver = try Endpoint()
        let sender = try Endpoint()
        defer {
            receiver.socket.close()
            sender.socket.close()
        }
        let readable = Recorder<ContinuousClock.Instant>()
        try await loop.run {
            try loop.watch(
                receiver.socket.descriptor,
                onReadable: {
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while buffer.withUnsafeMutableBytes({
                        recv(receiver.socket.descriptor, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT))
                    }) > 0 {
                        readable.add(.now)
                    }
                }, onStop: {})
        }
        #expect(sender.socket.send([1], to: receiver.address) == .sent)
        try await waitUntil { readable.all.count == 1 }

        let beforePause = ContinuousClock.now
        try await loop.run { loop.pauseReading(receiver.socket.descriptor, for: .milliseconds(300)) }
        #expect(sender.socket.send([2], to: receiver.address) == .sent)
        #expect(sender.socket.send([3], to: receiver.address) == .sent)
        try await waitUntil { readable.all.count == 3 }
        // Both waited for the end of the pause (which began after `beforePause`), however slow the machine.
        #expect(readable.all[1] - beforePause >= .milliseconds(300), "read while paused")
        #expect(readable.all[2] - beforePause >= .milliseconds(300), "read while paused")
        try await loop.run { loop.unwatch(receiver.socket.descriptor) }
    }

    @Test func theSenderOfADatagramMatchesTheAddressItWasSentFrom() throws {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { bytes in
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(623).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.9")
            withUnsafeBytes(of: address) { bytes.copyMemory(from: $0) }
        }
        let converted = try #require(DatagramSocket.address(storage, withHostText: false))
        let expected = try SocketAddress(ipAddress: "127.0.0.9", port: 623)
        #expect(converted == expected)
        #expect(converted.hashValue == expected.hashValue)
        #expect(converted.port == 623)

        var storage6 = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage6) { bytes in
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(6230).bigEndian
            address.sin6_addr = in6addr_loopback
            withUnsafeBytes(of: address) { bytes.copyMemory(from: $0) }
        }
        #expect(
            try DatagramSocket.address(storage6, withHostText: false) == SocketAddress(ipAddress: "::1", port: 6230))
        #expect(DatagramSocket.address(sockaddr_storage(), withHostText: false) == nil)
    }

    @Test func theTransportCountsDatagramsItCannotUseAndRoutesNothingFromThem() async throws {
        let transport = try await IPMITransport.bind(host: "127.0.0.1")
        let local = try #require(transport.localAddress)
        let sender = try Endpoint()
        defer { sender.socket.close() }
        // Longer than a slot (cut by the kernel), and not RMCP at all.
        #expect(sender.socket.send([UInt8](repeating: 6, count: 3000), to: local) == .sent)
        #expect(sender.socket.send([1, 2, 3], to: local) == .sent)
        // Well formed RMCP+ for a session nobody registered.
        let unknownSession: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x06, 0x00, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0]
        #expect(sender.socket.send(unknownSession, to: local) == .sent)
        try await waitUntil { transport.statistics.snapshot.droppedTotal >= 3 }
        let snapshot = transport.statistics.snapshot
        #expect(snapshot.dropped[.malformed] == 2)
        #expect(snapshot.dropped[.unroutable] == 1)
        await transport.close()
    }

    /// Answers from two BMCs, interleaved in one burst, each reach the session registered for its sender (the reader
    /// reuses the previous sender's address while the sender stays the same).
    @Test func interleavedAnswersFromTwoBMCsReachTheirOwnSessions() async throws {
        let transport = try await IPMITransport.bind(host: "127.0.0.1")
        let local = try #require(transport.localAddress)
        let bmcA = try Endpoint()
        let bmcB = try Endpoint()
        defer {
            bmcA.socket.close()
            bmcB.socket.close()
        }
        let receivedA = Recorder<UInt8>()
        let receivedB = Recorder<UInt8>()
        let inbox = { (recorder: Recorder<UInt8>) in
            IPMITransport.SessionInbox(lane: 0, receive: { recorder.add($0.last ?? 0) }, finish: {})
        }
        let idA = try #require(transport.register(peer: bmcA.address, inbox: inbox(receivedA)))
        let idB = try #require(transport.register(peer: bmcB.address, inbox: inbox(receivedB)))
        // An RMCP+ session packet for `id` (IPMI v2.0 section 13.6: the session ID at bytes 6–9, little endian),
        // marked by its last byte.
        func packet(_ id: UInt32, _ mark: UInt8) -> [UInt8] {
            [0x06, 0x00, 0xFF, 0x07, 0x06, 0x00] + withUnsafeBytes(of: id.littleEndian, Array.init)
                + [0, 0, 0, 0, 0, 0, mark]
        }
        let order: [(Endpoint, UInt32, UInt8)] = [
            (bmcA, idA, 1), (bmcA, idA, 2), (bmcB, idB, 3), (bmcA, idA, 4), (bmcB, idB, 5), (bmcB, idB, 6),
        ]
        for (bmc, id, mark) in order {
            #expect(bmc.socket.send(packet(id, mark), to: local) == .sent)
        }
        try await waitUntil { receivedA.all.count + receivedB.all.count >= 6 }
        #expect(receivedA.all == [1, 2, 4])
        #expect(receivedB.all == [3, 5, 6])
        #expect(transport.statistics.snapshot.droppedTotal == 0)
        await transport.close()
    }

    /// Datagrams a task on the loop sends one at a time leave together when the task is done (one `sendmmsg`), not
    /// one by one while it runs; none is lost or reordered.
    @Test func datagramsSentByATaskLeaveTogetherWhenItEnds() async throws {
        let transport = try await IPMITransport.bind(host: "127.0.0.1")
        let bmc = try Endpoint()
        defer { bmc.socket.close() }
        let loop = transport.eventLoop
        let arrivedWhileRunning = try await loop.run { () -> Int in
            for mark in UInt8(1)...3 { transport.send([0x06, 0x00, 0xFF, 0x07, mark], to: bmc.address) }
            // Still inside the task: nothing may have reached the BMC yet.
            var buffer = [UInt8](repeating: 0, count: 16)
            return buffer.withUnsafeMutableBytes {
                recv(bmc.socket.descriptor, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT))
            } > 0 ? 1 : 0
        }
        #expect(arrivedWhileRunning == 0)
        var marks: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while marks.count < 3, ContinuousClock.now < deadline {
            var buffer = [UInt8](repeating: 0, count: 16)
            let length = buffer.withUnsafeMutableBytes {
                recv(bmc.socket.descriptor, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT))
            }
            if length > 0 { marks.append(buffer[length - 1]) } else { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(marks == [1, 2, 3])
        #expect(transport.statistics.snapshot.packetsSent == 3)
        await transport.close()
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 5 s")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
