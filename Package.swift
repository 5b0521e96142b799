// swift-tools-version:6.0
import PackageDescription

// The version and git commit a release build reports (`--version`, `ipmi_exporter_build_info`): `make package`
// (scripts/package.sh) sets IPMI_EXPORTER_VERSION and IPMI_EXPORTER_REVISION for `swift build`. They become C string
// literals of the CBuildInfo target alone, so a new version recompiles one C file; values with characters other than
// those of a Debian version or a commit id are ignored (the build then says "dev" / "unknown").
func buildStamp(_ variable: String, as macro: String) -> [CSetting] {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+~-_")
    guard let value = Context.environment[variable], !value.isEmpty, value.count <= 100,
        value.allSatisfy({ allowed.contains($0) })
    else { return [] }
    return [.define(macro, to: "\"\(value)\"")]
}

let package = Package(
    name: "swift-ipmi-exporter",
    products: [
        .library(name: "IPMI", targets: ["IPMI"]),
        .library(name: "IPMISensors", targets: ["IPMISensors"]),
        .library(name: "IPMIClient", targets: ["IPMIClient"]),
        .library(name: "PrometheusText", targets: ["PrometheusText"]),
        .executable(name: "ipmi-exporter", targets: ["ipmi-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System libraries, each with a small C shim header.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libxcrypt: bcrypt for basic auth on the web endpoint (crypt_rn, thread-safe).
        .systemLibrary(
            name: "CCrypt",
            pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),

        .target(
            name: "CBuildInfo",
            cSettings: buildStamp("IPMI_EXPORTER_VERSION", as: "IPMI_EXPORTER_VERSION")
                + buildStamp("IPMI_EXPORTER_REVISION", as: "IPMI_EXPORTER_REVISION")
        ),

        // Batched UDP system calls (recvmmsg, sendmmsg, epoll_pwait2) for the transport's own event loop.
        .target(name: "CDatagram"),
        // The Linux OpenIPMI character device (/dev/ipmi0): its ioctls and structs from <linux/ipmi.h>.
        .target(name: "COpenIPMI"),

        // Pure protocol layers: no sockets, no clocks.
        .target(
            name: "IPMI",
            dependencies: ["CLibCrypto", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .target(
            name: "IPMISensors",
            dependencies: ["IPMI", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PrometheusText"),
        // logfmt and JSON string quoting, for the log handler and the batch push report.
        .target(name: "LogFormatting"),

        // I/O layers.
        .target(
            name: "IPMIClient",
            dependencies: [
                "IPMI",
                "CDatagram",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The in-band path: requests to the node's own BMC through the kernel's OpenIPMI device (/dev/ipmi0), the same
        // requester protocol as the LAN client, watched by the transport's DatagramLoop.
        .target(
            name: "IPMILocalDevice",
            dependencies: [
                "IPMI",
                "IPMIClient",
                "COpenIPMI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Pushgateway",
            dependencies: [
                "CCurl",
                "LogFormatting",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The exporter, in layers; each depends only on those above it.
        // IPMIExporter: what the layers share: config (exporter and module YAML, reload), the exporter's own
        // metrics, the logfmt log handler, scrape targets, the cold-start queue and the clock.
        .target(
            name: "IPMIExporter",
            dependencies: [
                "CBuildInfo",
                "IPMISensors",
                "LogFormatting",
                "PrometheusText",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // The real clock's deadline timers are event-loop timers (ExporterClock.swift).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // ExporterCollectors: the collectors (what a scrape asks a BMC and how the answers become metric
        // families) and the SDR repository cache.
        .target(
            name: "ExporterCollectors",
            dependencies: [
                "IPMIExporter",
                "IPMI",
                "IPMISensors",
                "IPMIClient",
                "PrometheusText",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // ExporterScrape: scrape orchestration: the coordinator, the session cache with its cold starts and
        // keep-alives, and the scraper that runs the collectors over a session.
        .target(
            name: "ExporterScrape",
            dependencies: [
                "IPMIExporter",
                "ExporterCollectors",
                "IPMI",
                "IPMISensors",
                "IPMIClient",
                "IPMILocalDevice",
                "PrometheusText",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // ExporterHTTP: the HTTP server, its router and guards, and web security (TLS, basic auth, rate limit,
        // the web config and its watcher).
        .target(
            name: "ExporterHTTP",
            dependencies: [
                "IPMIExporter",
                "ExporterScrape",
                "IPMI",
                "IPMIClient",
                "PrometheusText",
                // Web auth's bcrypt (libxcrypt) and its keyed digest and constant-time compare (OpenSSL),
                // apart from the IPMI session crypto.
                "CCrypt",
                "CLibCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "IPMISimulator",
            dependencies: [
                "IPMI",
                "IPMISensors",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "ipmi-exporter",
            dependencies: [
                "IPMI",
                "IPMISensors",
                "IPMIClient",
                "IPMILocalDevice",
                "IPMIExporter",
                "ExporterCollectors",
                "ExporterScrape",
                "ExporterHTTP",
                "IPMISimulator",
                "PrometheusText",
                "Pushgateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // bench/floor.py: the CPU of a warm scrape's exchanges with nothing around them (not a product).
        .executableTarget(
            name: "exchange-floor",
            dependencies: [
                "IPMI", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/ExchangeFloor"
        ),

        // Tests. IPMITestSupport starts real peers (ipmi_sim, ipmitool, FreeIPMI) for integration tests.
        .target(
            name: "IPMITestSupport", dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Tests/IPMITestSupport"),
        .testTarget(
            name: "IPMITests", dependencies: ["IPMI"], exclude: ["Vectors"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "IPMISensorsTests",
            dependencies: [
                "IPMISensors", "IPMIClient", "IPMITestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "PrometheusTextTests", dependencies: ["PrometheusText", "IPMITestSupport"]),
        .testTarget(
            name: "IPMIClientTests",
            dependencies: [
                "IPMIClient", "IPMILocalDevice", "IPMITestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PushgatewayTests",
            dependencies: ["Pushgateway", "IPMITestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "IPMIExporterTests",
            dependencies: [
                "IPMIExporter",
                "ExporterCollectors",
                "ExporterScrape",
                "ExporterHTTP",
                "IPMITestSupport",
                "IPMISimulator",
                "IPMIClient",
                "PrometheusText",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Replays the committed libFuzzer corpus (fuzz/corpus) through the harnesses in fuzz/Harnesses.
        .testTarget(
            name: "FuzzCorpusTests",
            dependencies: ["IPMI", "IPMISensors", "IPMISimulator"],
            path: "fuzz",
            exclude: ["run.sh", "seed.py", "Entrypoints", "README.md"],
            sources: ["Harnesses", "Tests"],
            resources: [.copy("corpus")]
        ),
        .testTarget(
            name: "IPMISimulatorTests",
            dependencies: [
                "IPMISimulator", "IPMIClient", "IPMISensors", "IPMITestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
