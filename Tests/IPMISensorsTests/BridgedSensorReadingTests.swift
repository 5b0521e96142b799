import IPMI
import Logging
import Testing

@testable import IPMISensors

/// `bridge_sensors`: sensors whose SDR names another controller (§43.1 bytes 6–7) are read through Send Message to
/// that controller; what goes wrong there stays with those sensors.
@Suite struct BridgedSensorReadingTests {
    /// An IPMB behind a BMC at 20h: the controllers that answer, by address, with their readings by (LUN, sensor);
    /// Send Message to 40h is answered 83h (no one there), to 50h never.
    actor IPMB: IPMIRequester {
        struct NoAnswer: Error {}
        var readings: [UInt8: [UInt8: [UInt8: IPMIResponse]]] = [:]
        private(set) var sent: [IPMIRequest] = []

        init(readings: [UInt8: [UInt8: [UInt8: IPMIResponse]]]) { self.readings = readings }

        func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
            try answer(IPMIRequest(netFn: netFn, command: command, data: data, lun: lun))
        }

        func requests(_ batch: [IPMIRequest]) async -> [Result<IPMIResponse, any Error>] {
            batch.map { request in Result { try answer(request) } }
        }

        private func answer(_ request: IPMIRequest) throws -> IPMIResponse {
            sent.append(request)
            let address = request.bridge?.address ?? 0x20
            if address == 0x50 { throw NoAnswer() }
            if address == 0x60 { return IPMIResponse(completionCode: .timeout, data: []) }
            guard let controller = readings[address] else {
                return IPMIResponse(completionCode: CompletionCode(rawValue: 0x83), data: [])
            }
            return controller[request.lun]?[request.data[0]]
                ?? IPMIResponse(completionCode: .requestedDataNotPresent, data: [])
        }
    }

    /// The lab's CPU1 Temp record (sensor 10h of 20h, LUN 0), owned by `owner` on `channel` / `lun` instead.
    static func sensor(
        owner: UInt8, lun: UInt8 = 0, channel: UInt8 = 0, number: UInt8 = 0x10
    ) throws -> SensorDefinition {
        var bytes = Fixtures.cpu1Temp
        bytes[5] = owner
        bytes[6] = channel << 4 | lun
        bytes[7] = number
        return try #require(SensorDefinition.sensors(in: [try SDRRecord.decode(bytes)]).first)
    }

    static func answer(_ raw: UInt8) -> IPMIResponse {
        IPMIResponse(completionCode: .normal, data: [raw, 0xC0, 0, 0])
    }

    static let logger = Logger(label: "test")

    @Test func sensorsOfOtherControllersAreReadFromThemOnlyWithTheOption() async throws {
        let sensors = [
            try Self.sensor(owner: 0x20), try Self.sensor(owner: 0x30), try Self.sensor(owner: 0x30, lun: 1),
            try Self.sensor(owner: 0x2C, channel: 6),
        ]
        // The same sensor number on every controller, with a different reading on each.
        let ipmb = IPMB(readings: [
            0x20: [0: [0x10: Self.answer(45)]], 0x30: [0: [0x10: Self.answer(88)], 1: [0x10: Self.answer(33)]],
            0x2C: [0: [0x10: Self.answer(60)]],
        ])
        let plain = try await SensorReader(logger: Self.logger).readAll(sensors, from: ipmb)
        #expect(plain.map(\.value) == [45, nil, nil, nil])
        #expect(plain.dropFirst().allSatisfy { $0.availability == .notOwnedByBMC })
        #expect(await ipmb.sent.count == 1)

        let bridged = try await SensorReader(logger: Self.logger, bridgeSensors: true)
            .readAll(sensors, from: ipmb, skipping: [])
        #expect(bridged.readings.map(\.value) == [45, 88, 33, 60])
        #expect(bridged.refusedControllers.isEmpty)
        let sent = await ipmb.sent.dropFirst()
        #expect(
            sent.map(\.bridge) == [
                nil, BridgeTarget(channel: 0, address: 0x30), BridgeTarget(channel: 0, address: 0x30),
                BridgeTarget(channel: 6, address: 0x2C),
            ])
        #expect(sent.map(\.lun) == [0, 0, 1, 0])
    }

    @Test func aFailedBridgedReadFailsOnlyItsSensor() async throws {
        let sensors = [
            try Self.sensor(owner: 0x20), try Self.sensor(owner: 0x40), try Self.sensor(owner: 0x50),
            try Self.sensor(owner: 0x30, number: 0x5F), try Self.sensor(owner: 0x30), try Self.sensor(owner: 0x60),
        ]
        let ipmb = IPMB(readings: [0x20: [0: [0x10: Self.answer(45)]], 0x30: [0: [0x10: Self.answer(88)]]])
        let reader = SensorReader(logger: Self.logger, bridgeSensors: true)
        let batch = try await reader.readAll(sensors, from: ipmb, skipping: [])
        #expect(batch.readings.map(\.value) == [45, nil, nil, nil, 88, nil])
        // 83h from the BMC, no answer at all, CBh from the controller: no reading, and, as FreeIPMI leaves such a
        // sensor out, not available (no series).
        for reading in batch.readings[1...3] {
            #expect(reading.availability == .bridgeFailed)
            #expect(reading.isNotAvailable)
        }
        // Only the controller the BMC cannot reach is refused as a whole; a sensor that is not there is not.
        #expect(batch.refusedControllers == [BridgeTarget(channel: 0, address: 0x40): CompletionCode(rawValue: 0x83)])
        // 50h answered nothing at all, 60h only through the BMC's C3h (timeout); 40h (through the BMC's 83h) and 30h
        // answered something.
        #expect(
            batch.silentControllers == [
                BridgeTarget(channel: 0, address: 0x50), BridgeTarget(channel: 0, address: 0x60),
            ])
        #expect(
            batch.answeringControllers == [
                BridgeTarget(channel: 0, address: 0x40), BridgeTarget(channel: 0, address: 0x30),
            ])

        // Known to refuse: its sensors are not asked for.
        let again = try await reader.readAll(
            sensors, from: ipmb, skipping: [BridgeTarget(channel: 0, address: 0x40)])
        #expect(again.readings[1].availability == .bridgeFailed)
        #expect(await ipmb.sent.count == 6 + 5)
        #expect(await !ipmb.sent.suffix(5).contains { $0.bridge?.address == 0x40 })
    }

    /// A requester that cannot bridge (the protocol's one-at-a-time default) fails those reads, not the batch.
    @Test func aRequesterWithoutBridgingFailsOnlyTheBridgedReads() async throws {
        struct BMCOnly: IPMIRequester {
            func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
                BridgedSensorReadingTests.answer(45)
            }
        }
        let batch = try await SensorReader(logger: Self.logger, bridgeSensors: true)
            .readAll([try Self.sensor(owner: 0x20), try Self.sensor(owner: 0x30)], from: BMCOnly(), skipping: [])
        #expect(batch.readings.map(\.value) == [45, nil])
        #expect(batch.readings[1].availability == .bridgeFailed)
        // Nobody was asked: the controller is not silent.
        #expect(batch.silentControllers.isEmpty)
    }

    @Test func softwareOwnedSensorsAreNeverBridged() async throws {
        let ipmb = IPMB(readings: [:])
        let batch = try await SensorReader(logger: Self.logger, bridgeSensors: true)
            .readAll([try Self.sensor(owner: 0x41)], from: ipmb, skipping: [])
        #expect(batch.readings[0].availability == .notOwnedByBMC)
        #expect(await ipmb.sent.isEmpty)
    }
}
