import Foundation
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Drives scripts/freeipmi-sel-text.py, the installed libfreeipmi making ipmi-sel's calls, over many SEL records in
/// one process, and compares its Event and State columns with ours (`text(sensor: nil, device:)`, `state(device:)`).
enum FreeIPMISELOracle {
    typealias Record = (device: SELDeviceIdentity, record: [UInt8])

    /// What one comparison found: the records that differ (with their hex) and, per record, FreeIPMI's columns.
    struct Comparison {
        var mismatches: [String]
        var answers: [[String]]
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { SELEntry.hexByte($0).dropLast() }.joined()
    }

    /// The oracle prints ipmi-sel's bytes as Latin-1 (one character a byte); a reader of ipmi-sel's output, as the
    /// exporter's text is, takes them as UTF-8 (a byte that is not, such as one of a panic string, as U+FFFD).
    static func asUTF8(_ column: Substring) -> String {
        let bytes = column.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs the oracle once on all `records` (written to a temporary file it reads) and compares each answer with
    /// ours.
    static func compare(_ records: [Record], label: String) async throws -> Comparison {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/freeipmi-sel-text.py").path
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: input) }
        let lines = records.map { "\($0.device.manufacturerID) \($0.device.productID) \(hex($0.record))\n" }
        try lines.joined().write(to: input, atomically: true, encoding: .utf8)
        let output = try await ExternalCommand.output(
            "sh", ["-c", "exec python3 \"$0\" < \"$1\"", script, input.path], timeout: 600)
        let answers = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(answers.count == records.count, "the oracle answered \(answers.count) of \(records.count) records")
        var comparison = Comparison(mismatches: [], answers: [])
        for ((device, record), answer) in zip(records, answers) {
            let theirs = answer.split(separator: "\t", omittingEmptySubsequences: false).map(asUTF8)
            let entry = try #require(SELEntry(record: record))
            let ours = [entry.text(sensor: nil, device: device), entry.state(device: device).rawValue]
            if ours != theirs {
                comparison.mismatches.append(
                    "\(device.manufacturerID)/\(device.productID) \(hex(record)): ours \(ours) theirs \(theirs)")
            }
            comparison.answers.append(theirs)
        }
        return comparison
    }

    /// Expects no mismatch, listing the first ones.
    static func expectNone(_ comparison: Comparison, of count: Int) {
        let differing = comparison.mismatches.count
        #expect(
            differing == 0,
            "\(differing) of \(count) differ:\n\(comparison.mismatches.prefix(30).joined(separator: "\n"))")
    }
}
