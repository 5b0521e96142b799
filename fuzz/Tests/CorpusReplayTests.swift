import Foundation
import IPMI
import IPMISensors
import IPMISimulator
import Testing

/// Replays every committed fuzzing input (fuzz/corpus/NAME) through the same harness libFuzzer ran, so CI checks
/// the decoders against everything the campaigns found interesting without running the fuzzer itself.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let harnesses: [String: @Sendable ([UInt8]) -> Void] = [
        "packet": PacketFuzzHarness.run,
        "session": SessionFuzzHarness.run,
        "sdr": SDRFuzzHarness.run,
        "reading": ReadingFuzzHarness.run,
        "simulator": SimulatorFuzzHarness.run,
        "fru": FRUFuzzHarness.run,
    ]

    static func corpus(_ name: String) throws -> [(String, [UInt8])] {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("corpus/\(name)")
        let files = try FileManager.default.contentsOfDirectory(atPath: base.path).sorted()
        return try files.map { ($0, Array(try Data(contentsOf: base.appendingPathComponent($0)))) }
    }

    @Test(arguments: ["packet", "session", "sdr", "reading", "simulator", "fru"])
    func replay(_ name: String) throws {
        let inputs = try Self.corpus(name)
        // A harness whose corpus went missing would pass vacuously.
        #expect(inputs.count >= 10, "corpus \(name) has only \(inputs.count) inputs")
        let run = try #require(Self.harnesses[name])
        for (_, bytes) in inputs {
            run(bytes)
        }
    }

    /// The session harness's own seeds must drive every session to every phase, or the fuzzer starts blind.
    @Test func sessionSeedsReachEveryPhase() {
        let seeds = SessionFuzzHarness.seeds()
        let phases = Set(seeds.map { $0[0] & 0x07 })
        #expect(phases == Set(0...7))
        #expect(seeds.count >= SessionFuzzHarness.sessions.count * 6)
        for seed in seeds { SessionFuzzHarness.run(seed) }
    }

    /// The simulator's seeds must really log in and reach the command handlers.
    @Test func simulatorSeedsEstablishSessions() {
        var bmc = SimulatedBMC(
            profile: SimulatorFuzzHarness.profile, index: 0, bootTime: 1_700_000_000, random: CountingRandom())
        for suite: UInt8 in [3, 17] {
            #expect(SimulatorFuzzHarness.establish(&bmc, suite: suite, now: 1_700_000_100)?.isEstablished == true)
        }
        #expect(SimulatorFuzzHarness.seeds().count == 3)
        for seed in SimulatorFuzzHarness.seeds() { SimulatorFuzzHarness.run(seed) }
    }
}
