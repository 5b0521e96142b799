import IPMI
import IPMISimulator
import Testing

/// Found by fuzzing (fuzz/run.sh simulator): with a RandomSource that repeats itself, the second Open Session
/// spun forever looking for an unused session ID. Allocation is now bounded.
@Suite struct SessionIDAllocationTests {
    struct ConstantRandom: RandomSource {
        func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0x5A, count: count) }
    }

    @Test func aRepeatingRandomSourceStillGivesDistinctSessions() throws {
        var bmc = SimulatedBMC(
            profile: .defaultServer, index: 0, bootTime: SimulatedBMCTests.now - 100, random: ConstantRandom())
        var ids: [UInt32] = []
        for console in 1...3 {
            var client = try SimulatedBMCTests.Console(id: UInt32(0x1000 + console))
            client.connect(to: &bmc)
            #expect(client.established, "session \(console)")
            if let id = client.machine.negotiated?.managedSessionID { ids.append(id) }
        }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3, "session IDs \(ids) are not distinct")
        #expect(!ids.contains(0))
        #expect(bmc.sessionCount == 3)
    }
}
