import Foundation
import Logging
import Pushgateway
import Testing

let testLogger = Logger(label: "pushgateway-tests")

/// Fast retries so that failure tests take milliseconds.
let quickRetries = RetryPolicy(maxRetries: 2, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200))

func makeClient(
    _ url: String, basicAuth: BasicAuth? = nil, timeout: Duration = .seconds(5), retry: RetryPolicy = quickRetries
) throws -> PushgatewayClient {
    try PushgatewayClient(
        configuration: PushgatewayConfiguration(url: url, basicAuth: basicAuth, timeout: timeout, retry: retry),
        logger: testLogger)
}

@Suite struct PushgatewayClientTests {
    @Test func twoGroupsArriveWithTheirLabelsAndValues() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url + "/")
        defer { client.shutdown() }

        let first = try await client.push(
            "# TYPE ipmi_temperature_celsius gauge\nipmi_temperature_celsius{id=\"1\",name=\"CPU\"} 41.5\nipmi_up 1\n",
            to: .instance("bmc-a:623", job: "ipmi"))
        try await client.push(
            "# TYPE ipmi_temperature_celsius gauge\nipmi_temperature_celsius{id=\"1\",name=\"CPU\"} 38\nipmi_up 0\n",
            to: .instance("bmc-b", job: "ipmi"))
        #expect(first.statusCode == 200)
        #expect(first.attempts == 1)
        #expect(first.url == "\(gateway.url)/metrics/job/ipmi/instance/bmc-a:623")

        let groups = try gateway.groups()
        #expect(groups.count == 2)
        let a = try #require(groups.first { $0.labels == ["job": "ipmi", "instance": "bmc-a:623"] })
        let b = try #require(groups.first { $0.labels == ["job": "ipmi", "instance": "bmc-b"] })
        #expect(a.value("ipmi_temperature_celsius") == 41.5)
        #expect(a.value("ipmi_up") == 1)
        #expect(b.value("ipmi_temperature_celsius") == 38)
        #expect(b.value("ipmi_up") == 0)
        let sampleLabels = try #require(a.metrics["ipmi_temperature_celsius"]?.first?.labels)
        #expect(sampleLabels == ["job": "ipmi", "instance": "bmc-a:623", "id": "1", "name": "CPU"])
    }

    @Test func putReplacesTheWholeGroup() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }
        let group = GroupingKey.instance("bmc-a", job: "ipmi")

        try await client.push("ipmi_fan_speed_rpm 4200\nipmi_voltage_volts 12.1\n", to: group)
        try await client.push("ipmi_voltage_volts 11.9\n", to: group)

        let groups = try gateway.groups()
        #expect(groups.count == 1)
        #expect(groups.first?.metrics["ipmi_fan_speed_rpm"] == nil)
        #expect(groups.first?.value("ipmi_voltage_volts") == 11.9)
    }

    @Test func slashAndEmptyValuesRoundTripThroughBase64() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }

        try await client.push(
            "ipmi_up 1\n", to: GroupingKey(job: "ipmi", labels: [("instance", "rack1/bmc[::1]:623"), ("site", "")]))
        try await client.push("ipmi_up 1\n", to: GroupingKey(job: "batch/nightly", labels: [("instance", "bmc a")]))

        let groups = try gateway.groups()
        #expect(groups.contains { $0.labels == ["job": "ipmi", "instance": "rack1/bmc[::1]:623", "site": ""] })
        #expect(groups.contains { $0.labels == ["job": "batch/nightly", "instance": "bmc a"] })
    }

    @Test func gatewayNotRunningRetriesThenFailsClearly() async throws {
        let port = try freeLoopbackPort()  // nothing listens there
        let client = try makeClient("http://127.0.0.1:\(port)")
        defer { client.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now

        let error = await #expect(throws: PushgatewayError.self) {
            try await client.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi"))
        }
        let elapsed = start.duration(to: clock.now)
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 3)
        #expect(error?.curlCode == 7)  // CURLE_COULDNT_CONNECT
        #expect(error.map { "\($0)".contains("127.0.0.1:\(port)") && "\($0)".contains("3 attempts") } == true)
        #expect(elapsed >= .milliseconds(150))  // backoff 50 ms + 100 ms
    }

    @Test func badRequestIsReportedWithItsBodyAndNotRetried() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }

        let error = await #expect(throws: PushgatewayError.self) {
            try await client.push("ipmi_up one\n", to: .instance("bmc-a", job: "ipmi"))
        }
        #expect(error?.kind == .httpStatus)
        #expect(error?.statusCode == 400)
        #expect(error?.attempts == 1)
        #expect(error?.responseBody?.contains("text format parsing error") == true)
        #expect(error.map { "\($0)".contains("text format parsing error") } == true)
        #expect(try gateway.requestCount(code: 400) == 1)
        #expect(try gateway.requestCount(code: 200) == 0)
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let server = try await FixedStatusServer(status: 503, body: "overloaded")
        defer { server.stop() }
        let client = try makeClient("http://127.0.0.1:\(server.port)")
        defer { client.shutdown() }

        let error = await #expect(throws: PushgatewayError.self) {
            try await client.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi"))
        }
        #expect(error?.statusCode == 503)
        #expect(error?.attempts == 3)
        #expect(error?.responseBody == "overloaded")
        #expect(server.puts == 3)
    }

    @Test func basicAuthWithCorrectAndWrongCredentials() async throws {
        let gateway = try await PushgatewayProcess.start(basicAuth: ("pusher", "s3cret:pw"))
        defer { gateway.stop() }

        let good = try makeClient(gateway.url, basicAuth: BasicAuth(username: "pusher", password: "s3cret:pw"))
        defer { good.shutdown() }
        let result = try await good.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi"))
        #expect(result.statusCode == 200)
        let groups = try gateway.groups(username: "pusher", password: "s3cret:pw")
        #expect(groups.first?.labels == ["job": "ipmi", "instance": "bmc-a"])

        let wrong = try makeClient(gateway.url, basicAuth: BasicAuth(username: "pusher", password: "guess"))
        defer { wrong.shutdown() }
        let error = await #expect(throws: PushgatewayError.self) {
            try await wrong.push("ipmi_up 1\n", to: .instance("bmc-b", job: "ipmi"))
        }
        #expect(error?.statusCode == 401)
        #expect(error?.attempts == 1)
        #expect(error.map { !"\($0)".contains("guess") } == true)

        let anonymous = try makeClient(gateway.url)
        defer { anonymous.shutdown() }
        let anonymousError = await #expect(throws: PushgatewayError.self) {
            try await anonymous.push("ipmi_up 1\n", to: .instance("bmc-c", job: "ipmi"))
        }
        #expect(anonymousError?.statusCode == 401)
        #expect(try gateway.groups(username: "pusher", password: "s3cret:pw").count == 1)
    }

    @Test func tlsWithCAFileAndClientCertificate() async throws {
        let pki = try TestPKI()
        let gateway = try await PushgatewayProcess.start(tls: pki)
        defer { gateway.stop() }
        let tls = TLSFiles(caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile)
        let noRetry = RetryPolicy(maxRetries: 0)

        let client = try PushgatewayClient(
            configuration: PushgatewayConfiguration(url: gateway.url, tls: tls, retry: noRetry), logger: testLogger)
        defer { client.shutdown() }
        let result = try await client.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi"))
        #expect(result.statusCode == 200)
        #expect(try gateway.groups().map(\.labels) == [["job": "ipmi", "instance": "bmc-a"]])

        // Without the CA the gateway's certificate is not trusted: no retry, a clear TLS error.
        let untrusting = try PushgatewayClient(
            configuration: PushgatewayConfiguration(
                url: gateway.url, tls: TLSFiles(certFile: pki.clientCertFile, keyFile: pki.clientKeyFile),
                retry: RetryPolicy(maxRetries: 2, initialBackoff: .milliseconds(10))),
            logger: testLogger)
        defer { untrusting.shutdown() }
        let untrusted = await #expect(throws: PushgatewayError.self) {
            try await untrusting.push("ipmi_up 1\n", to: .instance("bmc-b", job: "ipmi"))
        }
        #expect(untrusted?.curlCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
        #expect(untrusted?.attempts == 1)

        // Without a client certificate the gateway refuses the handshake.
        let anonymous = try PushgatewayClient(
            configuration: PushgatewayConfiguration(
                url: gateway.url, tls: TLSFiles(caFile: pki.caFile), retry: noRetry),
            logger: testLogger)
        defer { anonymous.shutdown() }
        let refused = await #expect(throws: PushgatewayError.self) {
            try await anonymous.push("ipmi_up 1\n", to: .instance("bmc-c", job: "ipmi"))
        }
        #expect(refused?.kind == .transport)
        #expect(try gateway.groups().count == 1)
    }

    @Test func manyConcurrentPushesShareOneTransferThread() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await client.push("ipmi_up \(index % 2)\n", to: .instance("bmc-\(index)", job: "ipmi"))
                }
            }
            try await group.waitForAll()
        }
        let groups = try gateway.groups()
        #expect(groups.count == 40)
        #expect(groups.first { $0.labels["instance"] == "bmc-7" }?.value("ipmi_up") == 1)
        #expect(try gateway.requestCount(code: 200) == 40)
    }

    @Test func hungGatewayTimesOut() async throws {
        let listener = try SilentListener()
        let client = try makeClient(
            "http://127.0.0.1:\(listener.port)", timeout: .milliseconds(300), retry: RetryPolicy(maxRetries: 0))
        defer { client.shutdown() }
        let error = await #expect(throws: PushgatewayError.self) {
            try await client.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi"))
        }
        #expect(error?.curlCode == 28)  // CURLE_OPERATION_TIMEDOUT
        #expect(error?.attempts == 1)
    }

    @Test func cancellingAPushStopsItPromptly() async throws {
        let listener = try SilentListener()
        let client = try makeClient("http://127.0.0.1:\(listener.port)", timeout: .seconds(60))
        defer { client.shutdown() }
        let clock = ContinuousClock()
        let task = Task { try await client.push("ipmi_up 1\n", to: .instance("bmc-a", job: "ipmi")) }
        try await Task.sleep(for: .milliseconds(200))
        let cancelled = clock.now
        task.cancel()
        let result = await task.result
        // Far sooner than the 60 s timeout, with room for a test run that keeps every thread busy.
        #expect(cancelled.duration(to: clock.now) < .seconds(10))
        #expect(throws: PushgatewayError.self) { try result.get() }
        if case .failure(let error as PushgatewayError) = result { #expect(error.kind == .cancelled) }
    }
}
