import Foundation
import IPMITestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// The connection pipeline driven in memory: bytes in, bytes out.
@Suite struct HTTPChannelTests {
    static func channel(
        settings: ExporterSettings = ExporterSettings(), scraper: FakeScraper = FakeScraper()
    )
        async throws -> NIOAsyncTestingChannel
    {
        let router = RouterTests.router(scraper: scraper)
        let channel = NIOAsyncTestingChannel()
        try await channel.eventLoop.submit {
            try ExporterHTTPServer.addConnectionHandlers(
                to: channel.pipeline.syncOperations, settings: settings, router: router, logger: quietLogger,
                headerTimeout: .seconds(10), idleTimeout: .seconds(60))
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        return channel
    }

    /// Collects outbound bytes until `complete` says the response is whole, or 60 s pass (a wait for the response, not a
    /// bound on its speed: a loaded machine may take seconds).
    static func response(
        from channel: NIOAsyncTestingChannel, complete: (ByteBuffer) -> Bool
    ) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if var chunk = try await channel.readOutbound(as: ByteBuffer.self) {
                collected.writeBuffer(&chunk)
                if complete(collected) { return collected }
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return collected
    }

    /// Head and body of a response with Content-Length.
    static func split(_ buffer: ByteBuffer) -> (head: String, body: [UInt8])? {
        let bytes = Array(buffer.readableBytesView)
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        let body = Array(bytes[end.upperBound...])
        guard
            let lengthLine = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }
            ),
            let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
            body.count >= length
        else { return nil }
        return (head, Array(body.prefix(length)))
    }

    static func isComplete(_ buffer: ByteBuffer) -> Bool { split(buffer) != nil }

    @Test func gzipWhenAskedAndPlainOtherwise() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(
            ByteBuffer(string: "GET /ipmi?target=h HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"))
        let zipped = try #require(Self.split(try await Self.response(from: channel, complete: Self.isComplete)))
        #expect(zipped.head.hasPrefix("HTTP/1.1 200 OK"))
        #expect(zipped.head.lowercased().contains("content-encoding: gzip"))
        #expect(zipped.head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        #expect(zipped.body.prefix(2) == [0x1F, 0x8B])
        let body = zipped.body
        let unzipped = try await offPool { try gunzip(body) }
        #expect(unzipped.contains("ipmi_up{collector=\"ipmi\"} 1\n"))

        // Same connection, kept alive, no Accept-Encoding: plain text.
        try await channel.writeInbound(ByteBuffer(string: "GET /ipmi?target=h HTTP/1.1\r\nHost: x\r\n\r\n"))
        let plain = try #require(Self.split(try await Self.response(from: channel, complete: Self.isComplete)))
        #expect(!plain.head.lowercased().contains("content-encoding"))
        #expect(String(decoding: plain.body, as: UTF8.self) == unzipped)
        try await channel.close()
    }

    @Test func oversizedHeadersGet431AndTheConnectionCloses() async throws {
        var settings = ExporterSettings()
        settings.maxHeaderBytes = 1024
        let channel = try await Self.channel(settings: settings)
        let filler = String(repeating: "a", count: 2000)
        try await channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: \(filler)\r\n\r\n"))
        let response = try await Self.response(from: channel, complete: Self.isComplete)
        let parts = try #require(Self.split(response))
        #expect(parts.head.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"))
        #expect(String(decoding: parts.body, as: UTF8.self) == "Request header too large\n")
        #expect(await eventually { !channel.isActive })
    }

    @Test func malformedRequestsGet400() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(ByteBuffer(string: "BLAH\u{1}\u{2} / HTTP/9\r\n\r\n"))
        let response = try await Self.response(from: channel, complete: Self.isComplete)
        let parts = try #require(Self.split(response))
        #expect(parts.head.hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(parts.head.contains("Connection: close"))
    }

    @Test func aBodyTooLargeGets413() async throws {
        let channel = try await Self.channel()
        let length = ExporterHTTPHandler.maxBodyBytes + 10
        try await channel.writeInbound(
            ByteBuffer(string: "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n"))
        try await channel.writeInbound(ByteBuffer(repeating: UInt8(ascii: "x"), count: length))
        let parts = try #require(Self.split(try await Self.response(from: channel, complete: Self.isComplete)))
        #expect(parts.head.hasPrefix("HTTP/1.1 413 Payload Too Large"))
    }

    @Test func headAnswersWithoutBody() async throws {
        let channel = try await Self.channel()
        try await channel.writeInbound(ByteBuffer(string: "HEAD /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"))
        let response = try await Self.response(from: channel) { String(buffer: $0).hasSuffix("\r\n\r\n") }
        let text = String(buffer: response)
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(text.contains("Content-Length: 8\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
        try await channel.close()
    }
}

/// Decompresses with the system's gzip, an implementation independent of the one under test.
func gunzip(_ bytes: [UInt8]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try ExternalCommand.launch(process)
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
