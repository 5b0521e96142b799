import IPMI

// Pure decoders for the answers the collectors use. Each takes the data bytes after the completion code
// and returns nil when they are too short, so odd BMC data becomes `ipmi_up 0`, never a crash.

/// Get Device ID (IPMI v2.0 §20.1): the firmware revision and the manufacturer.
struct DeviceID: Equatable, Sendable {
    var deviceID: UInt8
    var firmwareMajor: UInt8
    /// BCD, two digits.
    var firmwareMinor: UInt8
    var manufacturerID: UInt32
    var productID: UInt16

    init?(data: [UInt8]) {
        guard data.count >= 11 else { return nil }
        deviceID = data[0]
        firmwareMajor = data[2] & 0x7F
        firmwareMinor = data[3]
        manufacturerID = UInt32(data[6]) | UInt32(data[7]) << 8 | UInt32(data[8] & 0x0F) << 16
        productID = UInt16(data[9]) | UInt16(data[10]) << 8
    }

    /// As bmc-info prints it: major in decimal, minor as its two BCD digits ("9.08").
    var firmwareRevision: String {
        let high = firmwareMinor >> 4
        let low = firmwareMinor & 0x0F
        return "\(firmwareMajor).\(high)\(low)"
    }
}

/// Get Chassis Status (IPMI v2.0 §28.2).
struct ChassisStatus: Equatable, Sendable {
    var powerOn: Bool
    var driveFault: Bool
    var coolingFault: Bool

    init?(data: [UInt8]) {
        guard data.count >= 3 else { return nil }
        powerOn = data[0] & 0x01 != 0
        // Misc chassis state: bit 2 drive fault, bit 3 cooling/fan fault.
        driveFault = data[2] & 0x04 != 0
        coolingFault = data[2] & 0x08 != 0
    }
}

/// DCMI Get Power Reading (DCMI v1.5 §6.6.1), mode 01h "system power statistics".
struct DCMIPowerReading: Equatable, Sendable {
    static let groupExtensionID: UInt8 = 0xDC
    static let command: UInt8 = 0x02
    static let requestData: [UInt8] = [groupExtensionID, 0x01, 0x00, 0x00]

    var currentWatts: UInt16
    /// Bit 6 of the power reading state: the BMC is actually measuring.
    var measurementActive: Bool

    init?(data: [UInt8]) {
        guard data.count >= 18, data[0] == Self.groupExtensionID else { return nil }
        currentWatts = UInt16(data[1]) | UInt16(data[2]) << 8
        measurementActive = data[17] & 0x40 != 0
    }
}

/// Get SEL Info (IPMI v2.0 §31.2).
struct SELInfo: Equatable, Sendable {
    var entries: UInt16
    var freeSpaceBytes: UInt16

    init?(data: [UInt8]) {
        guard data.count >= 5 else { return nil }
        entries = UInt16(data[1]) | UInt16(data[2]) << 8
        freeSpaceBytes = UInt16(data[3]) | UInt16(data[4]) << 8
    }
}

/// Get Watchdog Timer (IPMI v2.0 §27.7).
struct WatchdogTimer: Equatable, Sendable {
    /// Index into ``timerUses`` (1-based in the spec; 0 and 6-7 are reserved).
    var timerUse: UInt8
    var running: Bool
    var loggingEnabled: Bool
    var timeoutAction: UInt8
    var pretimeoutInterrupt: UInt8
    var pretimeoutIntervalSeconds: Double
    var initialCountdownSeconds: Double
    /// Missing when a BMC answers with only the first six bytes (ipmi_sim does).
    var presentCountdownSeconds: Double?

    /// Names as FreeIPMI's bmc-watchdog prints them, in the order of the use codes 1…5.
    static let timerUses = ["BIOS FRB2", "BIOS POST", "OS LOAD", "SMS/OS", "OEM"]
    static let timeoutActions = ["None", "Hard Reset", "Power Down", "Power Cycle"]
    static let pretimeoutInterrupts = ["None", "SMI", "NMI / Diagnostic Interrupt", "Messaging Interrupt"]

    init?(data: [UInt8]) {
        guard data.count >= 6 else { return nil }
        timerUse = data[0] & 0x07
        running = data[0] & 0x40 != 0
        // Bit 7 set means "don't log"; the exporter reports the logging flag the other way round.
        loggingEnabled = data[0] & 0x80 == 0
        timeoutAction = data[1] & 0x07
        pretimeoutInterrupt = (data[1] >> 4) & 0x07
        pretimeoutIntervalSeconds = Double(data[2])
        // Countdowns are in 100 ms units.
        initialCountdownSeconds = Double(UInt16(data[4]) | UInt16(data[5]) << 8) / 10
        presentCountdownSeconds = data.count >= 8 ? Double(UInt16(data[6]) | UInt16(data[7]) << 8) / 10 : nil
    }

    var timerUseName: String? {
        (1...5).contains(timerUse) ? Self.timerUses[Int(timerUse) - 1] : nil
    }
    var timeoutActionName: String? {
        Int(timeoutAction) < Self.timeoutActions.count ? Self.timeoutActions[Int(timeoutAction)] : nil
    }
    var pretimeoutInterruptName: String? {
        Int(pretimeoutInterrupt) < Self.pretimeoutInterrupts.count
            ? Self.pretimeoutInterrupts[Int(pretimeoutInterrupt)] : nil
    }
}

/// Get System Info Parameters (IPMI v2.0 §22.14a) for string parameters (1 system firmware version, 6 BMC URL),
/// which come in 16-byte blocks: block 0 starts with the encoding and the total length.
enum SystemInfoString {
    static let command: UInt8 = 0x59
    static let firmwareVersion: UInt8 = 1
    static let bmcURL: UInt8 = 6

    static func request(parameter: UInt8, block: UInt8) -> [UInt8] {
        [0x00, parameter, block, 0x00]
    }

    /// The payload bytes of one block answer (after the parameter revision byte and the set selector).
    static func blockPayload(_ data: [UInt8]) -> [UInt8]? {
        guard data.count >= 2 else { return nil }
        return Array(data[2...])
    }

    /// Decodes block 0's header: (encoding, total length, first chunk of text bytes).
    static func firstBlock(_ payload: [UInt8]) -> (encoding: UInt8, length: Int, bytes: [UInt8])? {
        guard payload.count >= 2 else { return nil }
        return (payload[0] & 0x0F, Int(payload[1]), Array(payload[2...]))
    }

    /// ASCII/UTF-8 text without trailing NULs; UTF-16 (encoding 2) is not seen in practice and is read as ASCII.
    static func text(_ bytes: [UInt8]) -> String {
        var bytes = bytes
        while let last = bytes.last, last == 0 { bytes.removeLast() }
        return String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
    }
}
