/// Get Chassis Status (IPMI v2.0 §28.2): no request data.
public struct GetChassisStatusRequest: IPMIEmptyRequest {
    public typealias Response = GetChassisStatusResponse
    public static let netFn = NetFn.chassis
    public static let command: UInt8 = 0x01

    public init() {}
}

/// The answer to Get Chassis Status, table 28-3: current power state, last power event, misc. chassis state,
/// and an optional front panel button byte.
public struct GetChassisStatusResponse: IPMICommandResponse {
    /// Byte 1: bit 0 power on, 1 overload, 2 interlock, 3 main power fault, 4 power control fault, bits 6:5 the
    /// restore policy.
    public var currentPowerState: UInt8
    public var lastPowerEvent: UInt8
    /// Byte 3: bit 0 intrusion, 1 front panel lockout, 2 drive fault, 3 cooling/fan fault.
    public var miscChassisState: UInt8
    public var frontPanelButtons: UInt8?

    /// Power restore policy, byte 1 bits 6:5.
    public enum RestorePolicy: UInt8, Sendable {
        case alwaysOff = 0
        case previous = 1
        case alwaysOn = 2
        case unknown = 3
    }

    public init(
        currentPowerState: UInt8, lastPowerEvent: UInt8 = 0, miscChassisState: UInt8 = 0,
        frontPanelButtons: UInt8? = nil
    ) {
        self.currentPowerState = currentPowerState
        self.lastPowerEvent = lastPowerEvent
        self.miscChassisState = miscChassisState
        self.frontPanelButtons = frontPanelButtons
    }

    public init(powerOn: Bool, restorePolicy: RestorePolicy, driveFault: Bool = false, coolingFault: Bool = false) {
        self.init(
            currentPowerState: (powerOn ? 0x01 : 0x00) | restorePolicy.rawValue << 5,
            miscChassisState: (driveFault ? 0x04 : 0x00) | (coolingFault ? 0x08 : 0x00))
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Chassis Status response")
        currentPowerState = try reader.readByte()
        lastPowerEvent = try reader.readByte()
        miscChassisState = try reader.readByte()
        frontPanelButtons = reader.isAtEnd ? nil : try reader.readByte()
    }

    public func encode() -> [UInt8] {
        [currentPowerState, lastPowerEvent, miscChassisState] + (frontPanelButtons.map { [$0] } ?? [])
    }

    public var powerOn: Bool { currentPowerState & 0x01 != 0 }
    public var restorePolicy: RestorePolicy { RestorePolicy(rawValue: currentPowerState >> 5 & 0x03) ?? .unknown }
    /// Byte 1 bit 1: the system was shut down because of a power overload.
    public var powerOverload: Bool { currentPowerState & 0x02 != 0 }
    /// Byte 1 bit 2: a chassis interlock switch is active.
    public var powerInterlock: Bool { currentPowerState & 0x04 != 0 }
    /// Byte 1 bit 3: a fault in the main power subsystem.
    public var mainPowerFault: Bool { currentPowerState & 0x08 != 0 }
    /// Byte 1 bit 4: the power controller could not switch power on or off.
    public var powerControlFault: Bool { currentPowerState & 0x10 != 0 }
    /// Byte 3 bit 0: chassis intrusion active.
    public var intrusion: Bool { miscChassisState & 0x01 != 0 }
    /// Byte 3 bit 1: the front panel buttons are locked out.
    public var frontPanelLockout: Bool { miscChassisState & 0x02 != 0 }
    public var driveFault: Bool { miscChassisState & 0x04 != 0 }
    public var coolingFault: Bool { miscChassisState & 0x08 != 0 }
}
