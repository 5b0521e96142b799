import IPMITestSupport
import Testing

/// The lab BMC itself must work before anything is measured against it.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"))
struct LabHarnessTests {
    @Test func ipmitoolReadsDeviceIDFromTheLabBMC() throws {
        let bmc = try IPMISim()
        let output = try bmc.ipmitool(["raw", "0x06", "0x01"])
        // Device ID 0x23, revision 9, firmware 8.2 (BCD 0x02 … see the emu's mc_add line).
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("23 09 08"))
    }
}
