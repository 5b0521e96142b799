import IPMIClient
import NIOCore
import NIOPosix
import Testing

/// Which transport lane (socket and event loop) a new client runs on.
@Suite struct LaneChoiceTests {
    @Test func aClientRunsOnThePreferredLoopWhenTheTransportHasALaneThereElseRoundRobin() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let loops = Array(group.makeIterator())
        // Two lanes on two of the three loops (bindAll takes the group's next loops in turn).
        let transport = try await IPMITransport.bindAll(group: group, lanes: 2)
        let laneLoops = (0..<4).map { _ in
            try? IPMIClient(host: "127.0.0.1", username: "u", password: "p", transport: transport).eventLoop
        }.compactMap { $0 }
        let distinct = laneLoops.reduce(into: [any EventLoop]()) { found, loop in
            if !found.contains(where: { $0 === loop }) { found.append(loop) }
        }
        #expect(distinct.count == 2)
        for preferred in distinct {
            for _ in 0..<3 {
                let client = try IPMIClient(
                    host: "127.0.0.1", username: "u", password: "p", transport: transport, preferredEventLoop: preferred
                )
                #expect(client.eventLoop === preferred)
            }
        }
        // A loop without a lane: the next lane in turn, one of the two.
        let other = try #require(loops.first { loop in !distinct.contains { $0 === loop } })
        let client = try IPMIClient(
            host: "127.0.0.1", username: "u", password: "p", transport: transport, preferredEventLoop: other)
        #expect(distinct.contains { $0 === client.eventLoop })
        await transport.close()
        try await group.shutdownGracefully()
    }
}
