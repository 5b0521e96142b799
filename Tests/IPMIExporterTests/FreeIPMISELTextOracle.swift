import Foundation
import IPMITestSupport

@testable import ExporterCollectors

/// scripts/freeipmi-sel-text.py, run once for many records: the Event and State columns the installed libfreeipmi
/// gives each, as ipmi-sel prints them (the suites that compare our SEL texts with FreeIPMI's).
enum FreeIPMISELTextOracle {
    /// A record as the script reads it: the BMC's manufacturer and product, then the record's bytes in hex.
    static func line(_ device: SELDeviceIdentity, _ record: [UInt8]) -> String {
        "\(device.manufacturerID) \(device.productID) " + record.map { String(format: "%02x", $0) }.joined()
    }

    /// The script's answer to each of `lines` (made by ``line(_:_:)``), one line each, in order.
    static func answers(_ lines: [String]) async throws -> [Substring] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/freeipmi-sel-text.py").path
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sel-text-\(UUID().uuidString).txt")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        // ExternalCommand gives the program no standard input: the shell redirects the file to it.
        let output = try await ExternalCommand.output(
            "sh", ["-c", "exec python3 \"$0\" < \"$1\"", script, file.path], timeout: 600)
        return Array(output.split(separator: "\n", omittingEmptySubsequences: false).dropLast())
    }
}
