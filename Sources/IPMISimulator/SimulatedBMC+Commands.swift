import IPMI

/// In-session command handling: privilege checks and the commands the exporter's collectors use.
extension SimulatedBMC {
    /// Command numbers beyond those the client library names (IPMI v2.0 appendix G; DCMI 1.5 table 6-1).
    enum Command {
        static let coldReset: UInt8 = 0x02
        static let getDeviceGUID: UInt8 = 0x08
        static let getWatchdogTimer: UInt8 = 0x25
        static let getSystemGUID: UInt8 = 0x37
        static let getChannelInfo: UInt8 = 0x42
        static let getSystemInfoParameters: UInt8 = 0x59
        static let getChassisCapabilities: UInt8 = 0x00
        static let getChassisStatus: UInt8 = 0x01
        static let chassisControl: UInt8 = 0x02
        static let getSensorHysteresis: UInt8 = 0x25
        static let getSensorThresholds: UInt8 = 0x27
        static let getSensorReading: UInt8 = 0x2D
        static let getSDRRepositoryInfo: UInt8 = 0x20
        static let reserveSDRRepository: UInt8 = 0x22
        static let getSDR: UInt8 = 0x23
        static let getSELInfo: UInt8 = 0x40
        static let reserveSEL: UInt8 = 0x42
        static let getSELEntry: UInt8 = 0x43
        static let clearSEL: UInt8 = 0x47
        static let getSELTime: UInt8 = 0x48
        static let dcmiGetCapabilities: UInt8 = 0x01
        static let dcmiGetPowerReading: UInt8 = 0x02
        static let dcmiGroupID: UInt8 = 0xDC
    }

    /// Privilege needed per command (IPMI v2.0 appendix G): reads need User, chassis control and clearing the
    /// SEL need Operator, a cold reset needs Administrator.
    static func requiredPrivilege(netFn: NetFn, command: UInt8) -> PrivilegeLevel {
        switch (netFn, command) {
        case (.app, AppCommand.setSessionPrivilegeLevel), (.app, AppCommand.closeSession),
            (.app, AppCommand.getChannelAuthenticationCapabilities), (.app, AppCommand.getChannelCipherSuites):
            .callback
        case (.chassis, Command.chassisControl), (.storage, Command.clearSEL): .operator
        case (.app, Command.coldReset): .administrator
        default: .user
        }
    }

    mutating func execute(
        _ request: IPMIRequestMessage, in session: inout ServerSession, now: Double
    ) -> (messages: [IPMIResponseMessage], closing: UInt32?) {
        let needed = Self.requiredPrivilege(netFn: request.netFn, command: request.command)
        guard session.privilege.rawValue >= needed.rawValue else {
            return ([response(to: request, code: .insufficientPrivilege, data: [])], nil)
        }
        switch (request.netFn, request.command) {
        case (.app, AppCommand.setSessionPrivilegeLevel):
            return ([setSessionPrivilege(request, in: &session)], nil)
        case (.app, AppCommand.closeSession):
            guard request.data.count >= 4 else {
                return ([response(to: request, code: .requestDataLengthInvalid, data: [])], nil)
            }
            let id =
                UInt32(request.data[0]) | UInt32(request.data[1]) << 8 | UInt32(request.data[2]) << 16
                | UInt32(request.data[3]) << 24
            guard sessions[id] != nil || id == session.managedSessionID else {
                return ([response(to: request, code: CompletionCode(rawValue: 0x87), data: [])], nil)
            }
            return ([response(to: request, code: .normal, data: [])], id)
        case (.app, AppCommand.sendMessage):
            return (sendMessage(request), nil)
        default:
            let (code, data) = answer(request, now: now)
            return ([response(to: request, code: code, data: data)], nil)
        }
    }

    /// Set Session Privilege Level (IPMI v2.0 section 22.18): 0 asks for the present level; above the
    /// session's limit is refused with 81h.
    func setSessionPrivilege(_ request: IPMIRequestMessage, in session: inout ServerSession) -> IPMIResponseMessage {
        guard let requested = request.data.first.map({ $0 & 0x0F }) else {
            return response(to: request, code: .requestDataLengthInvalid, data: [])
        }
        if requested == 0 { return response(to: request, code: .normal, data: [session.privilege.rawValue]) }
        guard let level = PrivilegeLevel(rawValue: requested),
            level != .callback || session.maximumPrivilege == .callback
        else { return response(to: request, code: CompletionCode(rawValue: 0x80), data: []) }
        guard level.rawValue <= session.maximumPrivilege.rawValue else {
            return response(to: request, code: CompletionCode(rawValue: 0x81), data: [])
        }
        session.privilege = level
        return response(to: request, code: .normal, data: [level.rawValue])
    }

    /// Everything that answers with one completion code and data.
    mutating func answer(_ request: IPMIRequestMessage, now: Double) -> (CompletionCode, [UInt8]) {
        let data = request.data
        switch (request.netFn, request.command) {
        case (.app, AppCommand.getDeviceID): return (.normal, deviceIDData())
        case (.app, Command.getDeviceGUID), (.app, Command.getSystemGUID): return (.normal, guid)
        case (.app, AppCommand.getChannelAuthenticationCapabilities): return authenticationCapabilities(data)
        case (.app, AppCommand.getChannelCipherSuites): return cipherSuitesPage(data)
        case (.app, Command.getWatchdogTimer):
            // Timer use SMS/OS, stopped, no action; 300 s initial and present countdown (100 ms units).
            return (.normal, [0x04, 0x00, 0x00, 0x00, 0xB8, 0x0B, 0xB8, 0x0B])
        case (.app, Command.getChannelInfo): return channelInfo(data)
        case (.app, Command.getSystemInfoParameters): return systemInfoParameter(data)
        case (.chassis, Command.getChassisStatus):
            // Power on/off, restore policy "previous" (bits 6:5 = 01), no faults, front panel not reported.
            return (.normal, [(powerOn ? 0x01 : 0x00) | 0x20, 0x00, 0x00])
        case (.chassis, Command.chassisControl):
            guard let action = data.first else { return (.requestDataLengthInvalid, []) }
            switch action & 0x0F {
            case 0x00, 0x05: powerOn = false
            case 0x01, 0x02, 0x03: powerOn = true
            default: return (.invalidDataField, [])
            }
            return (.normal, [])
        case (.sensorEvent, Command.getSensorReading): return sensorReading(data, now: now)
        case (.sensorEvent, Command.getSensorThresholds): return sensorThresholds(data)
        case (.sensorEvent, Command.getSensorHysteresis):
            guard let number = data.first, profile.sensor(number: number) != nil else {
                return (.requestedDataNotPresent, [])
            }
            return (.normal, [0x00, 0x00])
        case (.storage, Command.getSDRRepositoryInfo): return sdrRepositoryInfo()
        case (.storage, Command.reserveSDRRepository):
            sdrReservation = sdrReservation == UInt16.max ? 1 : sdrReservation + 1
            return (.normal, [UInt8(sdrReservation & 0xFF), UInt8(sdrReservation >> 8)])
        case (.storage, Command.getSDR):
            getSDRRequests += 1
            return emptySDRAnswers ? (.normal, []) : getSDR(data)
        case (.storage, Command.getSELInfo): return selInfo()
        case (.storage, Command.reserveSEL):
            selReservation = selReservation == UInt16.max ? 1 : selReservation + 1
            return (.normal, [UInt8(selReservation & 0xFF), UInt8(selReservation >> 8)])
        case (.storage, Command.getSELEntry): return getSELEntry(data)
        case (.storage, Command.getSELTime): return (.normal, littleEndian(UInt32(clamping: Int64(now))))
        case (.storage, Command.clearSEL): return clearSEL(data, now: now)
        case (.groupExtension, Command.dcmiGetPowerReading): return dcmiPowerReading(data, now: now)
        case (.groupExtension, Command.dcmiGetCapabilities): return dcmiCapabilities(data)
        default: return (.invalidCommand, [])
        }
    }

    func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    func littleEndian(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    /// Get Device ID (IPMI v2.0 section 20.1, table 20-2).
    func deviceIDData() -> [UInt8] {
        let minorBCD = (profile.firmwareMinor / 10) << 4 | profile.firmwareMinor % 10
        let m = profile.manufacturerID
        // Additional device support: chassis, bridge, SEL, SDR repository, sensor device.
        return [profile.deviceID, 0x01, profile.firmwareMajor, minorBCD, 0x02, 0xC7]
            + [UInt8(m & 0xFF), UInt8(m >> 8 & 0xFF), UInt8(m >> 16 & 0x0F)] + littleEndian(profile.productID)
            + [0x00, 0x00, 0x00, 0x00]
    }

    /// Get Channel Info (IPMI v2.0 section 22.24) for the LAN channel 1: 802.3 LAN, IPMB-1.0 protocol,
    /// multi-session, IPMI IANA 7154.
    func channelInfo(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let channel = data.first.map({ $0 & 0x0F }) else { return (.requestDataLengthInvalid, []) }
        guard channel == 0x01 || channel == 0x0E else { return (.invalidDataField, []) }
        let active = UInt8(min(63, sessions.values.filter { $0.phase == .active }.count))
        return (.normal, [0x01, 0x04, 0x01, 0x80 | active, 0xF2, 0x1B, 0x00, 0x00, 0x00])
    }

    /// Get System Info Parameters (IPMI v2.0 section 22.14a), parameter 1 (system firmware version): set 0
    /// carries encoding, length and the first 14 bytes; each further set 16 more bytes.
    func systemInfoParameter(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard data.count >= 4 else { return (.requestDataLengthInvalid, []) }
        let revision: UInt8 = 0x11
        if data[0] & 0x80 != 0 { return (.normal, [revision]) }
        guard data[1] == 1 else { return (CompletionCode(rawValue: 0x80), []) }
        let text = Array(profile.systemFirmwareVersion.utf8.prefix(14 + 16 * 15))
        let set = Int(data[2])
        var block: [UInt8]
        if set == 0 {
            block = [0x00, UInt8(text.count)] + text.prefix(14)
        } else {
            let start = 14 + 16 * (set - 1)
            guard start < text.count else { return (.parameterOutOfRange, []) }
            block = Array(text[start..<min(text.count, start + 16)])
        }
        block += [UInt8](repeating: 0, count: 16 - block.count)
        return (.normal, [revision, data[2]] + block)
    }
}
