import Foundation
import IPMI
import IPMIExporter
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// Where to listen, from `--web.listen-address`: `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (every interface).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// nil for every interface.
    public var host: String?
    public var port: Int

    public init(host: String?, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(TargetParseError) {
        let host: String?
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.range(of: "]:") else {
                throw TargetParseError("listen address \"\(text)\" needs a port, like [::1]:9290")
            }
            host = String(text[text.index(after: text.startIndex)..<close.lowerBound])
            portText = text[close.upperBound...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            host = colon == text.startIndex ? nil : String(text[..<colon])
            portText = text[text.index(after: colon)...]
        } else {
            throw TargetParseError("listen address \"\(text)\" needs a port, like :9290 or 127.0.0.1:9290")
        }
        guard let port = Int(portText), (0...65535).contains(port), portText.allSatisfy(\.isASCII) else {
            throw TargetParseError("invalid port in listen address \"\(text)\"")
        }
        self.init(host: host, port: port)
    }

    public var description: String {
        guard let host else { return ":\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// The HTTP listener as a swift-service-lifecycle `Service`. On graceful shutdown it stops accepting, lets
/// every connection finish the request it is serving (idle ones close at once), and returns when all are
/// closed or `drainTimeout` has passed.
public final class ExporterHTTPServer: Service, Sendable, CustomStringConvertible {
    private let address: ListenAddress
    private let settings: ExporterSettings
    private let router: ExporterRouter
    private let group: any EventLoopGroup
    private let logger: Logger
    private let drainTimeout: Duration
    private let headerTimeout: Duration
    private let onBound: @Sendable (SocketAddress) -> Void
    private let connections: ConnectionSlots
    private let web: WebConfigStore?

    /// With TLS in `web` (the web config file) every connection speaks TLS, with the certificate in force when it
    /// was accepted; plain HTTP otherwise.
    public init(
        address: ListenAddress, settings: ExporterSettings, router: ExporterRouter, web: WebConfigStore? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        drainTimeout: Duration = .seconds(30), headerTimeout: Duration = .seconds(10),
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.address = address
        self.settings = settings
        self.router = router
        self.group = group
        self.logger = logger
        self.drainTimeout = drainTimeout
        self.headerTimeout = headerTimeout
        self.onBound = onBound
        self.connections = ConnectionSlots(limit: settings.maxConnections)
        self.web = web
    }

    public var description: String { "ExporterHTTPServer(\(address))" }

    public func run() async throws {
        let quiesce = ServerQuiescingHelper(group: group)
        let channel = try await bind(quiesce: quiesce)
        if let local = channel.localAddress { onBound(local) }
        let bound = channel.localAddress.flatMap { local in
            local.ipAddress.map { ListenAddress(host: $0, port: local.port ?? address.port).description }
        }
        let tls = web?.current.tls
        logger.info(
            "Listening on",
            metadata: [
                "address": "\(bound ?? address.description)", "tls": "\(tls != nil)",
                "client_auth": "\(tls?.clientAuth.rawValue ?? ClientAuthType.noClientCert.rawValue)",
            ])

        do {
            try await gracefulShutdown()
            logger.info("Shutting down: no new connections, finishing requests in flight")
        } catch {
            logger.info("Cancelled: closing the listener and all connections")
        }
        let drained = group.any().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: drained)
        let timeout = group.any().scheduleTask(in: .nanoseconds(TimeBounds.nanoseconds(drainTimeout))) {
            drained.fail(ChannelError.ioOnClosedChannel)
        }
        do {
            try await drained.futureResult.get()
        } catch {
            logger.warning("Connections still open after the drain timeout; leaving them")
        }
        timeout.cancel()
        try? await channel.close()
    }

    /// The handlers of one HTTP connection, in order from the socket inwards.
    static func addConnectionHandlers(
        to sync: ChannelPipeline.SynchronousOperations, settings: ExporterSettings, router: ExporterRouter,
        logger: Logger, headerTimeout: TimeAmount, idleTimeout: TimeAmount, tls: WebTLSConfig? = nil,
        onBusyChange: (@Sendable (Bool) -> Void)? = nil
    ) throws {
        if let tls {
            try sync.addHandler(PlainHTTPOnTLSPort())
            try sync.addHandler(tls.makeHandler())
            try sync.addHandler(TLSConnectionGuard(allowedSANs: tls.allowedClientSANs, logger: logger))
        }
        try sync.addHandler(
            RequestHeadGuard(
                maxHeaderBytes: settings.maxHeaderBytes, headerTimeout: headerTimeout, onBusyChange: onBusyChange))
        try sync.addHandler(IdleStateHandler(allTimeout: idleTimeout))
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: false)
        try sync.addHandler(HTTPErrorResponder())
        try sync.addHandler(HTTPResponseCompressor())
        try sync.addHandler(ExporterHTTPHandler(router: router, logger: logger))
    }

    private func bind(quiesce: ServerQuiescingHelper) async throws -> any Channel {
        let settings = self.settings
        let router = self.router
        let logger = self.logger
        let connections = self.connections
        let web = self.web
        let headerTimeout = TimeAmount.nanoseconds(TimeBounds.nanoseconds(self.headerTimeout))
        let idleTimeout = TimeAmount.nanoseconds(TimeBounds.nanoseconds(settings.httpIdleTimeout))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                let (admitted, displaced) = connections.admit(channel)
                guard admitted else {
                    logger.debug("Connection refused: every connection is serving a request")
                    return channel.close()
                }
                if let displaced {
                    logger.debug("Closing the longest-idle connection to admit a new one")
                    displaced.close(promise: nil)
                }
                channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.addConnectionHandlers(
                        to: channel.pipeline.syncOperations, settings: settings, router: router, logger: logger,
                        headerTimeout: headerTimeout, idleTimeout: idleTimeout, tls: web?.current.tls,
                        onBusyChange: { [weak channel] busy in
                            if let channel { connections.setBusy(channel, busy) }
                        })
                }
            }
        if let host = address.host {
            return try await bootstrap.bind(host: host, port: address.port).get()
        }
        do {
            return try await bootstrap.bind(host: "::", port: address.port).get()  // dual-stack where available
        } catch {
            return try await bootstrap.bind(host: "0.0.0.0", port: address.port).get()
        }
    }
}
