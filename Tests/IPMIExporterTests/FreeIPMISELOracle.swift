import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Drives scripts/freeipmi-sel-text.py, which makes ipmi-sel's libfreeipmi calls (the Event column's "%E" and the
/// State column's interpretation) for SEL records without a BMC, and compares our texts and states with its answers.
/// The vendor suites generate their records and hand them all over at once: one python process for the whole run.
enum FreeIPMISELOracle {
    typealias Case = (device: SELDeviceIdentity, record: [UInt8])

    /// A record as the script reads it: two lowercase hex digits a byte.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { SELEntry.hexByte($0).dropLast().lowercased() }.joined()
    }

    /// FreeIPMI's Event and State columns for each record, in order; with `sdrCache`, an SDR cache file FreeIPMI
    /// wrote, libfreeipmi reads the records with those SDRs (the script's `--sdr-cache`).
    static func answers(_ cases: [Case], sdrCache: String? = nil, timeout: Double = 600) async throws -> [[String]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/freeipmi-sel-text.py").path
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("sel-oracle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: input) }
        let lines = cases.map { "\($0.device.manufacturerID) \($0.device.productID) \(hex($0.record))\n" }
        try lines.joined().write(to: input, atomically: true, encoding: .utf8)
        // ExternalCommand gives the program no standard input: the shell redirects the file to it, and passes the
        // options after it on.
        let options = sdrCache.map { ["--sdr-cache", $0] } ?? []
        let output = try await ExternalCommand.output(
            "sh", ["-c", "input=$1; shift; exec python3 \"$0\" \"$@\" < \"$input\"", script, input.path] + options,
            timeout: timeout)
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(asUTF8)
        }
    }

    /// The script prints ipmi-sel's bytes as Latin-1 (one character a byte); a reader of ipmi-sel's output, as the
    /// exporter's text is, takes them as UTF-8 (a byte that is not, such as one of a panic string, as U+FFFD).
    static func asUTF8(_ column: Substring) -> String {
        let bytes = column.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Expects no mismatch, listing the first ones.
    static func expectNone(_ run: Run, of count: Int) {
        let differing = run.mismatches.count
        #expect(
            differing == 0, "\(differing) of \(count) differ:\n\(run.mismatches.prefix(30).joined(separator: "\n"))")
    }

    /// One oracle run and its comparison: FreeIPMI's answers, the records we print otherwise, and how many records of
    /// the vendor's device FreeIPMI prints otherwise than the generic text (a check that they reach its
    /// interpretation).
    struct Run {
        let answers: [[String]]
        let mismatches: [String]
        let interpreted: Int
    }

    /// Runs the oracle once on all `cases` and compares; `device` is the vendor's BMC (nil: none counted). With
    /// `sdrCache`, FreeIPMI reads the records with that SDR cache, and ours are rendered with its Node Manager
    /// record `nodeManager`.
    static func run(
        _ cases: [Case], interpretedOn device: SELDeviceIdentity?, sdrCache: String? = nil,
        nodeManager: IntelNodeManagerRecord? = nil
    ) async throws -> Run {
        let answers = try await answers(cases, sdrCache: sdrCache)
        try #require(answers.count == cases.count, "the oracle answered \(answers.count) of \(cases.count) records")
        let interpreted = zip(cases, answers).filter { item, theirs in
            item.device == device && theirs.first != SELEntry(record: item.record)?.text(sensor: nil, device: nil)
        }.count
        return Run(
            answers: answers, mismatches: mismatches(cases, answers, nodeManager: nodeManager), interpreted: interpreted
        )
    }

    /// Each record whose text (`SELEntry.text(sensor: nil, device:nodeManager:)`) or state differs from FreeIPMI's
    /// answer, with the record's hex and both sides; an unreadable record is one too.
    static func mismatches(
        _ cases: [Case], _ answers: [[String]], nodeManager: IntelNodeManagerRecord? = nil
    ) -> [String] {
        zip(cases, answers).compactMap { item, theirs in
            let (device, record) = item
            let name = "\(device.manufacturerID)/\(device.productID) \(hex(record))"
            guard let entry = SELEntry(record: record) else { return "\(name): not a SEL record" }
            let ours = [
                entry.text(sensor: nil, device: device, nodeManager: nodeManager), entry.state(device: device).rawValue,
            ]
            return ours == theirs ? nil : "\(name): ours \(ours) theirs \(theirs)"
        }
    }
}
