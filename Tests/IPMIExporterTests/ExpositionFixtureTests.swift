import Foundation
import IPMITestSupport
import Testing

/// The exporter just built serves the lab BMC byte for byte as the recording build did (Tests/Lab/exposition: an
/// exporter of an earlier commit, not the code under test), timing values apart.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("sdrcomp") && ExternalCommand.isAvailable("curl")
            && ExternalCommand.isAvailable("python3"),
        "needs ipmi_sim, sdrcomp, curl and python3"),
    .serialized)
struct ExpositionFixtureTests {
    static let directory = IPMISim.testsDirectory().appendingPathComponent("Lab/exposition")

    @Test func theLabExpositionIsTheRecordedOne() async throws {
        let binary = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let expected = Self.directory.appendingPathComponent("expected")
        let names = try FileManager.default.contentsOfDirectory(atPath: expected.path).filter { $0.hasSuffix(".prom") }
            .sorted()
        #expect(names.count == 6)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        _ = try await ExternalCommand.output(
            Self.directory.appendingPathComponent("record.sh").path, [binary.path, output.path], timeout: 180)
        for name in names {
            let recorded = try Data(contentsOf: expected.appendingPathComponent(name))
            let served = try Data(contentsOf: output.appendingPathComponent(name))
            #expect(!recorded.isEmpty)
            if recorded != served {
                let diff = try? await ExternalCommand.run(
                    "diff",
                    ["-u", expected.appendingPathComponent(name).path, output.appendingPathComponent(name).path])
                Issue.record("\(name) differs from the recording:\n\(diff?.stdout ?? "")")
            }
        }
    }
}
