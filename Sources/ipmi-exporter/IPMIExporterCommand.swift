import ArgumentParser
import IPMIExporter

/// The `ipmi-exporter` program. Each subcommand lives in its own file; add one by listing it here.
/// `ExporterMain` is the entry point.
struct IPMIExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipmi-exporter",
        abstract: "Prometheus exporter for server BMCs over IPMI v2.0 / RMCP+.",
        discussion: """
            Speaks IPMI natively over UDP, keeps one RMCP+ session and the SDR repository of every BMC between \
            scrapes, and serves the metric names, labels, flags and YAML config of \
            prometheus-community/ipmi_exporter. Without a subcommand it serves.
            """,
        version: ExporterVersion.description,
        subcommands: [
            Serve.self, PushCommand.self, SensorsCommand.self, RawCommand.self, DemoCommand.self, Simulate.self,
        ],
        defaultSubcommand: Serve.self
    )
}
