import Foundation
import Testing

@testable import Pushgateway

@Suite struct ConfigurationTests {
    @Test func basicAuthFileSplitsAtFirstColon() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "pusher:se:cret\n".write(to: file, atomically: true, encoding: .utf8)
        let auth = try BasicAuth(contentsOfFile: file.path)
        #expect(auth.username == "pusher")
        #expect(auth.password == "se:cret")
        #expect(!"\(auth)".contains("se:cret"))
        #expect(!String(reflecting: auth).contains("se:cret"))
    }

    @Test func basicAuthFileWithoutColonIsRejected() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "justapassword\n".write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: PushgatewayError.self) { try BasicAuth(contentsOfFile: file.path) }
        #expect(error?.kind == .configuration)
        #expect(error.map { !"\($0)".contains("justapassword") } == true)
    }

    @Test func missingBasicAuthFileIsAConfigurationError() {
        let error = #expect(throws: PushgatewayError.self) { try BasicAuth(contentsOfFile: "/nonexistent/auth") }
        #expect(error?.kind == .configuration)
    }

    @Test func headersParse() {
        #expect(HTTPHeader(parsing: "X-Scope-OrgID: team-a") == HTTPHeader(name: "X-Scope-OrgID", value: "team-a"))
        #expect(HTTPHeader(parsing: "X-A:b:c") == HTTPHeader(name: "X-A", value: "b:c"))
        #expect(HTTPHeader(parsing: "no colon") == nil)
        #expect(HTTPHeader(parsing: ": empty name") == nil)
        #expect(HTTPHeader(parsing: "X-A: b\r\nX-Injected: c") == nil)
    }

    @Test func backoffDoublesUpToTheCap() {
        let policy = RetryPolicy(maxRetries: 6, initialBackoff: .milliseconds(500), maxBackoff: .seconds(4))
        let waits = (1...6).map { policy.backoff(beforeRetry: $0) }
        #expect(
            waits == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
    }

    @Test func credentialsInTheURLAreNotShown() {
        #expect(
            PushgatewayClient.withoutCredentials("https://u:p%40ss@gw.example:9091/x@y")
                == "https://gw.example:9091/x@y")
        #expect(PushgatewayClient.withoutCredentials("http://gw:9091") == "http://gw:9091")
    }

    @Test func urlMustBeHTTP() {
        let error = #expect(throws: PushgatewayError.self) {
            _ = try PushgatewayClient(configuration: PushgatewayConfiguration(url: "ftp://gw"), logger: testLogger)
        }
        #expect(error?.kind == .configuration)
    }
}
