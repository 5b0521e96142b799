/// Get Watchdog Timer (IPMI v2.0 §27.7): no request data.
public struct GetWatchdogTimerRequest: IPMIEmptyRequest {
    public typealias Response = GetWatchdogTimerResponse
    public static let netFn = NetFn.app
    public static let command: UInt8 = 0x25

    public init() {}
}

/// The answer to Get Watchdog Timer, table 27-7: timer use, actions, pre-timeout interval, expiration flags,
/// initial countdown and present countdown (both in 100 ms units). Some BMCs (ipmi_sim) send only the first six
/// bytes, so the present countdown is optional.
public struct GetWatchdogTimerResponse: IPMICommandResponse {
    /// Byte 1 bits 2:0: 1 BIOS FRB2, 2 BIOS/POST, 3 OS load, 4 SMS/OS, 5 OEM; 0 and 6-7 reserved.
    public var timerUse: UInt8
    /// Byte 1 bit 6: the timer is running.
    public var running: Bool
    /// Byte 1 bit 7: "don't log" set, so an expiry is not logged.
    public var dontLog: Bool
    /// Byte 2 bits 2:0: 0 none, 1 hard reset, 2 power down, 3 power cycle.
    public var timeoutAction: UInt8
    /// Byte 2 bits 6:4: 0 none, 1 SMI, 2 NMI / diagnostic interrupt, 3 messaging interrupt.
    public var pretimeoutInterrupt: UInt8
    /// Byte 3, in seconds.
    public var pretimeoutInterval: UInt8
    /// Byte 4: the timer uses that expired (bit n for use n).
    public var expirationFlags: UInt8
    public var initialCountdown: UInt16
    public var presentCountdown: UInt16?

    public init(
        timerUse: UInt8, running: Bool = false, dontLog: Bool = false, timeoutAction: UInt8 = 0,
        pretimeoutInterrupt: UInt8 = 0, pretimeoutInterval: UInt8 = 0, expirationFlags: UInt8 = 0,
        initialCountdown: UInt16, presentCountdown: UInt16?
    ) {
        self.timerUse = timerUse
        self.running = running
        self.dontLog = dontLog
        self.timeoutAction = timeoutAction
        self.pretimeoutInterrupt = pretimeoutInterrupt
        self.pretimeoutInterval = pretimeoutInterval
        self.expirationFlags = expirationFlags
        self.initialCountdown = initialCountdown
        self.presentCountdown = presentCountdown
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Watchdog Timer response")
        let use = try reader.readByte()
        timerUse = use & 0x07
        running = use & 0x40 != 0
        dontLog = use & 0x80 != 0
        let actions = try reader.readByte()
        timeoutAction = actions & 0x07
        pretimeoutInterrupt = actions >> 4 & 0x07
        pretimeoutInterval = try reader.readByte()
        expirationFlags = try reader.readByte()
        initialCountdown = try reader.readUInt16LE()
        presentCountdown = reader.remaining >= 2 ? try reader.readUInt16LE() : nil
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write((dontLog ? 0x80 : 0x00) | (running ? 0x40 : 0x00) | timerUse & 0x07)
        writer.write((pretimeoutInterrupt & 0x07) << 4 | timeoutAction & 0x07)
        writer.write(pretimeoutInterval)
        writer.write(expirationFlags)
        writer.write(littleEndian: initialCountdown)
        if let presentCountdown { writer.write(littleEndian: presentCountdown) }
        return writer.bytes
    }

    public var initialCountdownSeconds: Double { Double(initialCountdown) / 10 }
    public var presentCountdownSeconds: Double? { presentCountdown.map { Double($0) / 10 } }
}
