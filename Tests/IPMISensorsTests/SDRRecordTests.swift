import Testing

@testable import IPMISensors

// Expected values come from Tests/Lab/sdrs/main.sdrs (the source sdrcomp compiled the fixtures from) and the spec.
@Suite struct SDRRecordTests {
    @Test func fullSensorRecordFromSdrcomp() throws {
        guard case .fullSensor(let r) = try SDRRecord.decode(Fixtures.cpu1Temp) else {
            Issue.record("not a full sensor record")
            return
        }
        #expect(r.recordID == 4)
        #expect(r.key == SensorKey(ownerID: 0x20, ownerLUN: 0, channel: 0, sensorNumber: 0x10))
        #expect(r.entityID == 3)
        #expect(r.entityInstance == 1)
        #expect(r.sensorType == 0x01)
        #expect(r.eventReadingType == 0x01)
        #expect(r.units == SensorUnits(baseUnit: 1))
        #expect(
            r.conversion
                == SensorConversion(m: 1, b: 0, bExponent: 0, rExponent: 0, format: .unsigned, linearization: .linear))
        // sensor_threshold_access readable = 01b in byte 12 bits 3:2.
        #expect(r.thresholdAccess == 1)
        #expect(r.thresholds == RawThresholds(upperNonCritical: 85, upperCritical: 95, upperNonRecoverable: 105))
        #expect(r.name == "CPU1 Temp")
    }

    @Test func tenBitSignedFactorsAndExponents() throws {
        guard case .fullSensor(let vcore) = try SDRRecord.decode(Fixtures.vcore),
            case .fullSensor(let minus12) = try SDRRecord.decode(Fixtures.minus12VRail),
            case .fullSensor(let ambient) = try SDRRecord.decode(Fixtures.ambientTemp),
            case .fullSensor(let inlet) = try SDRRecord.decode(Fixtures.inletTemp),
            case .fullSensor(let sqrt) = try SDRRecord.decode(Fixtures.vccSqrt)
        else {
            Issue.record("not full sensor records")
            return
        }
        // m 300, r_exp -4
        #expect(vcore.conversion.m == 300)
        #expect(vcore.conversion.rExponent == -4)
        // m -63, r_exp -3
        #expect(minus12.conversion.m == -63)
        #expect(minus12.conversion.rExponent == -3)
        // m 18, b 320, r_exp -1, degrees F
        #expect(ambient.conversion.m == 18)
        #expect(ambient.conversion.b == 320)
        #expect(ambient.conversion.rExponent == -1)
        #expect(ambient.units.baseUnit == 2)
        #expect(inlet.conversion.format == .twosComplement)
        #expect(sqrt.conversion.linearization == .squareRoot)
    }

    @Test func ownerLUNAndLowerThresholds() throws {
        guard case .fullSensor(let lun1) = try SDRRecord.decode(Fixtures.lun1Temp),
            case .fullSensor(let fan) = try SDRRecord.decode(Fixtures.fan2)
        else {
            Issue.record("not full sensor records")
            return
        }
        #expect(lun1.key.ownerLUN == 1)
        #expect(lun1.key.sensorNumber == 0x1B)
        #expect(fan.thresholds == RawThresholds(lowerNonCritical: 20, lowerCritical: 10, lowerNonRecoverable: 5))
        #expect(fan.units.abbreviation == "RPM")
    }

    @Test func compactRecordWithShareCount() throws {
        guard case .compactSensor(let r) = try SDRRecord.decode(Fixtures.dimmShared) else {
            Issue.record("not a compact record")
            return
        }
        #expect(r.recordID == 1)
        #expect(r.sensorType == 0x0C)
        #expect(r.eventReadingType == 0x6F)
        #expect(r.sharing == SensorSharing(shareCount: 4, isAlphaModifier: false, modifierOffset: 1))
        // "DIMM" is 6-bit packed by sdrcomp.
        #expect(r.name == "DIMM")
        let sensors = SensorDefinition.sensors(in: [.compactSensor(r)])
        #expect(sensors.map(\.name) == ["DIMM 1", "DIMM 2", "DIMM 3", "DIMM 4"])
        #expect(sensors.map(\.key.sensorNumber) == [0x60, 0x61, 0x62, 0x63])
        #expect(sensors.allSatisfy { $0.recordID == 1 })
    }

    @Test func alphaInstanceModifierFollowsTheSpecExample() {
        // §43.2: offset 0 = 'A', 25 = 'Z', 26 = 'AA'.
        let sharing = SensorSharing(shareCount: 3, isAlphaModifier: true, modifierOffset: 24)
        #expect((0..<3).map { sharing.name(base: "Temp", index: $0) } == ["Temp Y", "Temp Z", "Temp AA"])
        #expect(SensorSharing(shareCount: 1, modifierOffset: 5).name(base: "Temp", index: 0) == "Temp")
    }

    @Test func compactDiscreteRecord() throws {
        guard case .compactSensor(let r) = try SDRRecord.decode(Fixtures.acpiState) else {
            Issue.record("not a compact record")
            return
        }
        #expect(r.recordID == 51)
        #expect(r.sensorType == 0x22)
        #expect(r.sharing.shareCount == 0)
        #expect(r.name == "ACPI State")
        #expect(SensorDefinition.sensors(in: [.compactSensor(r)]).map(\.name) == ["ACPI State"])
    }

    @Test func eventOnlyRecord() throws {
        guard case .eventOnly(let r) = try SDRRecord.decode(Fixtures.watchdogEventOnly) else {
            Issue.record("not an event-only record")
            return
        }
        #expect(r.recordID == 3)
        #expect(r.key.sensorNumber == 0)
        #expect(r.sensorType == 0x23)
        #expect(r.name == "Watchdog")
        // Event-only sensors cannot be read.
        #expect(SensorDefinition.sensors(in: [.eventOnly(r)]).isEmpty)
    }

    @Test func locatorRecords() throws {
        guard case .fruDeviceLocator(let fru) = try SDRRecord.decode(Fixtures.fruLocator),
            case .managementControllerLocator(let mc) = try SDRRecord.decode(Fixtures.mcLocator)
        else {
            Issue.record("not locator records")
            return
        }
        #expect(fru.recordID == 2)
        #expect(fru.deviceAccessAddress == 0x20)
        #expect(fru.fruDeviceID == 0)
        #expect(fru.isLogical)
        #expect(fru.deviceType == 0x10)
        #expect(fru.entityID == 7)
        #expect(fru.name == "Board FRU")
        #expect(mc.recordID == 1)
        #expect(mc.slaveAddress == 0x20)
        // chassis, ipmb_event_gen, ipmb_event_recv, fru_inventory, sel, sdr, sensor: 1011 1111b.
        #expect(mc.capabilities == 0xBF)
        #expect(mc.name == "Test BMC")
    }

    @Test func packedIDStrings() throws {
        guard case .eventOnly(let sixBit) = try SDRRecord.decode(Fixtures.sixBitName),
            case .eventOnly(let bcd) = try SDRRecord.decode(Fixtures.bcdName)
        else {
            Issue.record("not event-only records")
            return
        }
        #expect(sixBit.name == "CPU1 TEMP_A-B")
        #expect(bcd.name == "12.5-3")
    }

    @Test func idStringEncodingsByHand() {
        // 8-bit with NUL padding stops at the NUL.
        #expect(IDString.decode(typeLength: 0xC5, bytes: [0x41, 0x42, 0x00, 0x00, 0x00][...]) == "AB")
        // BCD plus, low nibble first: 0x21 -> "12", 0xBA -> " -" (A = space, B = '-').
        #expect(IDString.decode(typeLength: 0x44, bytes: [0x21, 0xBA][...]) == "12 -")
        // 6-bit "AB": A = 21h, B = 22h; byte0 = 21h | (22h & 3) << 6 = A1h, byte1 = 22h >> 2 = 08h.
        #expect(IDString.decode(typeLength: 0x82, bytes: [0xA1, 0x08][...]) == "AB")
        // A record that ends inside the string keeps what is there.
        #expect(IDString.decode(typeLength: 0xCA, bytes: [0x41, 0x42][...]) == "AB")
        #expect(IDString.decode(typeLength: 0xC0, bytes: [0x41][...]) == "")
    }

    @Test func otherRecordTypesAreNotErrors() throws {
        // OEM record C0h: header plus manufacturer ID and data.
        let oem: [UInt8] = [0x07, 0x00, 0x51, 0xC0, 0x05, 0x57, 0x01, 0x00, 0x12, 0x34]
        #expect(try SDRRecord.decode(oem) == .other(recordID: 7, recordType: 0xC0))
        // Entity association 08h.
        let association: [UInt8] = [0x08, 0x00, 0x51, 0x08, 0x02, 0x07, 0x01]
        #expect(try SDRRecord.decode(association) == .other(recordID: 8, recordType: 0x08))
    }

    @Test func truncatedRecordsThrow() {
        // Missing the last three bytes of the ID string: the header says more follows.
        #expect(throws: SDRDecodingError.self) { try SDRRecord.decode(Array(Fixtures.cpu1Temp.dropLast(3))) }
        // Shorter than a header.
        #expect(throws: SDRDecodingError.self) { try SDRRecord.decode([0x01, 0x00, 0x51]) }
        // A full sensor record whose length says 20 bytes: too short for the fixed fields.
        var short = Array(Fixtures.cpu1Temp.prefix(25))
        short[4] = 20
        #expect(throws: SDRDecodingError.self) { try SDRRecord.decode(short) }
        // Same for compact, event-only and locator records.
        for type: UInt8 in [0x02, 0x03, 0x11, 0x12] {
            #expect(throws: SDRDecodingError.self) { try SDRRecord.decode([0x09, 0x00, 0x51, type, 0x03, 0, 0, 0]) }
        }
    }

    @Test func extraBytesBeyondTheLengthAreIgnored() throws {
        let padded = Fixtures.cpu1Temp + [0xFF, 0xFF]
        #expect(try SDRRecord.decode(padded) == SDRRecord.decode(Fixtures.cpu1Temp))
    }
}
