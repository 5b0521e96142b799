import Dispatch
import Glibc
import IPMITestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import IPMIClient

/// How a ``DatagramLoop`` stops: its thread has returned when the shutdown completes, and nothing handed to it
/// afterwards is dropped or run as if the loop were still going.
@Suite struct LoopLifecycleTests {
    @Test func theShutdownCompletesOnlyAfterTheThreadHasReturned() async throws {
        let loop = DatagramLoop(name: "lc-join")
        #expect(ProcessProbe.threadExists(named: "lc-join"))
        // The loop is busy for a moment when it is told to stop: a shutdown that does not wait would complete first.
        loop.execute { usleep(100_000) }
        try await loop.shutdownGracefully()
        #expect(!ProcessProbe.threadExists(named: "lc-join"))
        // Once more is fine too.
        try await loop.shutdownGracefully()
    }

    @Test func tasksAndTimersHandedToAStoppedLoopFailWithShutdownAndNeverRun() async throws {
        let loop = DatagramLoop(name: "lc-stopped")
        try await loop.shutdownGracefully()
        let ran = NIOLockedValueBox(false)
        let submitted = loop.submit { ran.withLockedValue { $0 = true } }
        let timer = loop.scheduleTask(in: .milliseconds(1)) { ran.withLockedValue { $0 = true } }
        let submittedError = await #expect(throws: EventLoopError.self) {
            try await within(seconds: 5) { try await submitted.get() }
        }
        let timerError = await #expect(throws: EventLoopError.self) {
            try await within(seconds: 5) { try await timer.futureResult.get() }
        }
        #expect(submittedError == .shutdown)
        #expect(timerError == .shutdown)
        #expect(!ran.withLockedValue { $0 })
        // A promise of the loop still completes, and its callbacks run as on the loop.
        let promise = loop.makePromise(of: Int.self)
        promise.succeed(7)
        #expect(try await within(seconds: 5) { try await promise.futureResult.get() } == 7)
    }

    @Test func tasksAndTimersHandedInWhileTheLoopStopsFailWithShutdown() async throws {
        let loop = DatagramLoop(name: "lc-stopping")
        let ran = NIOLockedValueBox(0)
        let pending = loop.scheduleTask(in: .seconds(30)) { ran.withLockedValue { $0 += 1 } }
        let started = DispatchSemaphore(value: 0)
        loop.execute {
            started.signal()
            usleep(50_000)
        }
        started.wait()
        loop.stop()
        // Handed in while the loop is still busy with the task before the stop: queued, and then failed.
        let submitted = loop.submit { ran.withLockedValue { $0 += 1 } }
        let timer = loop.scheduleTask(in: .milliseconds(1)) { ran.withLockedValue { $0 += 1 } }
        for future in [submitted, timer.futureResult, pending.futureResult] {
            let error = await #expect(throws: EventLoopError.self) {
                try await within(seconds: 5) { try await future.get() }
            }
            #expect(error == .shutdown)
        }
        try await loop.shutdownGracefully()
        #expect(ran.withLockedValue { $0 } == 0)
    }

    actor Counter {
        private let loop: DatagramLoop
        private var value = 0
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
        init(loop: DatagramLoop) { self.loop = loop }
        func increment() -> Int {
            value += 1
            return value
        }
    }

    @Test func anActorOnAStoppedLoopStillAnswers() async throws {
        let loop = DatagramLoop(name: "lc-actor")
        let counter = Counter(loop: loop)
        #expect(await counter.increment() == 1)
        try await loop.shutdownGracefully()
        let value = try await within(seconds: 5) { await counter.increment() }
        #expect(value == 2)
    }

    @Test func aTransportOnAStoppedLoopClosesItsSocketsAndSendsNothing() async throws {
        let loop = DatagramLoop(name: "lc-transport")
        let transport = try await IPMITransport.bind(host: "127.0.0.1", loop: loop)
        let peer = try DatagramPathTests.Peer()
        let port = try #require(transport.localAddress?.port)
        try await loop.shutdownGracefully()
        #expect(ProcessProbe.openUDPSockets(port: port) == 0)
        transport.send([1], to: peer.address)
        try await within(seconds: 5) { await transport.close() }
        #expect(peer.receive(wait: false) == nil)
        // Binding on a stopped loop fails instead of leaving a socket nobody reads.
        await #expect(throws: EventLoopError.shutdown) {
            try await within(seconds: 5) { try await IPMITransport.bind(host: "127.0.0.1", loop: loop) }
        }
    }
}
