/// Intel's Node Manager discovery record: an OEM SDR (record type C0h, IPMI v2.0 §43.12) that tells where the Node
/// Manager (in the Management Engine) is and which sensor numbers its events use. Layout (Intel Intelligent Power
/// Node Manager specification, as FreeIPMI 1.6 reads it): bytes 6-8 the manufacturer ID (Intel's, 343, not checked:
/// boards without it exist), byte 9 the record subtype 0Dh, byte 10 the version 01h, byte 11 bits 7:1 the Node
/// Manager's 7-bit slave address, byte 12 bits 7:4 its channel and bits 1:0 its LUN, bytes 13-16 the sensor
/// numbers of the health, exception, operational capabilities and alert threshold events.
public struct IntelNodeManagerRecord: Sendable, Hashable {
    public var recordID: UInt16
    public var manufacturerID: UInt32
    /// The 7-bit slave address (byte 11 bits 7:1).
    public var slaveAddress: UInt8
    public var lun: UInt8
    public var channel: UInt8
    public var healthSensor: UInt8
    public var exceptionSensor: UInt8
    public var capabilitiesSensor: UInt8
    public var alertThresholdSensor: UInt8

    /// The record subtype and version of the discovery record.
    public static let subtype: UInt8 = 0x0D
    public static let version: UInt8 = 0x01
    /// Header and body: shorter OEM records are not this one.
    public static let size = 16

    /// Decodes a whole OEM record (header included), nil when it is another OEM record: shorter than 16 bytes, or
    /// of another subtype or version.
    public init?(record b: [UInt8]) {
        guard b.count >= Self.size, b[3] == 0xC0, b[8] == Self.subtype, b[9] == Self.version else { return nil }
        recordID = UInt16(b[0]) | UInt16(b[1]) << 8
        manufacturerID = UInt32(b[5]) | UInt32(b[6]) << 8 | UInt32(b[7]) << 16
        slaveAddress = b[10] >> 1
        lun = b[11] & 0x03
        channel = b[11] >> 4
        healthSensor = b[12]
        exceptionSensor = b[13]
        capabilitiesSensor = b[14]
        alertThresholdSensor = b[15]
    }
}
