import IPMISimulator
import Testing

/// `driver: LAN` (IPMI 1.5 sessions) against the simulator, and FreeIPMI's workaround flags for IPMI 1.5 BMCs against
/// the simulator's quirks of the same names: without the flag no collector is up and the log names the flag; with it
/// every collector is, at the simulator's readings (see WorkaroundFlagTests for the RMCP+ ones).
@Suite(.serialized)
struct IPMI15WorkaroundFlagTests {
    @Test func driverLANReadsTheQuirkFreeSimulator() async throws {
        let plain = try await WorkaroundFlagTests.scrape(quirks: [], flags: [], ipmi15: true)
        for collector in WorkaroundFlagTests.collectors { #expect(plain.up(collector) == 1, "\(collector)") }
        #expect(plain.readsTruth)
        #expect(!plain.log.contains("workaround_flags: ["))
    }

    /// The 1.5 quirks break only 1.5 sessions: the same BMC over RMCP+ needs no flag.
    @Test func theIPMI15QuirksLeaveRMCPPlusAlone() async throws {
        let quirks: BMCQuirks = [.idzero, .endianseq, .noauthcodecheck, .unexpectedauth]
        let outcome = try await WorkaroundFlagTests.scrape(quirks: quirks, flags: [])
        for collector in WorkaroundFlagTests.collectors { #expect(outcome.up(collector) == 1, "\(collector)") }
        #expect(outcome.readsTruth)
    }

    @Test(
        arguments: [
            (BMCQuirks.idzero, "idzero"), (.forcepermsg, "forcepermsg"), (.unexpectedauth, "unexpectedauth"),
            (.endianseq, "endianseq"), (.noauthcodecheck, "noauthcodecheck"),
        ])
    func ipmi15Quirk(quirk: BMCQuirks, flag: String) async throws {
        try await WorkaroundFlagTests.checkSession(quirk, flag: flag, ipmi15: true)
    }
}
