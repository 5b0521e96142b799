import Testing

@testable import IPMISensors

/// Intel's Node Manager discovery record, byte for byte (Intel Intelligent Power Node Manager specification's OEM SDR,
/// as FreeIPMI 1.6's sdr/ipmi-sdr-oem-intel-node-manager.c reads it).
@Suite struct IntelNodeManagerRecordTests {
    /// Record 0042h, SDR version 51h, OEM (C0h), 11 bytes: Intel (343 = 000157h, least significant byte first),
    /// subtype 0Dh, version 01h, slave address 2Ch (7-bit 16h), channel 6 and LUN 2 (62h), then the sensor numbers of
    /// the health (19h), exception (18h), operational capabilities (1Ah) and alert threshold (1Bh) events.
    static let bytes: [UInt8] = [
        0x42, 0x00, 0x51, 0xC0, 0x0B, 0x57, 0x01, 0x00, 0x0D, 0x01, 0x2C, 0x62, 0x19, 0x18, 0x1A, 0x1B,
    ]

    @Test func decodesEveryField() throws {
        guard case .intelNodeManager(let record) = try SDRRecord.decode(Self.bytes) else {
            Issue.record("not a Node Manager record")
            return
        }
        #expect(record.recordID == 0x42 && record.manufacturerID == 343)
        // Address, channel and LUN; health, exception, capabilities, alert threshold sensors.
        let fields = [record.slaveAddress, record.channel, record.lun]
        let sensors = [
            record.healthSensor, record.exceptionSensor, record.capabilitiesSensor, record.alertThresholdSensor,
        ]
        #expect(fields == [0x16, 6, 2] && sensors == [0x19, 0x18, 0x1A, 0x1B])
        #expect(SDRRecord.intelNodeManager(record).recordID == 0x42)
    }

    /// FreeIPMI does not check the manufacturer ID (boards without Intel's exist); it does check the subtype and
    /// version, and that the record is long enough.
    @Test func otherOEMRecordsStayOther() throws {
        var otherManufacturer = Self.bytes
        otherManufacturer[5] = 0x99
        guard case .intelNodeManager(let record) = try SDRRecord.decode(otherManufacturer) else {
            Issue.record("not a Node Manager record")
            return
        }
        #expect(record.manufacturerID == 0x000199)
        var otherSubtype = Self.bytes
        otherSubtype[8] = 0x0C
        #expect(try SDRRecord.decode(otherSubtype) == .other(recordID: 0x42, recordType: 0xC0))
        var otherVersion = Self.bytes
        otherVersion[9] = 0x02
        #expect(try SDRRecord.decode(otherVersion) == .other(recordID: 0x42, recordType: 0xC0))
        // A body of 10 bytes (the last sensor number missing), whatever follows the stated length.
        var short = Self.bytes
        short[4] = 0x0A
        #expect(try SDRRecord.decode(short) == .other(recordID: 0x42, recordType: 0xC0))
        #expect(IntelNodeManagerRecord(record: Array(Self.bytes.prefix(15))) == nil)
    }
}
