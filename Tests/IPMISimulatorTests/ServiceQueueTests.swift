import Foundation
import IPMI
import IPMIClient
import IPMITestSupport
import Testing

@testable import IPMISimulator

/// The simulated BMC's service model: one request at a time, a bounded queue, service times by request kind.
@Suite("BMC service queue")
struct ServiceQueueTests {
    static let ms: UInt64 = 1_000_000

    @Test("a queue of depth 2 takes the request in service and two more, drops the rest, and frees a place per answer")
    func depthTwo() {
        var queue = ServiceQueue(depth: 2)
        var finishes: [UInt64] = []
        var dropped = 0
        // Five requests at once, 10 ms each: served at 0–10, 10–20 and 20–30 ms; the fourth and fifth find no room.
        for _ in 0..<5 {
            if queue.hasRoom(at: 0) {
                finishes.append(queue.admit(at: 0, service: 10 * Self.ms))
            } else {
                dropped += 1
            }
        }
        #expect(finishes == [10 * Self.ms, 20 * Self.ms, 30 * Self.ms])
        #expect(dropped == 2)
        // At 10 ms the first is done: one place, and the newcomer starts after the last one, at 30 ms.
        let roomAfterFirst = queue.hasRoom(at: 10 * Self.ms)
        let newcomer = queue.admit(at: 10 * Self.ms, service: 5 * Self.ms)
        let roomAfterNewcomer = queue.hasRoom(at: 10 * Self.ms)
        #expect(roomAfterFirst)
        #expect(newcomer == 35 * Self.ms)
        #expect(!roomAfterNewcomer)
        // Once everything is done the BMC is idle: a request starts when it arrives.
        let occupancy = queue.occupancy(at: 35 * Self.ms)
        let idleStart = queue.admit(at: 50 * Self.ms, service: 4 * Self.ms)
        #expect(occupancy == 0)
        #expect(idleStart == 54 * Self.ms)
    }

    @Test("depth 0 is a single receive buffer: nothing is taken until the request in service is done")
    func singleBuffer() {
        var queue = ServiceQueue(depth: 0)
        let idle = queue.hasRoom(at: 0)
        let finish = queue.admit(at: 0, service: 5 * Self.ms)
        let busy = [queue.hasRoom(at: 1 * Self.ms), queue.hasRoom(at: 5 * Self.ms - 1)]
        let done = queue.hasRoom(at: 5 * Self.ms)
        #expect(idle)
        #expect(finish == 5 * Self.ms)
        #expect(busy == [false, false])
        #expect(done)
        // A request that takes no time never occupies the BMC.
        var instant = ServiceQueue(depth: 0)
        _ = instant.admit(at: 7, service: 0)
        let free = instant.hasRoom(at: 7)
        #expect(free)
    }

    @Test("handlesOneRequestAtATime is queue depth 0 and back")
    func oneAtATimeIsDepthZero() {
        var faults = BMCFaults()
        #expect(faults.queueDepth == nil)
        faults.handlesOneRequestAtATime = true
        #expect(faults.queueDepth == 0)
        faults.queueDepth = 3
        #expect(!faults.handlesOneRequestAtATime)
        faults.handlesOneRequestAtATime = false
        #expect(faults.queueDepth == nil)
    }

    // Net functions and commands from IPMI v2.0 appendix G.
    @Test(
        "requests are classed by net function and command",
        arguments: [
            (NetFn.sensorEvent, 0x2D, BMCRequestKind.sensor),  // Get Sensor Reading
            (NetFn.sensorEvent, 0x27, .sensor),  // Get Sensor Thresholds
            (NetFn.sensorEvent, 0x21, .sdr),  // Get Device SDR
            (NetFn.storage, 0x20, .sdr),  // Get SDR Repository Info
            (NetFn.storage, 0x23, .sdr),  // Get SDR
            (NetFn.storage, 0x43, .sel),  // Get SEL Entry
            (NetFn.storage, 0x48, .sel),  // Get SEL Time
            (NetFn.storage, 0x11, .other),  // Read FRU Data
            (NetFn.app, 0x01, .other),  // Get Device ID
            (NetFn.chassis, 0x01, .other),  // Get Chassis Status
        ] as [(NetFn, UInt8, BMCRequestKind)])
    func classes(netFn: NetFn, command: UInt8, kind: BMCRequestKind) {
        #expect(BMCRequestKind(netFn: netFn, command: command) == kind)
    }

    @Test("the BMC records what it last handled: session set-up, sessionless, in-session commands")
    func lastRequestKind() throws {
        var bmc = SimulatedBMC(profile: try BMCProfile(.defaultServer), index: 0, bootTime: 0)
        // Get Channel Authentication Capabilities over IPMI 1.5, session ID 0 (IPMI v2.0 §13.6, §22.13).
        let request = IPMIRequestMessage(netFn: .app, rqSeq: 1, command: 0x38, data: [0x8E, 0x04])
        _ = bmc.handle(IPMI15Packet(message: request.encode()).encode(), at: 1)
        #expect(bmc.lastRequestKind == .sessionless)
        // An RMCP+ Open Session Request (payload type 10h), even one too short to answer.
        _ = bmc.handle([0x06, 0x00, 0xFF, 0x07, 0x06, 0x10] + [UInt8](repeating: 0, count: 10), at: 1)
        #expect(bmc.lastRequestKind == .sessionSetup)
        _ = bmc.handle([0x01, 0x02], at: 1)
        #expect(bmc.lastRequestKind == .other)
    }

    /// 24 Get Device ID through a window of 8 to one BMC serving them in 5 ms each with `queueDepth` waiting: the
    /// results, the BMC's drops, the client's retransmissions and the time the batch took.
    func batch(
        queueDepth: Int, requestTimeout: Duration
    ) async throws -> (
        results: [Result<IPMIResponse, any Error>], drops: Int, retransmitted: UInt64, elapsed: Duration
    ) {
        var faults = BMCFaults()
        faults.queueDepth = queueDepth
        faults.serviceTimes.other = .milliseconds(5)
        return try await withSimulatedBMC(faults: faults) { fleet in
            let transport = try await IPMITransport.bind(host: "127.0.0.1")
            let client = try await ClientTests.connectedClient(
                fleet, window: 8, transport: transport, requestTimeout: requestTimeout)
            let dropsBefore = try await fleet.queueDrops(bmc: 0)
            let retransmittedBefore = transport.statistics.snapshot.retransmissions
            let started = ContinuousClock.now
            let results = await client.requests((0..<24).map { _ in IPMIRequest(netFn: .app, command: 0x01) })
            let elapsed = ContinuousClock.now - started
            let drops = try await fleet.queueDrops(bmc: 0) - dropsBefore
            let retransmitted = transport.statistics.snapshot.retransmissions - retransmittedBefore
            await client.close()
            await transport.close()
            return (results, drops, retransmitted, elapsed)
        }
    }

    @Test("a BMC that queues two drops the rest of a wider window; every drop is retransmitted and answered")
    func dropBeyondN() async throws {
        let run = try await batch(queueDepth: 2, requestTimeout: .milliseconds(300))
        #expect(run.results.allSatisfy { (try? $0.get())?.completionCode == .normal })
        // A window of 8 meets a BMC that holds 3: the first burst alone loses up to 5.
        #expect(run.drops > 0)
        // Nothing else is lost (a queued request waits at most 15 ms, far within the timeout), so the client sent
        // again exactly what the BMC dropped.
        #expect(UInt64(run.drops) == run.retransmitted)
    }

    @Test("a BMC that queues as many as the window drops nothing and serves one request at a time")
    func queueAsDeepAsTheWindow() async throws {
        let run = try await batch(queueDepth: 7, requestTimeout: .seconds(2))
        #expect(run.results.allSatisfy { (try? $0.get())?.completionCode == .normal })
        #expect(run.drops == 0)
        #expect(run.retransmitted == 0)
        // Served one after another, however many are in flight: at least 24 × 5 ms.
        #expect(run.elapsed >= .milliseconds(120))
    }
}

/// The request window against the realistic profile's BMC (one request in service, 4 waiting, the rest dropped), with
/// the exporter's window of 16 and scrapes shaped like the exporter's: a few collectors' single requests at once, and
/// one that asks a question and then sends a batch (the sensor readings); the first scrape walks 60 records one at a
/// time before its batch (the SDR download). The first scrape (on a loaded machine, the first that fills the BMC's
/// queue) teaches the window what the BMC holds; after it no request is lost, so no scrape waits for a
/// retransmission.
@Suite("Request window against the realistic profile", .serialized)
struct RealisticWindowTests {
    static func scrape(_ client: IPMIClient, walk: Int) async {
        let deviceID = IPMIRequest(netFn: .app, command: 0x01)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = await client.requests([deviceID]) } }
            group.addTask {
                _ = await client.requests([deviceID])
                for _ in 0..<walk { _ = await client.requests([deviceID]) }
                _ = await client.requests(Array(repeating: deviceID, count: 46))
            }
        }
    }

    @Test("after the scrape that finds how many the BMC holds, warm scrapes lose and retransmit nothing")
    func warmScrapesRetransmitNothing() async throws {
        try await withSimulatedBMC(faults: .realistic) { fleet in
            let transport = try await IPMITransport.bind(host: "127.0.0.1")
            // Retransmission timeouts as long as the request timeout: a stall of this process (client and
            // simulator) on a loaded machine then delays an answer without sending its request again, which the
            // full queue would drop. Only a lost request is retransmitted.
            let client = try await ClientTests.connectedClient(
                fleet, window: 16, transport: transport, requestTimeout: .seconds(1),
                minimumRetransmitTimeout: .seconds(1))
            var retransmitted: [UInt64] = []
            var drops: [Int] = []
            // 51 requests a warm scrape: over 80 of them after the first are more than the run of answers
            // (RequestWindow.maximumGrowthRun) after which the window used to widen by one to probe the BMC, which
            // lost a request in one scrape of about 80.
            for index in 0..<90 {
                let before = transport.statistics.snapshot.retransmissions
                let dropsBefore = try await fleet.queueDrops(bmc: 0)
                await Self.scrape(client, walk: index == 0 ? 60 : 0)
                retransmitted.append(transport.statistics.snapshot.retransmissions - before)
                drops.append(try await fleet.queueDrops(bmc: 0) - dropsBefore)
            }
            await client.close()
            await transport.close()
            // A scrape finds out, by losing requests, that 16 is too many: the first, unless this process is so
            // slow (a loaded machine) that it cannot keep the BMC's queue full, and then the first one that can.
            // After it, nothing is lost: the window as of 85aa877 went on losing 3 to 6 in every scrape, the one of
            // de2f869 one request when it probed a wider window after 4,096 answers.
            let learnt = try #require(drops.firstIndex { $0 > 0 }, "drops per scrape: \(drops)")
            #expect((drops.count - learnt - 1) * 51 > RequestWindow.maximumGrowthRun, "drops per scrape: \(drops)")
            #expect(retransmitted.suffix(from: learnt + 1).allSatisfy { $0 == 0 }, "retransmissions: \(retransmitted)")
            #expect(drops.suffix(from: learnt + 1).allSatisfy { $0 == 0 }, "drops per scrape: \(drops)")
        }
    }
}

/// ipmitool and FreeIPMI send one request at a time, so the realistic profile only slows them down: they read the
/// same as from a loopback BMC.
@Suite("ipmitool and FreeIPMI against the realistic profile", .serialized)
struct RealisticProfileToolTests {
    /// The output of one tool against BMC 0 of a steady fleet with `faults`, and how long it took.
    func read(
        _ tool: String, _ arguments: @escaping (Int) -> [String], faults: BMCFaults
    ) async throws -> (output: String, seconds: Duration) {
        try await withSimulatedBMC(configuration: SimulatorConfiguration.defaultServer.steady, faults: faults) {
            fleet in
            let started = ContinuousClock.now
            let output = try await ExternalCommand.output(tool, arguments(fleet.ports[0]))
            return (output, ContinuousClock.now - started)
        }
    }

    @Test("ipmitool sdr elist reads the same as from a loopback BMC")
    func ipmitool() async throws {
        let arguments = { (port: Int) in ipmitoolArguments(port: port) + ["sdr", "elist"] }
        let loopback = try await read("ipmitool", arguments, faults: .none)
        let realistic = try await read("ipmitool", arguments, faults: .realistic)
        #expect(realistic.output.split(separator: "\n").count == 50)
        #expect(realistic.output == loopback.output)
        // 50 sensor readings at 4 ms and 50 SDR reads at 6 ms, one after another, besides the session set-up.
        #expect(realistic.seconds >= .milliseconds(500))
    }

    @Test("ipmi-sensors reads the same as from a loopback BMC")
    func ipmiSensors() async throws {
        let cache = NSTemporaryDirectory() + "sim-realistic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cache) }
        // Each run reads the SDR afresh, so both make the same requests.
        let arguments = { (port: Int) in
            FreeIPMITests.arguments(port: port, cache: cache) + ["--sdr-cache-recreate"]
        }
        let loopback = try await read("ipmi-sensors", arguments, faults: .none)
        let realistic = try await read("ipmi-sensors", arguments, faults: .realistic)
        #expect(realistic.output.split(separator: "\n").count == 51)
        #expect(realistic.output == loopback.output)
        #expect(realistic.seconds >= .milliseconds(500))
    }
}
