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
            Without -H the sensors are this machine's, read through the kernel's IPMI device (/dev/ipmi0). With -H, \
            the password comes from --password-file FILE or the IPMI_PASSWORD environment variable (never from the \
            command line, where other users could see it). States follow FreeIPMI's default interpretation, except \
            that a non-critical threshold is reported as Warning. The whole run (session, SDR repository, readings) \
            stops after --deadline, and a repository with more records or sensors than --max-sdr-records or \
            --max-sensors is refused (exit status 1): a broken or hostile BMC cannot keep it running or growing. In \
            the CSV, a field holding a comma, a double quote, CR or LF is quoted (RFC 4180); other control \
            characters from the BMC are shown as U+FFFD in both outputs.
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case csv
        case table
    }

    @OptionGroup var bmc: BMCOptions

    @Option(help: "csv (the ipmimonitoring layout) or table.")
    var output: OutputFormat = .csv

    @Option(help: "Seconds the whole run may take, session set-up and every request included (1 to 3600).")
    var deadline: Double = 120

    @Option(
        name: .customLong("max-sdr-records"), help: "Refuse an SDR repository with more records than this (1 to 65535)."
    )
    var maxSDRRecords = SDRLimits.defaultMaximumRecords

    @Option(
        name: .customLong("max-sensors"),
        help: "Refuse an SDR repository that describes more sensors than this (1 to 983025).")
    var maxSensors = SDRLimits.defaultMaximumSensors

    @Flag(
        name: .customLong("bridge-sensors"),
        help: "Read sensors owned by other controllers through Send Message, as FreeIPMI's --bridge-sensors.")
    var bridgeSensors = false

    /// A run takes a few seconds on a real BMC; an hour is far past any that is answering.
    static let deadlines: ClosedRange<Duration> = .seconds(1)...(.seconds(3600))

    func validate() throws {
        _ = try overallDeadline()
        guard (1...65_535).contains(maxSDRRecords) else {
            throw ValidationError("--max-sdr-records must be between 1 and 65535")
        }
        guard (1...983_025).contains(maxSensors) else {
            throw ValidationError("--max-sensors must be between 1 and 983025")
        }
    }

    private func overallDeadline() throws -> Duration {
        guard let duration = TimeBounds.duration(seconds: deadline, in: Self.deadlines) else {
            throw ValidationError("--deadline must be between 1 and 3600 seconds, got \(deadline)")
        }
        return duration
    }

    func run() async throws {
        let logger = bmc.makeLogger(label: "ipmi-exporter.sensors")
        let limits = SDRLimits(maximumRecords: maxSDRRecords, maximumSensors: maxSensors)
        let allowed = try overallDeadline()
        let end = ContinuousClock.now + allowed
        let readings: [SensorReading]
        do {
            do {
                // Every request, retries included, stops at the deadline (IPMIDeadline bounds them all).
                readings = try await IPMIDeadline.$current.withValue(end) {
                    try await bmc.withBMC(logger: logger) { requester in
                        let reader = SDRRepositoryReader(logger: logger, limits: limits)
                        let (repository, _) = try await reader.readRepositoryOrDeviceSDRs(from: requester)
                        return try await SensorReader(logger: logger, bridgeSensors: bridgeSensors).readAll(
                            reader.sensors(in: repository), from: requester)
                    }
                }
            } catch {
                guard ContinuousClock.now < end else { throw DeadlinePassed(deadline: allowed) }
                throw error
            }
        } catch {
            try reportAndExit("sensors", error)
        }
        print(output == .csv ? SensorReport.csv(readings) : SensorReport.table(readings), terminator: "")
    }
}

/// The `sensors` run did not finish within `--deadline`.
struct DeadlinePassed: Error, CustomStringConvertible {
    var deadline: Duration
    var description: String { "gave up after the --deadline of \(deadline)" }
}
