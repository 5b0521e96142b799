import ArgumentParser

/// Interim root command listing the subcommands written so far. When the full CLI root (`IPMIExporterCommand`, with
/// `serve` as its default) lands, this file goes and `SensorsCommand.self` joins that root's subcommand list.
@main
struct InterimRootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipmi-exporter",
        abstract: "Prometheus exporter for server BMCs over IPMI v2.0 / RMCP+.",
        subcommands: [SensorsCommand.self]
    )
}
