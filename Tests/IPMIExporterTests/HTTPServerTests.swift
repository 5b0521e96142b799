import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// The real listener on 127.0.0.1 with a free port, under a ServiceGroup as in `serve`.
@Suite struct HTTPServerTests {
    /// Starts a server, runs `body` with its port, then shuts it down gracefully and waits for it to stop.
    static func withServer(
        settings: ExporterSettings = ExporterSettings(), scraper: FakeScraper = FakeScraper(),
        headerTimeout: Duration = .seconds(10), router: ExporterRouter? = nil, web: WebConfigStore? = nil,
        logger: Logger = quietLogger,
        _ body: @Sendable (_ port: Int, _ group: ServiceGroup) async throws -> Void
    ) async throws {
        let port = AsyncStream<Int>.makeStream()
        let server = ExporterHTTPServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), settings: settings,
            router: router ?? RouterTests.router(scraper: scraper), web: web, logger: logger,
            headerTimeout: headerTimeout,
            onBound: { address in
                port.continuation.yield(address.port ?? 0)
                port.continuation.finish()
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [server], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = port.stream.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            try await body(bound, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Connects, sends `request`, and returns everything received until the server closes or `timeout` passes.
    static func exchange(port: Int, _ request: String, timeout: Duration = .seconds(5)) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            if !request.isEmpty { try await outbound.write(ByteBuffer(string: request)) }
            return try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var text = ""
                    for try await chunk in inbound { text += String(buffer: chunk) }
                    return text
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first ?? "<timeout>"
            }
        }
    }

    @Test func servesScrapesOverASocket() async throws {
        try await Self.withServer { port, _ in
            let response = try await Self.exchange(
                port: port, "GET /ipmi?target=10.1.2.3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.contains("ipmi_up{collector=\"ipmi\"} 1\n"))
            let missing = try await Self.exchange(
                port: port, "GET /ipmi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(missing.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(missing.hasSuffix("\r\n\r\nBad request: the target parameter is missing\n"))
        }
    }

    @Test func aSlowClientDoesNotHoldUpOthersAndIsCutOff() async throws {
        try await Self.withServer(headerTimeout: .seconds(10)) { port, _ in
            let slowDone = OneShotSignal()
            let slow = Task {
                defer { slowDone.fire() }
                return try await Self.exchange(
                    port: port, "GET /ipmi?target=h HTTP/1.1\r\nHost: x\r\nX-Slow: ", timeout: .seconds(20))
            }
            try await Task.sleep(for: .milliseconds(50))
            let fast = try await Self.exchange(
                port: port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(fast.hasSuffix("Healthy\n"))
            // Answered while the slow client still holds its connection: before the slow one has been cut off.
            #expect(!slowDone.isOpen)
            let slowResponse = try await slow.value
            #expect(slowResponse.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(slowResponse)")
        }
    }

    @Test func aSilentConnectionIsClosedAfterTheHeaderTimeout() async throws {
        try await Self.withServer(headerTimeout: .milliseconds(300)) { port, _ in
            let start = ContinuousClock.now
            let silent = try await Self.exchange(port: port, "", timeout: .seconds(20))
            #expect(silent == "")  // closed by the server, not by the 20 s client timeout
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    @Test func refusesConnectionsBeyondTheLimit() async throws {
        var settings = ExporterSettings()
        settings.maxConnections = 1
        let scraper = FakeScraper()
        // The first connection stays open, its scrape held, until the second has been refused.
        scraper.hold()
        try await Self.withServer(settings: settings, scraper: scraper) { port, _ in
            async let first = Self.exchange(
                port: port, "GET /ipmi?target=h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(await eventually { scraper.calls.count == 1 })
            // Closed without an answer; the write itself may already fail on the closed socket.
            let second = (try? await Self.exchange(port: port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")) ?? ""
            #expect(second == "")
            scraper.release()
            #expect(try await first.hasPrefix("HTTP/1.1 200 OK"))
            // The slot is free again once the first connection closed.
            var third = ""
            for _ in 0..<50 where !third.hasSuffix("Healthy\n") {
                third =
                    (try? await Self.exchange(
                        port: port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ?? ""
                if !third.hasSuffix("Healthy\n") { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(third.hasSuffix("Healthy\n"))
        }
    }

    @Test func gracefulShutdownFinishesTheRequestInFlight() async throws {
        let scraper = FakeScraper()
        // The scrape in flight is held until the shutdown has begun.
        scraper.hold()
        let port = AsyncStream<Int>.makeStream()
        let server = ExporterHTTPServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), settings: ExporterSettings(),
            router: RouterTests.router(scraper: scraper), logger: quietLogger,
            onBound: { address in
                port.continuation.yield(address.port ?? 0)
                port.continuation.finish()
            })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = port.stream.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            async let inFlight = Self.exchange(
                port: bound, "GET /ipmi?target=h HTTP/1.1\r\nHost: x\r\n\r\n")  // keep-alive: server must close
            #expect(await eventually { scraper.calls.count == 1 })
            let stoppingAt = ContinuousClock.now
            await group.triggerGracefulShutdown()
            scraper.release()
            try await tasks.waitForAll()
            let stoppedAfter = ContinuousClock.now - stoppingAt
            let response = try await inFlight
            #expect(response.hasPrefix("HTTP/1.1 200 OK"))
            #expect(response.contains("ipmi_up{collector=\"ipmi\"} 1\n"))
            // The 200 above shows the server waited for the scrape, let go only after the shutdown began; it did not
            // wait for the drain timeout.
            #expect(stoppedAfter < .seconds(20))
            await #expect(throws: (any Error).self) {
                _ = try await Self.exchange(port: bound, "GET / HTTP/1.1\r\n\r\n")
            }
        }
    }
}
