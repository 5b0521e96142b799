import ArgumentParser
import Foundation
import IPMI
import IPMIClient
import IPMISensors
import Logging

/// `ipmi-exporter sensors`: every sensor of one BMC, one line each, in the CSV layout of FreeIPMI's
/// `ipmimonitoring --comma-separated-output --no-header-output --output-sensor-state --shared-sensors`.
struct SensorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "Print every sensor of a BMC: record id,name,type,state,reading,unit,event.",
        discussion: """
            The password comes from --password-file FILE or the IPMI_PASSWORD environment variable (never from the \
            command line, where other users could see it). States follow FreeIPMI's default interpretation, except \
            that a non-critical threshold is reported as Warning.
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case csv
        case table
    }

    @OptionGroup var bmc: BMCOptions

    @Option(help: "csv (the ipmimonitoring layout) or table.")
    var output: OutputFormat = .csv

    func run() async throws {
        let logger = bmc.makeLogger(label: "ipmi-exporter.sensors")
        let readings: [SensorReading]
        do {
            let client = try bmc.makeClient(logger: logger)
            do {
                try await client.connect()
                let repository = try await SDRRepositoryReader(logger: logger).read(from: client)
                readings = try await SensorReader(logger: logger).readAll(
                    SensorDefinition.sensors(in: repository.records), from: client)
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        } catch {
            try reportAndExit("sensors", error)
        }
        print(output == .csv ? SensorReport.csv(readings) : SensorReport.table(readings), terminator: "")
    }
}
