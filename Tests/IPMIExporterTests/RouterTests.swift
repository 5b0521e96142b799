import Foundation
import IPMITestSupport
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import PrometheusText
import Testing

@testable import ExporterHTTP
@testable import ExporterScrape
@testable import IPMIExporter

@Suite struct RouterTests {
    static func router(
        config: ExporterConfig = ExporterConfig(modules: [
            "default": module(), "dcmi": module("dcmi", collectors: [.dcmi]),
        ]),
        scraper: FakeScraper = FakeScraper(), path: String? = nil,
        loader: @escaping @Sendable (String) throws(ConfigError) -> ExporterConfig = { _ throws(ConfigError) in
            ExporterConfig()
        },
        web: WebConfigStore? = nil, logger: Logger = quietLogger, localCollection: Bool = false
    ) -> ExporterRouter {
        let metrics = ExporterMetrics(processMetrics: { [] })
        return ExporterRouter(
            configStore: ConfigStore(path: path, initial: config, loader: loader),
            coordinator: ScrapeCoordinator(scraper: scraper, maxConcurrent: 4, metrics: metrics, logger: logger),
            metrics: metrics, logger: logger, web: web, localCollection: localCollection)
    }

    static func get(
        _ router: ExporterRouter, _ uri: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:]
    )
        async -> ExporterResponse
    {
        await router.respond(to: ExporterRequest(method: method, uri: uri, headers: headers))
    }

    @Test(arguments: [
        ("/ipmi", HTTPMethod.GET, 400, "Bad request: the target parameter is missing\n"),
        ("/ipmi?target=", .GET, 400, "Bad request: invalid target: target is empty\n"),
        ("/ipmi?target=h:70000", .GET, 400, "Bad request: invalid target: invalid port in target\n"),
        ("/ipmi?target=h&module=nope", .GET, 400, "Bad request: unknown module \"nope\"\n"),
        ("/metrics?target=h&module=%0Abad", .GET, 400, "Bad request: unknown module \"bad\"\n"),
        ("/nothing/here", .GET, 404, "Not found: no route /nothing/here\n"),
        ("/ipmi?target=h", .POST, 405, "Method POST not allowed; use GET, HEAD\n"),
        ("/-/reload", .GET, 405, "Method GET not allowed; use POST, PUT\n"),
        ("/-/healthy", .GET, 200, "Healthy\n"),
        ("/-/ready", .GET, 200, "Ready\n"),
    ])
    func answersWithStatusAndOneLine(uri: String, method: HTTPMethod, status: Int, body: String) async {
        let response = await Self.get(Self.router(), uri, method: method)
        #expect(Int(response.status.code) == status)
        #expect(response.body == body)
        if status == 405 { #expect(response.headers["Allow"].first != nil) }
    }

    @Test func scrapesOneTargetWithTheNamedModule() async {
        let scraper = FakeScraper()
        let router = Self.router(scraper: scraper)
        let before = ContinuousClock.now
        let response = await Self.get(
            router, "/ipmi?target=%5B%3A%3A1%5D%3A1623&module=dcmi",
            headers: ["X-Prometheus-Scrape-Timeout-Seconds": "30"])
        let after = ContinuousClock.now
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
        #expect(response.body.contains("ipmi_up{collector=\"dcmi\"} 1\n"))
        #expect(response.body.contains("ipmi_temperature_celsius 1623\n"))
        let call = scraper.calls.first
        #expect(call?.target == ScrapeTarget(host: "::1", port: 1623))
        #expect(call?.module.name == "dcmi")
        // 30 s from Prometheus less the 0.5 s offset (below the module's 120 s), counted from when the
        // router saw the request.
        if let call {
            #expect(call.deadline - before >= .milliseconds(29_500))
            #expect(call.deadline - after <= .milliseconds(29_500))
        }
        let withoutModule = await Self.get(router, "/metrics?target=h")
        #expect(withoutModule.body.contains("ipmi_up{collector=\"ipmi\"} 1\n"))
        #expect(scraper.calls.last?.module.name == "default")
    }

    @Test func metricsWithoutTargetServesSelfMetricsAndConfiguredTargets() async {
        var config = ExporterConfig(modules: ["default": module(collectors: [.ipmi])])
        config.targets = [
            TargetConfig(name: "bmc-a", target: ScrapeTarget(host: "bmc-a"), module: "default"),
            TargetConfig(name: "bmc-b:624", target: ScrapeTarget(host: "bmc-b", port: 624), module: "default"),
        ]
        let response = await Self.get(Self.router(config: config), "/metrics")
        #expect(response.status == .ok)
        #expect(
            response.body.contains(
                "ipmi_up{target=\"bmc-a\",collector=\"ipmi\"} 1\nipmi_up{target=\"bmc-b:624\",collector=\"ipmi\"} 1\n"))
        #expect(response.body.contains("ipmi_exporter_build_info{version=\""))
        #expect(response.body.contains("ipmi_exporter_scrapes_total{module=\"default\",outcome=\"success\"} 2\n"))
        let selfOnly = await Self.get(Self.router(), "/metrics")
        #expect(!selfOnly.body.contains("ipmi_up"))
        #expect(selfOnly.body.contains("\nipmi_exporter_sessions_open 0\n"))
    }

    /// ipmi_exporter's local mode: `/metrics` collects this machine's BMC with the `default` module, its series without
    /// a target label, beside the configured targets; off, it does not.
    @Test func metricsWithLocalCollectionScrapesTheLocalBMCWithTheDefaultModule() async {
        var config = ExporterConfig(modules: [
            "default": module(collectors: [.ipmi, .bmc]), "other": module("other", collectors: [.dcmi]),
        ])
        config.targets = [TargetConfig(name: "bmc-a", target: ScrapeTarget(host: "bmc-a"), module: "other")]
        let scraper = FakeScraper()
        let response = await Self.get(Self.router(config: config, scraper: scraper, localCollection: true), "/metrics")
        #expect(response.status == .ok)
        #expect(response.body.contains("ipmi_up{collector=\"ipmi\"} 1\nipmi_up{collector=\"bmc\"} 1\n"))
        #expect(response.body.contains("ipmi_up{target=\"bmc-a\",collector=\"dcmi\"} 1\n"))
        let local = scraper.calls.filter { $0.target == .localBMC }
        #expect(local.count == 1)
        #expect(local.first?.module.name == "default")
        #expect(scraper.calls.count == 2)

        let off = FakeScraper()
        let without = await Self.get(Self.router(config: config, scraper: off), "/metrics")
        #expect(!without.body.contains("ipmi_up{collector="))
        #expect(off.calls.map(\.target) == [ScrapeTarget(host: "bmc-a")])
    }

    @Test func reloadKeepsTheOldConfigWhenTheNewOneIsBad() async {
        let goodNew = ExporterConfig(modules: ["default": module(), "fresh": module("fresh")])
        let attempt = NIOLockedCounter()
        let router = Self.router(path: "/cfg.yml") { path throws(ConfigError) in
            if attempt.next() == 1 {
                throw ConfigError(
                    location: ConfigLocation(file: path, line: 7, column: 3), message: "unknown key \"x\"")
            }
            return goodNew
        }
        let bad = await Self.get(router, "/-/reload", method: .POST)
        #expect(bad.status == .internalServerError)
        #expect(bad.body == "Failed to reload config: /cfg.yml:7:3: unknown key \"x\"\n")
        #expect(await Self.get(router, "/ipmi?target=h&module=dcmi").status == .ok)
        #expect(
            PrometheusText.render(router.metrics.families()).contains("ipmi_exporter_config_last_reload_successful 0\n")
        )

        let good = await Self.get(router, "/-/reload", method: .POST)
        #expect(good.status == .ok)
        #expect(await Self.get(router, "/ipmi?target=h&module=fresh").status == .ok)
        #expect(await Self.get(router, "/ipmi?target=h&module=dcmi").status == .badRequest)
    }

    @Test func landingPageLinksTheRoutes() async {
        let response = await Self.get(Self.router(), "/")
        #expect(response.headers["Content-Type"] == ["text/html; charset=utf-8"])
        for link in ["href=\"/metrics\"", "action=\"/ipmi\"", "href=\"/-/healthy\""] {
            #expect(response.body.contains(link))
        }
    }

    @Test func selfMetricsPassPromtool() async throws {
        let router = Self.router()
        _ = await Self.get(router, "/ipmi?target=h")
        _ = await Self.get(router, "/nope")
        let metrics = ExporterMetrics()  // with real process metrics
        metrics.packetDropped(reason: "malformed")
        metrics.handshake(succeeded: true)
        metrics.error(reason: "timeout")
        let text = PrometheusText.render(router.metrics.families() + metrics.families())
        #expect(text.contains("process_resident_memory_bytes "))
        #expect(text.contains("process_open_fds "))
        let promtool = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: promtool), "promtool not installed")
        let (status, said) = try await offPool { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: promtool)
            process.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try ExternalCommand.launch(process)
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, said)
        }
        #expect(status == 0 && said.isEmpty, "\(said)")
    }
}

final class NIOLockedCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func next() -> Int {
        value.withLockedValue {
            $0 += 1; return $0
        }
    }
}
