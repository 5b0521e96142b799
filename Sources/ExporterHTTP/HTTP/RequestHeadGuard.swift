import IPMIExporter
import NIOCore

/// Sits first in a connection's pipeline, on raw bytes, and enforces what the HTTP decoder does not:
/// request line plus headers of at most `maxHeaderBytes` (else 431), and complete within `headerTimeout` once
/// the first byte arrived (else 408), so a client that trickles headers (slowloris) cannot hold a connection;
/// a new connection that sends nothing at all within that time is closed.
/// The HTTP handler tells it where requests begin and end with ``RequestHeadGuard/Event`` outbound events,
/// which it passes on to `onBusyChange` (see ``ConnectionSlots``).
final class RequestHeadGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Event: Sendable {
        /// The decoder produced a request head: stop counting.
        case headReceived
        /// The response to that request was written: count the next request's head.
        case requestFinished
    }

    private let maxHeaderBytes: Int
    private let headerTimeout: TimeAmount
    private var awaitingHead = true
    private var headerBytes = 0
    private var timer: Scheduled<Void>?
    private var rejected = false

    private let onBusyChange: (@Sendable (Bool) -> Void)?

    init(maxHeaderBytes: Int, headerTimeout: TimeAmount, onBusyChange: (@Sendable (Bool) -> Void)? = nil) {
        self.maxHeaderBytes = maxHeaderBytes
        self.headerTimeout = headerTimeout
        self.onBusyChange = onBusyChange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !rejected else { return }
        let buffer = unwrapInboundIn(data)
        if awaitingHead {
            headerBytes += buffer.readableBytes
            if headerBytes > maxHeaderBytes {
                reject(
                    context: context, status: "431 Request Header Fields Too Large", reason: "Request header too large")
                return
            }
            if timer == nil && buffer.readableBytes > 0 {
                startTimer(context: context)
            }
        }
        context.fireChannelRead(data)
    }

    /// A new connection must send its first request within the header timeout too, so connections opened and
    /// left silent cannot hold the connection limit for the whole idle timeout.
    func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    private func startTimer(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: headerTimeout) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            guard handler.awaitingHead, !handler.rejected else { return }
            if handler.headerBytes == 0 {
                // Nothing was said: nothing to answer.
                handler.rejected = true
                context.close(promise: nil)
            } else {
                handler.reject(
                    context: context, status: "408 Request Timeout", reason: "Request header not received in time")
            }
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .headReceived:
            awaitingHead = false
            timer?.cancel()
            timer = nil
            onBusyChange?(true)
        case .requestFinished:
            awaitingHead = true
            headerBytes = 0
            onBusyChange?(false)
        }
        promise?.succeed(())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Answers directly on the socket, below the HTTP encoder, since the decoder has not produced a request.
    private func reject(context: ChannelHandlerContext, status: String, reason: String) {
        rejected = true
        timer?.cancel()
        timer = nil
        let body = reason + "\n"
        let text =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        let buffer = context.channel.allocator.buffer(string: text)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
