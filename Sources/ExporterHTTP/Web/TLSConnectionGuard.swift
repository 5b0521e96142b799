import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Sits right behind the TLS handler. Logs failed handshakes (a plain-HTTP client on the TLS port, an
/// untrusted client certificate) at debug level, and enforces `client_allowed_sans`: until the client
/// certificate has been checked no byte reaches the HTTP decoder, and a connection whose certificate carries
/// none of the allowed subject alternative names is closed.
final class TLSConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let allowedSANs: [String]
    private let logger: Logger
    private var admitted: Bool

    init(allowedSANs: [String], logger: Logger) {
        self.allowedSANs = allowedSANs.map(Self.normalized)
        self.logger = logger
        self.admitted = allowedSANs.isEmpty
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !admitted {
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
            if let certificate, Self.names(of: certificate).contains(where: allowedSANs.contains) {
                admitted = true
            } else {
                logger.debug(
                    "TLS client refused: its certificate has none of the allowed subject alternative names",
                    metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            logger.debug(
                "TLS connection failed",
                metadata: ["error": "\(error)", "remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    /// DNS names, e-mail addresses and URIs as written; IP addresses in their canonical text form.
    static func names(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            let bytes = name.contents.withUnsafeBufferPointer { Array($0) }
            switch name.nameType {
            case .ipAddress:
                return (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0))?.ipAddress
            default:
                return String(validating: bytes, as: UTF8.self)
            }
        }
    }

    /// An allowed entry that is an IP address, in the same canonical form as ``names(of:)``.
    static func normalized(_ entry: String) -> String {
        (try? SocketAddress(ipAddress: entry, port: 0))?.ipAddress ?? entry
    }
}
