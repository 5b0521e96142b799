import ArgumentParser
import Foundation

/// Entry point: parses the command line, runs the chosen subcommand, and turns errors into exit statuses.
///
/// Bad usage (an unknown flag, a missing or invalid value, a failed `validate()`) exits with status 2, as
/// Prometheus and its tools do, not with ArgumentParser's 64 (`EX_USAGE`), so that every subcommand
/// reports a usage or configuration mistake the same way `push` documents it: 0 ok, 1 failed, 2 bad
/// usage or config. The message is ArgumentParser's one line plus a pointer to `--help`, on stderr.
@main
enum ExporterMain {
    static func main() async {
        do {
            var command = try IPMIExporterCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(with: error)
        }
    }

    /// Exits for `error`: usage errors with status 2 and a short message, everything else (help,
    /// `--version`, explicit `ExitCode`s) as ArgumentParser would.
    static func exit(with error: any Error) -> Never {
        if let usage = UsageFailure(error) {
            FileHandle.standardError.write(Data(usage.text.utf8))
            Foundation.exit(UsageFailure.exitStatus)
        }
        IPMIExporterCommand.exit(withError: error)
    }
}

/// A command-line usage error as the user sees it: `Error: <what>` and where to read the usage.
struct UsageFailure {
    /// The exit status of bad usage or configuration, the convention of Prometheus and its tools.
    static let exitStatus: Int32 = 2

    var message: String
    var hint: String

    /// nil unless ArgumentParser classifies `error` as a usage (validation) failure. An `ExitCode` thrown
    /// on purpose keeps its own status.
    init?(_ error: any Error) {
        guard !(error is ExitCode), IPMIExporterCommand.exitCode(for: error) == .validationFailure else {
            return nil
        }
        message = IPMIExporterCommand.message(for: error)
        // The full message ends with "See 'ipmi-exporter SUBCOMMAND --help' for more information.", naming
        // the subcommand the parser got to.
        let full = IPMIExporterCommand.fullMessage(for: error)
        let seeHelp = full.split(separator: "\n").last { $0.contains("--help") }
        hint = seeHelp.map { $0.trimmingCharacters(in: .whitespaces) } ?? "See 'ipmi-exporter --help'."
    }

    var text: String { "Error: \(message)\n\(hint)\n" }
}
