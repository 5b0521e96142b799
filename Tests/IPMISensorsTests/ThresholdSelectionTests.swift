import IPMI
import IPMISensors
import Testing

/// Where a sensor's thresholds come from (FreeIPMI's rules, ``ThresholdSource``) and how they convert.
@Suite struct ThresholdSelectionTests {
    /// Record thresholds of a temperature sensor: upper non-critical 85, critical 95 (raw = °C with M = 1).
    static let recordThresholds = RawThresholds(upperNonCritical: 85, upperCritical: 95)

    static func sensor(
        access: UInt8, eventReadingType: UInt8 = 0x01, owner: UInt8 = 0x20, lun: UInt8 = 0,
        linearization: UInt8 = 0x00, format: AnalogDataFormat = .unsigned, m: Int = 1, rExponent: Int = 0
    ) -> SensorDefinition {
        SensorDefinition(
            recordID: 7, name: "CPU Temp", key: SensorKey(ownerID: owner, ownerLUN: lun, sensorNumber: 0x31),
            sensorType: 0x01, eventReadingType: eventReadingType, units: SensorUnits(baseUnit: 1),
            conversion: SensorConversion(
                m: m, b: 0, bExponent: 0, rExponent: rExponent, format: format,
                linearization: Linearization(code: linearization)),
            recordThresholds: recordThresholds, thresholdAccess: access)
    }

    @Test func readableThresholdsAreAskedOfTheOwnersLUN() {
        for access: UInt8 in [0x01, 0x02] {
            #expect(
                Self.sensor(access: access, lun: 1).thresholdSource()
                    == .command(GetSensorThresholdsRequest(sensorNumber: 0x31), lun: 1, bridge: nil))
        }
    }

    /// With bridging, another controller's sensor is asked of its owner (channel and slave address of the record),
    /// on its LUN; a software-owned sensor still has no one to ask.
    @Test func anotherControllersThresholdsAreAskedThroughItsOwnerWhenBridged() {
        var sensor = Self.sensor(access: 0x01, owner: 0x2C, lun: 1)
        sensor.key.channel = 6
        #expect(
            sensor.thresholdSource(bridgeSensors: true)
                == .command(
                    GetSensorThresholdsRequest(sensorNumber: 0x31), lun: 1,
                    bridge: BridgeTarget(channel: 6, address: 0x2C)))
        #expect(sensor.thresholdSource() == .none)
        #expect(Self.sensor(access: 0x01, owner: 0x41).thresholdSource(bridgeSensors: true) == .none)
        #expect(
            Self.sensor(access: 0x01).thresholdSource(bridgeSensors: true)
                == .command(GetSensorThresholdsRequest(sensorNumber: 0x31), lun: 0, bridge: nil))
    }

    @Test func fixedThresholdsComeFromTheRecordWithoutARequest() {
        #expect(Self.sensor(access: 0x03).thresholdSource() == .record(Self.recordThresholds))
    }

    @Test func noThresholdsWhereFreeIPMIShowsNone() {
        #expect(Self.sensor(access: 0x00).thresholdSource() == .none)
        // A discrete sensor, a non-linear one (70h) and a non-analog one are not converted.
        #expect(Self.sensor(access: 0x01, eventReadingType: 0x6F).thresholdSource() == .none)
        #expect(Self.sensor(access: 0x01, linearization: 0x70).thresholdSource() == .none)
        #expect(Self.sensor(access: 0x03, format: .nonAnalog).thresholdSource() == .none)
        // Another controller's sensor (it would need bridging) and a software-owned one.
        #expect(Self.sensor(access: 0x01, owner: 0x2C).thresholdSource() == .none)
        #expect(Self.sensor(access: 0x01, owner: 0x41).thresholdSource() == .none)
    }

    @Test func theAnswerWinsOverTheRecord() {
        let sensor = Self.sensor(access: 0x01)
        // Lower non-critical 10 only (mask 01h), though the record says upper 85 and 95.
        let answer = IPMIResponse(completionCode: .normal, data: [0x01, 10, 0, 0, 0, 0, 0])
        #expect(sensor.thresholds(answer: answer) == RawThresholds(lowerNonCritical: 10))
        #expect(sensor.thresholds(answer: IPMIResponse(completionCode: .normal, data: [0x01, 10])) == nil)
    }

    @Test func refusalsFallBackToTheRecordAsFreeIPMIDoes() {
        let sensor = Self.sensor(access: 0x02)
        for code in [CompletionCode.invalidCommand, .parameterOutOfRange, .unspecified] {
            #expect(sensor.thresholds(answer: IPMIResponse(completionCode: code, data: [])) == Self.recordThresholds)
        }
        for code in [
            CompletionCode.commandIllegalForSensor, .requestedDataNotPresent, .nodeBusy, .insufficientPrivilege,
        ] {
            #expect(sensor.thresholds(answer: IPMIResponse(completionCode: code, data: [])) == nil)
        }
    }

    /// M = 13, R exponent -3: raw 254 is 3.302 V, which ipmi-sensors prints as 3.30 (ipmitool: 3.302); raw 200 is
    /// 2.6 V.
    @Test func valuesHaveFreeIPMIsTwoDecimals() {
        let sensor = Self.sensor(access: 0x01, m: 13, rExponent: -3)
        let converted = sensor.convert(RawThresholds(lowerCritical: 200, upperCritical: 254))
        #expect(converted.map(\.level) == [.lowerCritical, .upperCritical])
        #expect(converted.map(\.value) == [2.6, 3.3])
    }
}
