import IPMIClient
import IPMIExporter
import Logging
import NIOCore
import NIOHTTP1

/// Turns decoded HTTP requests into calls of ``ExporterRouter`` and writes its answers. One request at a time
/// per connection (HTTPServerPipelineHandler, in front of it, holds back pipelined requests); the route runs
/// in a task, so a slow scrape never blocks the event loop or other connections.
final class ExporterHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests carry no body; anything beyond this is refused with 413.
    static let maxBodyBytes = 64 * 1024

    private let router: ExporterRouter
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var refused = false
    private var inFlight: Task<Void, Never>?
    private var taskExecutor: EventLoopTaskExecutor?

    init(router: ExporterRouter, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            refused = false
            context.triggerUserOutboundEvent(RequestHeadGuard.Event.headReceived, promise: nil)
        case .body(let buffer):
            guard !refused else { return }
            bodyBytes += buffer.readableBytes
            if bodyBytes > Self.maxBodyBytes {
                refused = true
                let response = ExporterResponse.text(.payloadTooLarge, "Request body too large")
                write(response, to: context, method: head?.method ?? .GET, keepAlive: false)
            }
        case .end:
            guard let head, !refused else { return }
            self.head = nil
            let request = ExporterRequest(method: head.method, uri: head.uri, headers: head.headers)
            let keepAlive = head.isKeepAlive
            let router = self.router
            let promise = context.eventLoop.makePromise(of: ExporterResponse.self)
            // On this connection's event loop: the answer is written from here, and the scrape's actors follow the
            // task there instead of waking a thread of the global executor and then this loop again.
            taskExecutor = taskExecutor ?? EventLoopTaskExecutor.current
            inFlight = Task(executorPreference: taskExecutor) {
                promise.succeed(await router.respond(to: request))
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let (handler, context) = loopBound.value
                handler.inFlight = nil
                guard context.channel.isActive else { return }
                handler.write(response, to: context, method: head.method, keepAlive: keepAlive)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // Idle means idle between requests: a connection waiting for a slow scrape stays open.
            if inFlight == nil && head == nil {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: stop waiting for its scrape (a shared collection continues for others).
        inFlight?.cancel()
        inFlight = nil
        context.fireChannelInactive()
    }

    private func write(
        _ response: ExporterResponse, to context: ChannelHandlerContext, method: HTTPMethod, keepAlive: Bool
    ) {
        var headers = response.headers
        let body = context.channel.allocator.buffer(string: response.body)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let responseHead = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if method != .HEAD && body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        context.triggerUserOutboundEvent(RequestHeadGuard.Event.requestFinished, promise: nil)
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// Answers what the HTTP decoder cannot parse: 431 for oversized headers, 400 for anything else malformed,
/// then closes. If a response is already under way it only closes.
final class HTTPErrorResponder: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseOpen = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !responseOpen else {
            context.close(promise: nil)
            return
        }
        let (status, line): (HTTPResponseStatus, String) =
            switch parserError {
            case .headerOverflow: (.requestHeaderFieldsTooLarge, "Request header too large")
            default: (.badRequest, "Bad request: malformed HTTP")
            }
        let body = context.channel.allocator.buffer(string: line + "\n")
        let headers: HTTPHeaders = [
            "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(body.readableBytes),
            "Connection": "close",
        ]
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        responseOpen = true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responseOpen = true
        case .end: responseOpen = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
