import IPMITestSupport
import Testing

/// The lab BMC itself must work before anything is measured against it.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"))
struct LabHarnessTests {
    @Test func ipmitoolReadsDeviceIDFromTheLabBMC() throws {
        let bmc = try IPMISim()
        let output = try bmc.ipmitool(["raw", "0x06", "0x01"])
        // Device ID 0x20, revision 3, firmware 9.08: the default mc_add line of the harness.
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("20 03 09 08"))
    }
}
