import Foundation
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

    @Test func aBMCLeftBehindByACrashedRunIsKilledAndALiveOneIsNot() throws {
        let live = try IPMISim()
        // The files of a second BMC, run by a shell that exits at once: the BMC is orphaned, as when the test
        // process that started it crashed.
        let template = try IPMISim()
        template.stop()
        let directory = template.directory.path
        // Not through Foundation's Process, which waits until every holder of a descriptor it gives the child has
        // closed it, and the BMC would inherit one. Bash (dash takes only one-digit descriptors) closes what it
        // inherited above stderr, starts the BMC, writes its PID to a file and exits.
        let pidFile = template.directory.appendingPathComponent("orphan.pid").path
        let script =
            "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; "
            + "ipmi_sim -c '\(directory)/lan.conf' -f '\(directory)/bmc.emu' -s '\(directory)/state' -n "
            + ">/dev/null 2>&1 </dev/null & echo $! > '\(pidFile)'"
        var shell: pid_t = 0
        let words: [String] = ["/bin/bash", "-c", script]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        try #require(posix_spawn(&shell, "/bin/bash", nil, nil, arguments, environ) == 0)
        var status: Int32 = 0
        waitpid(shell, &status, 0)
        let pidText = try String(contentsOfFile: pidFile, encoding: .utf8)
        let orphan = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { if IPMISim.parent(of: orphan) == 1 { kill(orphan, SIGKILL) } }
        // Reparented to init once the shell is gone (a subreaper in between would make it not an orphan of ours), and
        // running ipmi_sim once the forked shell has exec'd it.
        func isOrphanedBMC() -> Bool {
            let cmdline = FileManager.default.contents(atPath: "/proc/\(orphan)/cmdline") ?? Data()
            return IPMISim.parent(of: orphan) == 1 && cmdline.starts(with: Array("ipmi_sim".utf8))
        }
        let deadline = Date().addingTimeInterval(5)
        while !isOrphanedBMC(), Date() < deadline { usleep(10_000) }
        try #require(isOrphanedBMC(), "the BMC was not reparented to init")

        #expect(IPMISim.reapOrphans() >= 1)
        while IPMISim.parent(of: orphan) != nil, Date() < deadline { usleep(10_000) }
        #expect(IPMISim.parent(of: orphan) == nil)
        let answer = try live.ipmitool(["raw", "0x06", "0x01"])
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("20 03 09 08"))
    }
}
