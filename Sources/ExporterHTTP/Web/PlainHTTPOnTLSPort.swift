import NIOCore

/// In front of the TLS handler: a client that speaks plain HTTP to the TLS port (a scrape config with
/// `scheme: http`) gets a readable 400 instead of a connection closed on a TLS alert, as Go's server does.
/// A TLS connection starts with a handshake record (content type 22); an HTTP request starts with a method
/// in capital letters. After the first byte this handler removes itself.
final class PlainHTTPOnTLSPort: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let answer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
        + "Client sent an HTTP request to an HTTPS server.\n"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: Self.answer))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
