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

    @Option(name: .customShort("H"), help: "The BMC, as HOST or HOST:PORT (default port 623).")
    var host: String

    @Option(name: .customShort("U"), help: "User name.")
    var user: String

    @Option(name: .customShort("I"), help: "Cipher suite ID; negotiated when omitted.")
    var cipherSuite: UInt8?

    @Option(name: .customShort("L"), help: "Privilege level: user, operator or administrator.")
    var privilege: String = "user"

    @Option(name: .customLong("password-file"), help: "A file whose first line is the password.")
    var passwordFile: String?

    @Option(help: "csv (the ipmimonitoring layout) or table.")
    var output: OutputFormat = .csv

    @Flag(help: "Log protocol details to standard error.")
    var debug = false

    func run() async throws {
        var logger = Logger(label: "ipmi-exporter.sensors")
        logger.logLevel = debug ? .debug : .error
        do {
            let (hostName, port) = try Self.splitHostPort(host)
            guard let level = PrivilegeLevel(name: privilege.lowercased()) else {
                throw ValidationError("unknown privilege level '\(privilege)'")
            }
            var suite: CipherSuite?
            if let cipherSuite {
                guard let known = CipherSuite(id: cipherSuite) else {
                    throw ValidationError("unsupported cipher suite \(cipherSuite)")
                }
                suite = known
            }
            let client = try IPMIClient(
                host: hostName, port: port, username: user, password: try readPassword(), cipherSuite: suite,
                privilege: level, logger: logger)
            let readings: [SensorReading]
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
            print(output == .csv ? SensorReport.csv(readings) : SensorReport.table(readings), terminator: "")
        } catch let error as ValidationError {
            throw error
        } catch {
            // One clear line, never a stack trace.
            FileHandle.standardError.write(Data("ipmi-exporter sensors: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func readPassword() throws -> String {
        if let passwordFile {
            let contents = try String(contentsOfFile: passwordFile, encoding: .utf8)
            return String(contents.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        if let password = ProcessInfo.processInfo.environment["IPMI_PASSWORD"] {
            return password
        }
        throw MissingPassword()
    }

    struct MissingPassword: Error, CustomStringConvertible {
        var description: String { "no password: use --password-file FILE or the IPMI_PASSWORD environment variable" }
    }

    /// "host", "host:port", "[v6]" or "[v6]:port".
    static func splitHostPort(_ text: String) throws -> (String, Int) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let hostName = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard !rest.isEmpty else { return (hostName, 623) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else {
                throw ValidationError("invalid port in '\(text)'")
            }
            return (hostName, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else {
                throw ValidationError("invalid port in '\(text)'")
            }
            return (String(parts[0]), port)
        }
        return (text, 623)
    }
}
