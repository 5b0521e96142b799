import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

@Suite("ipmitool against the simulator")
struct IpmitoolTests {
    @Test("mc info over every cipher suite ipmitool can use", arguments: [17, 16, 15, 3, 2, 1, 8, 7, 6, 12, 11])
    func mcInfo(suite: Int) async throws {
        try await withSimulatedBMC { fleet in
            let output = try ExternalCommand.output("ipmitool", ipmitoolArguments(port: fleet.ports[0], suite: suite) + ["mc", "info"])
            #expect(output.contains("Device ID                 : 32"))
            #expect(output.contains("Firmware Revision         : 2.45"))
            #expect(output.contains("IPMI Version              : 2.0"))
            #expect(output.contains("Product ID                : 21321"))
        }
    }
}
