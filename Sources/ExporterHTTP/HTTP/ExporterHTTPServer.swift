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

/// One socket the server accepts connections on: an address from `--web.listen-address`, or a listening socket the
/// exporter inherited (`--web.systemd-socket`, see ``SystemdSockets``).
public enum HTTPListener: Hashable, Sendable, CustomStringConvertible {
    case address(ListenAddress)
    /// A socket already bound and listening, by file descriptor; the server takes it over and closes it at the end.
    case inherited(descriptor: Int32)

    public var description: String {
        switch self {
        case .address(let address): address.description
        case .inherited(let descriptor): "inherited socket \(descriptor)"
        }
    }
}

/// The HTTP listeners as a swift-service-lifecycle `Service`: every listener serves the same routes, and all share
/// the connection limit. On graceful shutdown it stops accepting on all of them, lets every connection finish the
/// request it is serving (idle ones close at once), and returns when all are closed or `drainTimeout` has passed.
public final class ExporterHTTPServer: Service, Sendable, CustomStringConvertible {
    private let listeners: [HTTPListener]
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
    /// was accepted; plain HTTP otherwise. `onBound` is called with the local address of each listener once it
    /// accepts connections.
    public init(
        listeners: [HTTPListener], settings: ExporterSettings, router: ExporterRouter, web: WebConfigStore? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        drainTimeout: Duration = .seconds(30), headerTimeout: Duration = .seconds(10),
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.listeners = listeners
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

    /// One listener on `address`.
    public convenience init(
        address: ListenAddress, settings: ExporterSettings, router: ExporterRouter, web: WebConfigStore? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        drainTimeout: Duration = .seconds(30), headerTimeout: Duration = .seconds(10),
        onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.init(
            listeners: [.address(address)], settings: settings, router: router, web: web, group: group,
            logger: logger, drainTimeout: drainTimeout, headerTimeout: headerTimeout, onBound: onBound)
    }

    public var description: String {
        "ExporterHTTPServer(\(listeners.map(\.description).joined(separator: ", ")))"
    }

    public func run() async throws {
        // Each server channel needs a quiescing helper of its own: one helper tracks a single server channel.
        var bound: [(channel: any Channel, quiesce: ServerQuiescingHelper)] = []
        do {
            for listener in listeners {
                let quiesce = ServerQuiescingHelper(group: group)
                let channel = try await bind(listener, quiesce: quiesce)
                bound.append((channel, quiesce))
                logListening(listener, channel: channel)
            }
        } catch {
            // One address that cannot be bound stops the start-up, as in exporter-toolkit: a half-listening
            // exporter would look healthy to the one scraper that reaches it.
            for (channel, _) in bound { try? await channel.close() }
            throw error
        }
        for (channel, _) in bound {
            if let local = channel.localAddress { onBound(local) }
        }

        do {
            try await gracefulShutdown()
            logger.info("Shutting down: no new connections, finishing requests in flight")
        } catch {
            logger.info("Cancelled: closing the listener and all connections")
        }
        let loop = group.any()
        let drained = loop.makePromise(of: Void.self)
        let each = bound.map { listener in
            let promise = loop.makePromise(of: Void.self)
            listener.quiesce.initiateShutdown(promise: promise)
            return promise.futureResult
        }
        EventLoopFuture.andAllSucceed(each, on: loop).cascade(to: drained)
        let timeout = loop.scheduleTask(in: .nanoseconds(TimeBounds.nanoseconds(drainTimeout))) {
            drained.fail(ChannelError.ioOnClosedChannel)
        }
        do {
            try await drained.futureResult.get()
        } catch {
            logger.warning("Connections still open after the drain timeout; leaving them")
        }
        timeout.cancel()
        for (channel, _) in bound { try? await channel.close() }
    }

    private func logListening(_ listener: HTTPListener, channel: any Channel) {
        let local = channel.localAddress
        let shown: String
        if let local, let ip = local.ipAddress {
            shown = ListenAddress(host: ip, port: local.port ?? 0).description
        } else if let local, let path = local.pathname {
            shown = "unix:" + path
        } else {
            shown = listener.description
        }
        let tls = web?.current.tls
        var metadata: Logger.Metadata = [
            "address": "\(shown)", "tls": "\(tls != nil)",
            "client_auth": "\(tls?.clientAuth.rawValue ?? ClientAuthType.noClientCert.rawValue)",
        ]
        if case .inherited(let descriptor) = listener { metadata["systemd_socket_fd"] = "\(descriptor)" }
        logger.info("Listening on", metadata: metadata)
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

    private func bind(_ listener: HTTPListener, quiesce: ServerQuiescingHelper) async throws -> any Channel {
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
        let address: ListenAddress
        switch listener {
        case .inherited(let descriptor):
            // The socket is bound and listening already (systemd did both); NIO takes it over as it is.
            return try await bootstrap.withBoundSocket(descriptor).get()
        case .address(let listenAddress):
            address = listenAddress
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
