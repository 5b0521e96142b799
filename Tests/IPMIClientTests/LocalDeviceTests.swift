import Foundation
import IPMI
import IPMITestSupport
import Logging
import Testing

@testable import IPMIClient
@testable import IPMILocalDevice

/// What the local device can be tested for without a kernel IPMI driver (the requests themselves run against a real
/// /dev/ipmi0 in scripts/qemu-local-test.py): the errors before any request, and the permission line's mode text.
@Suite struct LocalDeviceTests {
    @Test func aMissingDeviceSaysWhichModulesToLoad() async throws {
        let logger = Logger(label: "local-device-test")
        do {
            _ = try await OpenIPMIDevice.open(path: "/nonexistent/ipmi0", logger: logger)
            Issue.record("opened a device that does not exist")
        } catch let error as LocalDeviceError {
            #expect(error.isNoDevice)
            #expect(
                error.description
                    == "no IPMI device (/nonexistent/ipmi0 not found): load the kernel modules ipmi_si and ipmi_devintf "
                    + "(modprobe ipmi_si ipmi_devintf), or give --device PATH")
        }
        #expect(OpenIPMIDevice.existingPath(among: ["/nonexistent/ipmi0", "/dev/null"]) == "/dev/null")
        #expect(OpenIPMIDevice.existingPath(among: ["/nonexistent/ipmi0"]) == nil)
    }

    /// A path that is no device at all fails with the system's reason, not with a crash or a hang.
    @Test func aDirectoryIsRefusedWithItsReason() async throws {
        let logger = Logger(label: "local-device-test")
        await #expect(throws: LocalDeviceError.cannotOpen("/tmp", errno: EISDIR)) {
            _ = try await OpenIPMIDevice.open(path: "/tmp", logger: logger)
        }
    }

    /// The mode in a permission-denied line reads as `ls -l` shows it: coreutils' `stat -c %A` is the oracle.
    @Test(.enabled(if: ExternalCommand.isAvailable("stat")))
    func modeStringsMatchStat() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths = ["/dev/null", directory.path]
        for mode in [0o600, 0o640, 0o751, 0o007] {
            let file = directory.appendingPathComponent("f\(mode)").path
            #expect(FileManager.default.createFile(atPath: file, contents: nil))
            #expect(chmod(file, mode_t(mode)) == 0)
            paths.append(file)
        }
        for path in paths {
            var info = stat()
            #expect(stat(path, &info) == 0)
            let expected = try await ExternalCommand.output("stat", ["-c", "%A", path])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(OpenIPMIDevice.modeString(info.st_mode) == expected, "\(path)")
        }
        #expect(OpenIPMIDevice.access(of: "/dev/null").hasSuffix("mode crw-rw-rw-"))
    }

    @Test func timeoutsNameTheCommand() {
        let error = LocalDeviceError.timeout("/dev/ipmi0", after: .milliseconds(1040), netFn: .storage, command: 0x23)
        #expect(error.isTimeout)
        #expect(
            error.description
                == "timeout after 1.0 s waiting for the BMC to answer Get SDR (storage command 0x23) through /dev/ipmi0"
        )
        #expect(CommandName.describe(netFn: NetFn(rawValue: 0x30), command: 0x01) == "netfn 0x30 command 0x01")
    }
}
