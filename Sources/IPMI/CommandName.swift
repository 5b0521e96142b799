/// Names of the IPMI commands this project sends, for error messages that say which command failed ("timeout waiting
/// for Get SDR"). Codes from IPMI v2.0 appendix G (table G-1) and DCMI v1.5 table 6-2.
public enum CommandName {
    /// The command's name, or nil for one this table does not know.
    public static func name(netFn: NetFn, command: UInt8) -> String? {
        switch (netFn, command) {
        case (.chassis, 0x00): "Get Chassis Capabilities"
        case (.chassis, 0x01): "Get Chassis Status"
        case (.chassis, 0x02): "Chassis Control"
        case (.app, 0x01): "Get Device ID"
        case (.app, 0x04): "Get Self Test Results"
        case (.app, 0x25): "Get Watchdog Timer"
        case (.app, 0x34): "Send Message"
        case (.app, 0x38): "Get Channel Authentication Capabilities"
        case (.app, 0x42): "Get Channel Info"
        case (.app, 0x54): "Get Channel Cipher Suites"
        case (.app, 0x59): "Get System Info Parameters"
        case (.sensorEvent, 0x27): "Get Sensor Thresholds"
        case (.sensorEvent, 0x2D): "Get Sensor Reading"
        case (.storage, 0x10): "Get FRU Inventory Area Info"
        case (.storage, 0x11): "Read FRU Data"
        case (.storage, 0x20): "Get SDR Repository Info"
        case (.storage, 0x22): "Reserve SDR Repository"
        case (.storage, 0x23): "Get SDR"
        case (.storage, 0x40): "Get SEL Info"
        case (.storage, 0x42): "Reserve SEL"
        case (.storage, 0x43): "Get SEL Entry"
        case (.storage, 0x48): "Get SEL Time"
        case (.transport, 0x02): "Get LAN Configuration Parameters"
        case (.groupExtension, 0x02): "Get DCMI Power Reading"
        default: nil
        }
    }

    /// "Get Device ID (app command 0x01)", or "netfn 0x30 command 0x01" for a command the table does not know.
    public static func describe(netFn: NetFn, command: UInt8) -> String {
        let code = "\(netFn) command 0x" + hex2(command)
        guard let name = name(netFn: netFn, command: command) else { return code }
        return name + " (" + code + ")"
    }

    /// Message bytes as two-digit hex separated by spaces, for debug logs of requests and answers (IPMI messages
    /// outside a session carry no secrets).
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map(hex2).joined(separator: " ")
    }
}
