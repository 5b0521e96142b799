import Testing

@testable import IPMI

@Suite("Session routes")
struct SessionRoutesTests {
    /// A peer as the transport keys it: an address and a UDP port.
    struct Peer: Hashable, Sendable {
        var host: String
        var port: Int
    }

    typealias Routes = SessionRoutes<Peer, String>

    private let bmc = Peer(host: "127.0.0.1", port: 9001)
    /// A second BMC on the same address, another port (as two simulators on one host).
    private let otherBMC = Peer(host: "127.0.0.1", port: 9002)

    /// An IPMI v1.5 session packet (IPMI v2.0 section 13.6, table 13-8): RMCP header (version 6, reserved, sequence
    /// 0xFF = no ACK, class 7 = IPMI), auth type none, session sequence 1, the session ID little-endian, message
    /// length 0.
    private func ipmi15Packet(sessionID: [UInt8]) -> [UInt8] {
        [0x06, 0x00, 0xFF, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00] + sessionID + [0x00]
    }

    /// An RMCP+ session packet (IPMI v2.0 section 13.6, table 13-8): auth type 6 (RMCP+), payload type 0 (IPMI, not
    /// encrypted or authenticated), the session ID little-endian, session sequence 1, payload length 0.
    private func rmcpPlusPacket(sessionID: [UInt8]) -> [UInt8] {
        [0x06, 0x00, 0xFF, 0x07, 0x06, 0x00] + sessionID + [0x01, 0x00, 0x00, 0x00, 0x00, 0x00]
    }

    /// The sessions a datagram goes to, sorted; nil when it goes nowhere.
    private func recipients(_ routes: Routes, _ datagram: [UInt8], from peer: Peer) throws -> [String]? {
        let key = try #require(routingKey(ofDatagramFromBMC: datagram))
        switch routes.recipients(of: key, from: peer) {
        case .nobody: return nil
        case .one(let session): return [session]
        case .several(let sessions):
            #expect(!sessions.isEmpty)
            return sessions.sorted()
        }
    }

    /// Registers each session under the console session ID given, then routes each v1.5 BMC session ID (peer, BMC's
    /// ID, console session ID) in that order.
    private func makeRoutes(_ sessions: [(String, Peer, UInt32)], ipmi15: [(Peer, UInt32, UInt32)] = []) -> Routes {
        var routes = Routes()
        for (session, peer, id) in sessions { #expect(routes.add(session, peer: peer) { id } == id) }
        for (peer, bmcID, consoleID) in ipmi15 { routes.route(peer: peer, bmcSessionID: bmcID, to: consoleID) }
        return routes
    }

    @Test("an RMCP+ packet goes to the session its console session ID names, on its peer only")
    func rmcpPlus() throws {
        let routes = makeRoutes([("a", bmc, 0x1122_3344), ("b", bmc, 0x5566_7788), ("other", otherBMC, 0x1122_3344)])
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x44, 0x33, 0x22, 0x11]), from: bmc) == ["a"])
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x88, 0x77, 0x66, 0x55]), from: bmc) == ["b"])
        #expect(
            try recipients(routes, rmcpPlusPacket(sessionID: [0x44, 0x33, 0x22, 0x11]), from: otherBMC) == ["other"])
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x88, 0x77, 0x66, 0x55]), from: otherBMC) == nil)
        #expect(routes.count == 3)
    }

    @Test("a v1.5 answer naming the BMC's session ID goes to the console session Activate Session introduced it to")
    func ipmi15Answer() throws {
        var routes = makeRoutes(
            [("a", bmc, 1), ("b", bmc, 2)], ipmi15: [(bmc, 0x0A0B_0C0D, 2), (bmc, 0x0000_0100, 1)])
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x0D, 0x0C, 0x0B, 0x0A]), from: bmc) == ["b"])
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x00, 0x01, 0x00, 0x00]), from: bmc) == ["a"])
        // Our console session IDs are not the BMC's: a v1.5 packet naming 1 or 2 reaches no one.
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x02, 0x00, 0x00, 0x00]), from: bmc) == nil)
        // The temporary ID is followed by the activated one (IPMI v2.0 section 22.17): both lead to the session.
        routes.route(peer: bmc, bmcSessionID: 0x0A0B_0C0E, to: 2)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x0E, 0x0C, 0x0B, 0x0A]), from: bmc) == ["b"])
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x0D, 0x0C, 0x0B, 0x0A]), from: bmc) == ["b"])
    }

    @Test("two BMCs on one address, other ports, giving the same session ID keep their sessions apart")
    func twoBMCsOneAddress() throws {
        var routes = makeRoutes(
            [("first", bmc, 7), ("second", otherBMC, 7)], ipmi15: [(bmc, 0x0000_0042, 7), (otherBMC, 0x0000_0042, 7)])
        let answer = ipmi15Packet(sessionID: [0x42, 0x00, 0x00, 0x00])
        #expect(try recipients(routes, answer, from: bmc) == ["first"])
        #expect(try recipients(routes, answer, from: otherBMC) == ["second"])
        routes.remove(peer: bmc, consoleSessionID: 7)
        #expect(try recipients(routes, answer, from: bmc) == nil)
        #expect(try recipients(routes, answer, from: otherBMC) == ["second"])
    }

    @Test("removing a session drops it and its v1.5 routes; the other sessions keep theirs")
    func removal() throws {
        var routes = makeRoutes(
            [("a", bmc, 1), ("b", bmc, 2)], ipmi15: [(bmc, 0x10, 1), (bmc, 0x11, 1), (bmc, 0x20, 2)])
        #expect(routes.remove(peer: bmc, consoleSessionID: 1) == "a")
        #expect(routes.remove(peer: bmc, consoleSessionID: 1) == nil)
        #expect(routes.count == 1)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x10, 0x00, 0x00, 0x00]), from: bmc) == nil)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x11, 0x00, 0x00, 0x00]), from: bmc) == nil)
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x01, 0x00, 0x00, 0x00]), from: bmc) == nil)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x20, 0x00, 0x00, 0x00]), from: bmc) == ["b"])
        // A session registered later under the removed console ID does not inherit the removed routes.
        #expect(routes.add("c", peer: bmc) { 1 } == 1)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x10, 0x00, 0x00, 0x00]), from: bmc) == nil)
    }

    @Test("a newer claim of a BMC session ID replaces an older one, which ending later does not undo")
    func newerClaim() throws {
        var routes = makeRoutes([("stale", bmc, 1), ("fresh", bmc, 2)], ipmi15: [(bmc, 0x99, 1), (bmc, 0x99, 2)])
        let answer = ipmi15Packet(sessionID: [0x99, 0x00, 0x00, 0x00])
        #expect(try recipients(routes, answer, from: bmc) == ["fresh"])
        routes.remove(peer: bmc, consoleSessionID: 1)
        #expect(try recipients(routes, answer, from: bmc) == ["fresh"])
    }

    @Test("pre-session answers go to the sessions in their handshake and to v1.5 sessions, of that peer only")
    func preSession() throws {
        var routes = makeRoutes([
            ("established", bmc, 1), ("handshake", bmc, 2), ("ipmi15", bmc, 3), ("elsewhere", otherBMC, 4),
        ])
        routes.established(peer: bmc, consoleSessionID: 1)
        routes.route(peer: bmc, bmcSessionID: 0x55, to: 3)
        routes.established(peer: bmc, consoleSessionID: 3)
        // Session ID 0 in either format names no session (Get Channel Authentication Capabilities, `idzero` BMCs).
        let v15 = ipmi15Packet(sessionID: [0x00, 0x00, 0x00, 0x00])
        let rmcpPlus = rmcpPlusPacket(sessionID: [0x00, 0x00, 0x00, 0x00])
        #expect(try recipients(routes, v15, from: bmc) == ["handshake", "ipmi15"])
        #expect(try recipients(routes, rmcpPlus, from: bmc) == ["handshake", "ipmi15"])
        #expect(try recipients(routes, v15, from: otherBMC) == ["elsewhere"])
        routes.established(peer: bmc, consoleSessionID: 2)
        #expect(try recipients(routes, v15, from: bmc) == ["ipmi15"])
        routes.remove(peer: bmc, consoleSessionID: 3)
        #expect(try recipients(routes, v15, from: bmc) == nil)
    }

    @Test("unknown session IDs, unknown peers and routes to unregistered sessions reach no one")
    func unknown() throws {
        let routes = makeRoutes([("a", bmc, 0x0102_0304)], ipmi15: [(bmc, 0x77, 0x0BAD)])
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x77, 0x00, 0x00, 0x00]), from: bmc) == nil)
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x05, 0x03, 0x02, 0x01]), from: bmc) == nil)
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x04, 0x03, 0x02, 0x01]), from: otherBMC) == nil)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x00, 0x00, 0x00, 0x00]), from: otherBMC) == nil)
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x04, 0x03, 0x02, 0x01]), from: bmc) == ["a"])
    }

    @Test("a console session ID is never 0 nor one in use for that peer; other peers may reuse it")
    func choosingIDs() {
        var routes = Routes()
        var offered: [UInt32] = [0, 5, 5, 0, 6, 5]
        let next = { () -> UInt32 in offered.removeFirst() }
        #expect(routes.add("a", peer: bmc, choosingIDWith: next) == 5)
        #expect(routes.add("b", peer: bmc, choosingIDWith: next) == 6)
        #expect(routes.add("c", peer: otherBMC, choosingIDWith: next) == 5)
        #expect(offered.isEmpty)
    }

    @Test("removing by a condition takes out those sessions and their v1.5 routes, and returns them")
    func removeWhere() throws {
        var routes = makeRoutes(
            [("lane0-a", bmc, 1), ("lane1-b", bmc, 2), ("lane0-c", otherBMC, 3)], ipmi15: [(bmc, 0x31, 1)])
        #expect(routes.removeAll { $0.hasPrefix("lane0") }.sorted() == ["lane0-a", "lane0-c"])
        #expect(routes.count == 1)
        #expect(try recipients(routes, ipmi15Packet(sessionID: [0x31, 0x00, 0x00, 0x00]), from: bmc) == nil)
        #expect(try recipients(routes, rmcpPlusPacket(sessionID: [0x02, 0x00, 0x00, 0x00]), from: bmc) == ["lane1-b"])
        #expect(routes.removeAll { _ in true } == ["lane1-b"])
        #expect(routes.count == 0)
    }
}
