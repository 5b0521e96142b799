import IPMI

/// In-session command handling: privilege checks and the commands the exporter's collectors use.
extension SimulatedBMC {
    /// Command numbers of the commands the simulator answers without a typed codec in `IPMI` (IPMI v2.0 appendix G;
    /// DCMI 1.5 table 6-1). The exporter's commands come from their request types (`GetDeviceIDRequest.command` …).
    enum Command {
        static let coldReset: UInt8 = 0x02
        static let getDeviceGUID: UInt8 = 0x08
        static let getChannelInfo: UInt8 = 0x42
        static let getChassisCapabilities: UInt8 = 0x00
        static let chassisControl: UInt8 = 0x02
        static let getSensorHysteresis: UInt8 = 0x25
        static let getSensorReading: UInt8 = 0x2D
        static let getSDRRepositoryInfo: UInt8 = 0x20
        static let reserveSDRRepository: UInt8 = 0x22
        static let getSDR: UInt8 = 0x23
        static let getDeviceSDRInfo: UInt8 = 0x20
        static let getDeviceSDR: UInt8 = 0x21
        static let reserveDeviceSDRRepository: UInt8 = 0x22
        static let reserveSEL: UInt8 = 0x42
        static let clearSEL: UInt8 = 0x47
        static let getSELTime: UInt8 = 0x48
        static let dcmiGetCapabilities: UInt8 = 0x01
    }

    /// Privilege needed per command (IPMI v2.0 appendix G): reads need User; chassis control, clearing the SEL
    /// and reading the LAN configuration need Operator; a cold reset needs Administrator.
    static func requiredPrivilege(netFn: NetFn, command: UInt8) -> PrivilegeLevel {
        switch (netFn, command) {
        case (.app, AppCommand.setSessionPrivilegeLevel), (.app, AppCommand.closeSession),
            (.app, AppCommand.getChannelAuthenticationCapabilities), (.app, AppCommand.getChannelCipherSuites):
            .callback
        case (.chassis, Command.chassisControl), (.storage, Command.clearSEL),
            (GetLANConfigurationParametersRequest.netFn, GetLANConfigurationParametersRequest.command):
            .operator
        case (.app, Command.coldReset): .administrator
        // A Fujitsu iRMC gives its SEL texts to administrators only (FreeIPMI's message for D4h says so).
        case (FujitsuGetSELEntryTextRequest.netFn, FujitsuGetSELEntryTextRequest.command): .administrator
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
            let refused = refusedCommands[request.netFn.rawValue]?.contains(request.command) == true
            let (code, data) = refused ? (.invalidCommand, []) : answer(request, now: now)
            if code == .invalidCommand { refusedRequests += 1 }
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
        case (GetDeviceIDRequest.netFn, GetDeviceIDRequest.command): return (.normal, deviceID.encode())
        case (.app, Command.getDeviceGUID), (GetSystemGUIDRequest.netFn, GetSystemGUIDRequest.command):
            return (.normal, GetSystemGUIDResponse(guid: guid).encode())
        case (.app, AppCommand.getChannelAuthenticationCapabilities): return authenticationCapabilities(data)
        case (.app, AppCommand.getChannelCipherSuites): return cipherSuitesPage(data)
        case (GetWatchdogTimerRequest.netFn, GetWatchdogTimerRequest.command):
            // Timer use SMS/OS, stopped, no action; 300 s initial and present countdown (100 ms units).
            let timer = GetWatchdogTimerResponse(timerUse: 4, initialCountdown: 3000, presentCountdown: 3000)
            return (.normal, timer.encode())
        case (.app, Command.getChannelInfo): return channelInfo(data)
        case (GetSystemInfoParametersRequest.netFn, GetSystemInfoParametersRequest.command):
            return systemInfoParameter(data)
        case (GetChassisStatusRequest.netFn, GetChassisStatusRequest.command):
            // The faults and policy as configured (none, "previous" by default); front panel buttons not reported.
            let status = GetChassisStatusResponse(
                currentPowerState: (powerOn ? 0x01 : 0x00) | chassisPowerFlags & 0x7E,
                miscChassisState: chassisMiscState)
            return (.normal, status.encode())
        case (.chassis, Command.chassisControl):
            guard let action = data.first else { return (.requestDataLengthInvalid, []) }
            switch action & 0x0F {
            case 0x00, 0x05: powerOn = false
            case 0x01, 0x02, 0x03: powerOn = true
            default: return (.invalidDataField, [])
            }
            return (.normal, [])
        case (.sensorEvent, Command.getSensorReading): return sensorReading(data, now: now)
        case (GetSensorThresholdsRequest.netFn, GetSensorThresholdsRequest.command): return sensorThresholds(data)
        case (.sensorEvent, Command.getSensorHysteresis):
            guard let number = data.first, profile.sensor(number: number) != nil else {
                return (.requestedDataNotPresent, [])
            }
            return (.normal, [0x00, 0x00])
        case (.storage, let command)
        where noSDRRepository
            && [Command.getSDRRepositoryInfo, Command.reserveSDRRepository, Command.getSDR].contains(command):
            return (.invalidCommand, [])
        case (.sensorEvent, Command.getDeviceSDRInfo), (.sensorEvent, Command.reserveDeviceSDRRepository),
            (.sensorEvent, Command.getDeviceSDR):
            return deviceSDRs ? deviceSDRCommand(request.command, data) : (.invalidCommand, [])
        case (.storage, Command.getSDRRepositoryInfo): return sdrRepositoryInfo()
        case (.storage, Command.reserveSDRRepository):
            sdrReservation = sdrReservation == UInt16.max ? 1 : sdrReservation + 1
            return (.normal, [UInt8(sdrReservation & 0xFF), UInt8(sdrReservation >> 8)])
        case (.storage, Command.getSDR):
            getSDRRequests += 1
            return emptySDRAnswers ? (.normal, []) : getSDR(data)
        case (GetSELInfoRequest.netFn, GetSELInfoRequest.command): return selInfo()
        case (GetFRUInventoryAreaInfoRequest.netFn, GetFRUInventoryAreaInfoRequest.command):
            return fruInventoryAreaInfo(data)
        case (ReadFRUDataRequest.netFn, ReadFRUDataRequest.command): return readFRUData(data)
        case (GetLANConfigurationParametersRequest.netFn, GetLANConfigurationParametersRequest.command):
            return lanConfigurationParameter(data)
        case (.storage, Command.reserveSEL):
            selReservation = selReservation == UInt16.max ? 1 : selReservation + 1
            return (.normal, [UInt8(selReservation & 0xFF), UInt8(selReservation >> 8)])
        case (GetSELEntryRequest.netFn, GetSELEntryRequest.command): return getSELEntry(data)
        case (.storage, Command.getSELTime): return (.normal, littleEndian(UInt32(clamping: Int64(now))))
        case (.storage, Command.clearSEL): return clearSEL(data, now: now)
        case (DCMIGetPowerReadingRequest.netFn, DCMIGetPowerReadingRequest.command):
            return dcmiPowerReading(data, now: now)
        case (.groupExtension, Command.dcmiGetCapabilities): return dcmiCapabilities(data)
        case (FujitsuGetSELEntryTextRequest.netFn, FujitsuGetSELEntryTextRequest.command):
            return fujitsuSELEntryText(data)
        default: return (.invalidCommand, [])
        }
    }

    func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    func littleEndian(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    /// Get Device ID (IPMI v2.0 section 20.1): IPMI 2.0; additional device support chassis, bridge, FRU inventory,
    /// SEL, SDR repository, sensor device (CFh; CDh without a repository; ipmitool's `fru print` reads device 0 only
    /// from a BMC with the FRU inventory bit); device revision bit 7 when it provides device SDRs; no auxiliary
    /// firmware information (four zero bytes).
    var deviceID: GetDeviceIDResponse {
        GetDeviceIDResponse(
            deviceID: profile.deviceID, providesDeviceSDRs: deviceSDRs, deviceRevision: 1,
            firmwareMajor: profile.firmwareMajor, firmwareMinor: GetDeviceIDResponse.bcd(profile.firmwareMinor),
            additionalDeviceSupport: noSDRRepository ? 0xCD : 0xCF,
            manufacturerID: profile.manufacturerID, productID: profile.productID,
            auxiliaryFirmwareRevision: [0, 0, 0, 0])
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
        guard let request = try? GetSystemInfoParametersRequest(decoding: data) else {
            return (.requestDataLengthInvalid, [])
        }
        if request.revisionOnly { return (.normal, GetSystemInfoParametersResponse().encode()) }
        // 80h: parameter not supported (table 22-16a).
        guard request.parameter == GetSystemInfoParametersRequest.systemFirmwareVersion else {
            return (CompletionCode(rawValue: 0x80), [])
        }
        let blocks = SystemInfoStringBlock.blocks(of: Array(profile.systemFirmwareVersion.utf8))
        guard Int(request.setSelector) < blocks.count else { return (.parameterOutOfRange, []) }
        let block = blocks[Int(request.setSelector)]
        return (.normal, GetSystemInfoParametersResponse(parameterData: block.parameterData).encode())
    }
}
