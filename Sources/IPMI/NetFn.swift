/// An IPMI network function code (IPMI v2.0 section 5.1, table 5-1), the even request value.
public struct NetFn: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x3E
    }

    public static let chassis = NetFn(rawValue: 0x00)
    public static let bridge = NetFn(rawValue: 0x02)
    public static let sensorEvent = NetFn(rawValue: 0x04)
    public static let app = NetFn(rawValue: 0x06)
    public static let firmware = NetFn(rawValue: 0x08)
    public static let storage = NetFn(rawValue: 0x0A)
    public static let transport = NetFn(rawValue: 0x0C)
    /// Group extension (DCMI and others identify themselves by the first data byte).
    public static let groupExtension = NetFn(rawValue: 0x2C)
    public static let oemGroup = NetFn(rawValue: 0x2E)

    /// The response network function is the request's plus one.
    public var response: UInt8 { rawValue | 0x01 }

    public var description: String {
        switch self {
        case .chassis: "chassis"
        case .bridge: "bridge"
        case .sensorEvent: "sensor/event"
        case .app: "app"
        case .firmware: "firmware"
        case .storage: "storage"
        case .transport: "transport"
        case .groupExtension: "group extension"
        case .oemGroup: "OEM group"
        default: "netfn 0x" + String(rawValue, radix: 16)
        }
    }
}
