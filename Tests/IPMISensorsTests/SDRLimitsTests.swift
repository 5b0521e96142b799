import IPMI
import Logging
import Testing

@testable import IPMISensors

/// Configured limits (the exporter's `max_sdr_records` and `max_sensors`, the CLI's flags) on a hostile repository.
@Suite struct SDRLimitsTests {
    let logger = Logger(label: "test")

    @Test(arguments: [1, 10, 300])
    func theRecordLimitIsTheConfiguredOne(limit: Int) async throws {
        let bmc = EndlessRepository(last: 0xFFFE)
        let reader = SDRRepositoryReader(logger: logger, limits: SDRLimits(maximumRecords: limit))
        do {
            _ = try await reader.read(from: bmc)
            Issue.record("a repository over the limit was read")
        } catch let error as SDRRepositoryError {
            #expect(error.description.contains("more than \(limit) records"), "\(error)")
        }
        #expect(bmc.recordsServed == limit)
    }

    /// Shared records are expanded only up to the sensor limit: 100 records of 15 sensors each are 1,500 sensors.
    @Test func sharedRecordsExpandOnlyUpToTheSensorLimit() async throws {
        let repository = try await SDRRepositoryReader(logger: logger).read(from: EndlessRepository(last: 100))
        #expect(try SensorDefinition.sensors(in: repository.records, maximum: 1500).count == 1500)
        #expect(SensorDefinition.sensors(in: repository.records).count == 1500)
        for limit in [1, 1499] {
            #expect(throws: SDRRepositoryError.self) {
                try SensorDefinition.sensors(in: repository.records, maximum: limit)
            }
            let reader = SDRRepositoryReader(logger: logger, limits: SDRLimits(maximumSensors: limit))
            #expect(throws: SDRRepositoryError.self) { try reader.sensors(in: repository) }
        }
    }
}
