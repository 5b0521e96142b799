import Foundation
import IPMI
import Testing

/// The exchanges of Fixtures/ipmitool-commands.txt (ipmitool ↔ ipmi_sim, captured by
/// Vectors/capture_commands.sh) and what ipmitool printed for the same BMC (ipmitool-commands-print.txt).
struct CommandCapture {
    let exchanges: [String: (request: [UInt8], response: [UInt8])]
    let printed: [String: [String: String]]

    init() {
        var exchanges: [String: (request: [UInt8], response: [UInt8])] = [:]
        let raw = (try? String(contentsOf: fixtureURL("ipmitool-commands.txt"), encoding: .utf8)) ?? ""
        for line in raw.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let name = fields[0].trimmingCharacters(in: .whitespaces)
            exchanges[name] = (hex(String(fields[1])), hex(String(fields[2])))
        }
        self.exchanges = exchanges

        var printed: [String: [String: String]] = [:]
        var section = ""
        let text = (try? String(contentsOf: fixtureURL("ipmitool-commands-print.txt"), encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("== ") {
                section = String(line.dropFirst(3))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // The first occurrence wins (lan print repeats its continuation lines with an empty key).
            if printed[section, default: [:]][key] == nil { printed[section, default: [:]][key] = value }
        }
        self.printed = printed
    }

    func request(_ name: String) -> [UInt8] { exchanges[name]?.request ?? [0xEE] }
    func response(_ name: String) -> [UInt8] { exchanges[name]?.response ?? [] }
    func printed(_ section: String, _ key: String) -> String? { printed[section]?[key] }

    /// Lines of a section that have no colon (ipmitool's lists, such as Additional Device Support).
    func listed(_ section: String) -> [String] {
        let text = (try? String(contentsOf: fixtureURL("ipmitool-commands-print.txt"), encoding: .utf8)) ?? ""
        var current = ""
        var lines: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("== ") {
                current = String(line.dropFirst(3))
            } else if current == section, !line.contains(":") {
                lines.append(line.trimmingCharacters(in: .whitespaces))
            }
        }
        return lines
    }
}

/// Typed command codecs against real exchanges (ipmitool ↔ ipmi_sim) and byte layouts from the spec tables.
@Suite("Command codecs")
struct CommandCodecTests {
    let capture = CommandCapture()

    @Test func fixturesLoaded() {
        #expect(capture.exchanges.count == 16)
        #expect(capture.printed.count == 8)
    }

    @Test func commandNumbers() {
        // IPMI v2.0 appendix G and DCMI v1.5 table 6-1.
        #expect((GetDeviceIDRequest.netFn, GetDeviceIDRequest.command) == (.app, 0x01))
        #expect((GetSystemGUIDRequest.netFn, GetSystemGUIDRequest.command) == (.app, 0x37))
        #expect((GetSystemInfoParametersRequest.netFn, GetSystemInfoParametersRequest.command) == (.app, 0x59))
        #expect((GetWatchdogTimerRequest.netFn, GetWatchdogTimerRequest.command) == (.app, 0x25))
        #expect((GetChassisStatusRequest.netFn, GetChassisStatusRequest.command) == (.chassis, 0x01))
        #expect((GetSELInfoRequest.netFn, GetSELInfoRequest.command) == (.storage, 0x40))
        #expect((GetSELEntryRequest.netFn, GetSELEntryRequest.command) == (.storage, 0x43))
        #expect((GetFRUInventoryAreaInfoRequest.netFn, GetFRUInventoryAreaInfoRequest.command) == (.storage, 0x10))
        #expect((ReadFRUDataRequest.netFn, ReadFRUDataRequest.command) == (.storage, 0x11))
        #expect(
            (GetLANConfigurationParametersRequest.netFn, GetLANConfigurationParametersRequest.command)
                == (.transport, 0x02))
        #expect((DCMIGetPowerReadingRequest.netFn, DCMIGetPowerReadingRequest.command) == (.groupExtension, 0x02))
        #expect(GetSELInfoRequest.matches(netFn: .storage, command: 0x40))
        #expect(!GetSELInfoRequest.matches(netFn: .app, command: 0x40))
    }

    @Test func getDeviceID() throws {
        let bytes = capture.response("get-device-id")
        #expect(GetDeviceIDRequest().encode() == capture.request("get-device-id"))
        let device = try GetDeviceIDResponse(decoding: bytes)
        let section = "mc info"
        #expect(capture.printed(section, "Device ID") == "\(device.deviceID)")
        #expect(capture.printed(section, "Device Revision") == "\(device.deviceRevision)")
        #expect(capture.printed(section, "Firmware Revision") == device.firmwareRevision)
        #expect(capture.printed(section, "IPMI Version") == device.ipmiVersionString)
        #expect(capture.printed(section, "Manufacturer ID") == "\(device.manufacturerID)")
        #expect(capture.printed(section, "Product ID")?.hasPrefix("\(device.productID) ") == true)
        #expect(capture.printed(section, "Device Available") == (device.updateInProgress ? "no" : "yes"))
        #expect(capture.printed(section, "Provides Device SDRs") == (device.providesDeviceSDRs ? "yes" : "no"))
        // Table 20-2 byte 6, bits 0 to 7, in ipmitool's words.
        let names = [
            "Sensor Device", "SDR Repository Device", "SEL Device", "FRU Inventory Device", "IPMB Event Receiver",
            "IPMB Event Generator", "Bridge", "Chassis Device",
        ]
        let supported = names.indices.filter { device.additionalDeviceSupport & 1 << $0 != 0 }.map { names[$0] }
        #expect(capture.listed(section).filter { names.contains($0) } == supported)
        #expect(device.auxiliaryFirmwareRevision == [0, 0, 0, 0])
        #expect(device.encode() == bytes)
    }

    @Test func getDeviceIDFromSpecTable() throws {
        // Table 20-2 without the optional auxiliary bytes: device 20h, SDRs and revision 1, update in progress,
        // firmware 1.23, IPMI 2.0, manufacturer 10876 (Supermicro, 00297Ch), product 1234h.
        let bytes: [UInt8] = [0x20, 0x81, 0x81, 0x23, 0x02, 0xBF, 0x7C, 0x2A, 0x00, 0x34, 0x12]
        let device = try GetDeviceIDResponse(decoding: bytes)
        #expect(device.providesDeviceSDRs && device.deviceRevision == 1 && device.updateInProgress)
        #expect(device.firmwareRevision == "1.23")
        #expect(device.manufacturerID == 10876 && device.productID == 0x1234)
        #expect(device.auxiliaryFirmwareRevision == nil)
        #expect(device.encode() == bytes)
        #expect(GetDeviceIDResponse.bcd(8) == 0x08 && GetDeviceIDResponse.bcd(42) == 0x42)
    }

    @Test func getSystemGUID() throws {
        let bytes = capture.response("get-system-guid")
        let guid = try GetSystemGUIDResponse(decoding: bytes)
        #expect(capture.printed("mc guid", "System GUID") == guid.text)
        #expect(guid.encode() == bytes)
        #expect(GetSystemGUIDResponse(guid: [0xA1, 0x23]).text == "a1 23")
    }

    @Test func getChassisStatus() throws {
        let bytes = capture.response("get-chassis-status")
        let status = try GetChassisStatusResponse(decoding: bytes)
        let section = "chassis status"
        #expect(capture.printed(section, "System Power") == (status.powerOn ? "on" : "off"))
        #expect(capture.printed(section, "Power Restore Policy") == "always-off")
        #expect(status.restorePolicy == .alwaysOff)
        #expect(capture.printed(section, "Drive Fault") == "\(status.driveFault)")
        #expect(capture.printed(section, "Cooling/Fan Fault") == "\(status.coolingFault)")
        #expect(status.frontPanelButtons == nil)
        #expect(status.encode() == bytes)
    }

    @Test func getChassisStatusFromSpecTable() throws {
        // Table 28-3: power on, restore policy "previous" (bits 6:5 = 01), last event 10h (on by IPMI command),
        // drive fault and cooling fault, front panel byte present.
        let bytes: [UInt8] = [0x21, 0x10, 0x0C, 0x00]
        let status = try GetChassisStatusResponse(decoding: bytes)
        #expect(status.powerOn && status.restorePolicy == .previous && status.driveFault && status.coolingFault)
        #expect(status.encode() == bytes)
        #expect(GetChassisStatusResponse(powerOn: true, restorePolicy: .previous).encode() == [0x21, 0x00, 0x00])
    }

    @Test func getSELInfo() throws {
        let bytes = capture.response("get-sel-info")
        let info = try GetSELInfoResponse(decoding: bytes)
        let section = "sel info"
        #expect(info.version == 0x51)
        #expect(capture.printed(section, "Entries") == "\(info.entries)")
        #expect(capture.printed(section, "Free Space") == "\(info.freeSpaceBytes) bytes")
        #expect(capture.printed(section, "Overflow") == "\(info.overflow)")
        // Bit 3 Delete, bit 1 Reserve.
        #expect(capture.printed(section, "Supported Cmds") == "'Delete' 'Reserve'")
        #expect(info.operationSupport == 0x0A)
        #expect(info.encode() == bytes)
    }

    @Test func getSELEntry() throws {
        #expect(
            GetSELEntryRequest(recordID: GetSELEntryRequest.firstRecord).encode()
                == capture.request("get-sel-entry-first"))
        #expect(
            GetSELEntryRequest(recordID: GetSELEntryRequest.lastRecord).encode()
                == capture.request("get-sel-entry-last"))
        let request = try GetSELEntryRequest(decoding: capture.request("get-sel-entry-last"))
        #expect(request.recordID == 0xFFFF && request.count == GetSELEntryRequest.wholeRecord)

        let bytes = capture.response("get-sel-entry-first")
        let entry = try GetSELEntryResponse(decoding: bytes)
        #expect(entry.nextRecordID == 0xFFFF)
        let record = try entry.record()
        #expect(capture.printed("sel get 1", "SEL Record ID") == hexWord(entry.recordID ?? 0))
        #expect(capture.printed("sel get 1", "Record Type") == hexByte(record[2]))
        #expect(capture.printed("sel get 1", "Event Data") == record[13...15].map(hexByte).joined())
        #expect(entry.encode() == bytes)
    }

    @Test func getWatchdogTimer() throws {
        // ipmi_sim answers with the first six bytes only.
        let bytes = capture.response("get-watchdog-timer")
        let timer = try GetWatchdogTimerResponse(decoding: bytes)
        let section = "mc watchdog get"
        #expect(capture.printed(section, "Watchdog Timer Use") == "Reserved (0x0\(timer.timerUse))")
        #expect(capture.printed(section, "Watchdog Timer Is") == (timer.running ? "Started/Running" : "Stopped"))
        #expect(capture.printed(section, "Watchdog Timer Logging") == (timer.dontLog ? "Off" : "On"))
        #expect(capture.printed(section, "Initial Countdown") == "\(timer.initialCountdownSeconds) sec")
        #expect(timer.presentCountdown == nil)
        #expect(timer.encode() == bytes)
    }

    @Test func getWatchdogTimerFromSpecTable() throws {
        // Table 27-7: SMS/OS (4), running, logging; hard reset (1), messaging interrupt (3); 10 s pre-timeout;
        // SMS/OS expired (bit 4); initial 300.0 s (0BB8h), present 30.0 s (012Ch).
        let bytes: [UInt8] = [0x44, 0x31, 0x0A, 0x10, 0xB8, 0x0B, 0x2C, 0x01]
        let timer = try GetWatchdogTimerResponse(decoding: bytes)
        #expect(timer.timerUse == 4 && timer.running && !timer.dontLog)
        #expect(timer.timeoutAction == 1 && timer.pretimeoutInterrupt == 3 && timer.pretimeoutInterval == 10)
        #expect(timer.expirationFlags == 0x10)
        #expect(timer.initialCountdownSeconds == 300 && timer.presentCountdownSeconds == 30)
        #expect(timer.encode() == bytes)
    }

    @Test func getLANConfigurationParameters() throws {
        let cases: [(String, LANConfigurationParameter)] = [
            ("lan-ip-address", .ipAddress), ("lan-ip-address-source", .ipAddressSource),
            ("lan-mac-address", .macAddress), ("lan-subnet-mask", .subnetMask),
            ("lan-default-gateway", .defaultGatewayAddress), ("lan-vlan-id", .vlanID),
        ]
        for (name, parameter) in cases {
            let request = GetLANConfigurationParametersRequest(channel: 1, parameter: parameter)
            #expect(request.encode() == capture.request(name), "\(name)")
            #expect(try GetLANConfigurationParametersRequest(decoding: capture.request(name)) == request)
            let response = try GetLANConfigurationParametersResponse(decoding: capture.response(name))
            #expect(response.parameterRevision == 0x11)
            #expect(response.encode() == capture.response(name), "\(name)")
        }
        func value(_ name: String) throws -> GetLANConfigurationParametersResponse {
            try GetLANConfigurationParametersResponse(decoding: capture.response(name))
        }
        let section = "lan print 1"
        let address = try value("lan-ip-address").ipv4Address()
        let source = try value("lan-ip-address-source").ipAddressSource()
        let mac = try value("lan-mac-address").macAddress()
        let mask = try value("lan-subnet-mask").ipv4Address()
        let gateway = try value("lan-default-gateway").ipv4Address()
        #expect(capture.printed(section, "IP Address") == address.description)
        #expect(capture.printed(section, "IP Address Source") == source.description)
        #expect(capture.printed(section, "MAC Address") == mac.description)
        #expect(capture.printed(section, "Subnet Mask") == mask.description)
        #expect(capture.printed(section, "Default Gateway IP") == gateway.description)
        let vlan = try value("lan-vlan-id").vlanID()
        #expect(capture.printed(section, "802.1q VLAN ID") == "\(vlan.id)")
        #expect(vlan.enabled)
        #expect(vlan.parameterData == Array(capture.response("lan-vlan-id").dropFirst()))
        // A parameter shorter than its layout is an error, not a trap.
        #expect(throws: IPMIError.self) {
            try GetLANConfigurationParametersResponse(parameterData: [1, 2]).macAddress()
        }
        // Revision-only request (byte 1 bit 7).
        #expect(
            GetLANConfigurationParametersRequest(channel: 1, parameter: .ipAddress, revisionOnly: true).encode()
                == [0x81, 0x03, 0x00, 0x00])
    }

    @Test func fruInventory() throws {
        #expect(
            GetFRUInventoryAreaInfoRequest(fruDeviceID: 0).encode() == capture.request("get-fru-inventory-area-info"))
        let info = try GetFRUInventoryAreaInfoResponse(decoding: capture.response("get-fru-inventory-area-info"))
        #expect(info.areaSize == 48 && !info.accessedByWords)
        #expect(info.encode() == capture.response("get-fru-inventory-area-info"))

        #expect(ReadFRUDataRequest(fruDeviceID: 0, offset: 0, count: 32).encode() == capture.request("read-fru-data-0"))
        #expect(
            ReadFRUDataRequest(fruDeviceID: 0, offset: 32, count: 32).encode() == capture.request("read-fru-data-32"))
        #expect(
            try ReadFRUDataRequest(decoding: capture.request("read-fru-data-32"))
                == ReadFRUDataRequest(fruDeviceID: 0, offset: 32, count: 32))
        let first = try ReadFRUDataResponse(decoding: capture.response("read-fru-data-0"))
        let second = try ReadFRUDataResponse(decoding: capture.response("read-fru-data-32"))
        #expect(first.encode() == capture.response("read-fru-data-0"))
        #expect(second.encode() == capture.response("read-fru-data-32"))
        // The BMC returns only what is left: 32 + 16 = the area size.
        let fru = first.data + second.data
        #expect(fru.count == Int(info.areaSize))
        // FRU storage spec §8: the common header's 8 bytes sum to zero; the board area's offset is in 8-byte units.
        #expect(fru.prefix(8).reduce(0, &+) == 0)
        let board = Int(fru[3]) * 8
        #expect(fru[board...].prefix(Int(fru[board + 1]) * 8).reduce(0, &+) == 0)
        // ipmitool's Board Mfg is the first type/length field after language and date (offset 6).
        let length = Int(fru[board + 6] & 0x3F)
        let manufacturer = String(decoding: fru[(board + 7)..<(board + 7 + length)], as: UTF8.self)
        #expect(capture.printed("fru print 0", "Board Mfg") == manufacturer)
        // A count larger than the bytes that follow.
        #expect(throws: IPMIError.self) { try ReadFRUDataResponse(decoding: [0x05, 0x01, 0x02]) }
    }

    @Test func dcmiGetPowerReading() throws {
        // DCMI v1.5 table 6-16. Request: DCh, mode 01h (system power statistics), attributes 0.
        #expect(DCMIGetPowerReadingRequest().encode() == [0xDC, 0x01, 0x00, 0x00])
        #expect(try DCMIGetPowerReadingRequest(decoding: [0xDC, 0x01, 0x00, 0x00]) == DCMIGetPowerReadingRequest())
        // Answer: DCh; current 300 W, minimum 100, maximum 500, average 200; timestamp 5F5E1000h; period
        // 1000 ms; state 40h (measurement active).
        let bytes: [UInt8] = [
            0xDC, 0x2C, 0x01, 0x64, 0x00, 0xF4, 0x01, 0xC8, 0x00, 0x00, 0x10, 0x5E, 0x5F, 0xE8, 0x03, 0x00, 0x00, 0x40,
        ]
        let reading = try DCMIGetPowerReadingResponse(decoding: bytes)
        #expect(reading.currentWatts == 300 && reading.minimumWatts == 100)
        #expect(reading.maximumWatts == 500 && reading.averageWatts == 200)
        #expect(reading.timestamp == 0x5F5E_1000 && reading.periodMilliseconds == 1000)
        #expect(reading.measurementActive)
        #expect(reading.encode() == bytes)
        var inactive = bytes
        inactive[17] = 0x00
        #expect(try !DCMIGetPowerReadingResponse(decoding: inactive).measurementActive)
        var otherGroup = bytes
        otherGroup[0] = 0xDD
        #expect(throws: IPMIError.self) { try DCMIGetPowerReadingResponse(decoding: otherGroup) }
    }

    @Test func getSystemInfoParameters() throws {
        // Table 22-16a: get parameter 1 (system firmware version), set 0, block 0.
        let request = GetSystemInfoParametersRequest(parameter: GetSystemInfoParametersRequest.systemFirmwareVersion)
        #expect(request.encode() == [0x00, 0x01, 0x00, 0x00])
        #expect(try GetSystemInfoParametersRequest(decoding: [0x80, 0x06, 0x02, 0x00]).revisionOnly)
        // Revision 11h, set 0: encoding ASCII, length 5, "1.2.3", zero padding to 16 bytes.
        let bytes: [UInt8] = [0x11, 0x00, 0x00, 0x05, 0x31, 0x2E, 0x32, 0x2E, 0x33] + [UInt8](repeating: 0, count: 9)
        let response = try GetSystemInfoParametersResponse(decoding: bytes)
        #expect(response.encode() == bytes)
        let block = try response.stringBlock()
        #expect(block.setSelector == 0)
        let header = try block.firstBlockHeader()
        #expect(header.encoding == 0 && header.length == 5)
        #expect(SystemInfoStringBlock.text(Array(header.text.prefix(header.length))) == "1.2.3")
        #expect(
            SystemInfoStringBlock.blocks(of: Array("1.2.3".utf8)).map(\.parameterData) == [Array(bytes.dropFirst())])

        // 40 bytes: set 0 holds 14, set 1 16, set 2 the last 10.
        let text = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd".utf8)
        let blocks = SystemInfoStringBlock.blocks(of: text)
        #expect(blocks.map(\.setSelector) == [0, 1, 2])
        #expect(blocks.map(\.bytes.count) == [16, 16, 10])
        #expect(blocks.flatMap(\.parameterData).count == 3 * 17)
        #expect(Array(blocks.dropFirst().flatMap(\.bytes)) == Array(text.dropFirst(14)))
    }

    /// Every prefix shorter than a layout's fixed part throws `IPMIError` (malformed); random bytes never trap.
    @Test func shortAndRandomDataThrowInsteadOfTrapping() {
        let minimum: [(String, Int, ([UInt8]) throws -> Void)] = [
            ("Get Device ID", 11, { _ = try GetDeviceIDResponse(decoding: $0) }),
            ("Get System GUID", 16, { _ = try GetSystemGUIDResponse(decoding: $0) }),
            ("Get System Info Parameters", 1, { _ = try GetSystemInfoParametersResponse(decoding: $0) }),
            ("Get Chassis Status", 3, { _ = try GetChassisStatusResponse(decoding: $0) }),
            ("Get SEL Info", 14, { _ = try GetSELInfoResponse(decoding: $0) }),
            ("Get SEL Entry", 2, { _ = try GetSELEntryResponse(decoding: $0) }),
            ("Get Watchdog Timer", 6, { _ = try GetWatchdogTimerResponse(decoding: $0) }),
            ("Get LAN Configuration Parameters", 1, { _ = try GetLANConfigurationParametersResponse(decoding: $0) }),
            ("Get FRU Inventory Area Info", 3, { _ = try GetFRUInventoryAreaInfoResponse(decoding: $0) }),
            ("Read FRU Data", 1, { _ = try ReadFRUDataResponse(decoding: $0) }),
            ("DCMI Get Power Reading", 18, { _ = try DCMIGetPowerReadingResponse(decoding: [0xDC] + $0.dropFirst()) }),
            ("Get SEL Entry request", 6, { _ = try GetSELEntryRequest(decoding: $0) }),
            (
                "Get LAN Configuration Parameters request", 4,
                {
                    _ = try GetLANConfigurationParametersRequest(decoding: $0)
                }
            ),
            ("Read FRU Data request", 4, { _ = try ReadFRUDataRequest(decoding: $0) }),
        ]
        for (name, length, decode) in minimum {
            let full = [UInt8](repeating: 0, count: length)
            for count in 0..<length {
                #expect(throws: IPMIError.self, "\(name) of \(count) bytes") { try decode(Array(full.prefix(count))) }
            }
            #expect(throws: Never.self, "\(name) of \(length) bytes") { try decode(full) }
        }
        // A fixed-seed generator (xorshift), so a failure repeats.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<2000 {
            let bytes = (0..<Int(next() % 24)).map { _ in UInt8(truncatingIfNeeded: next()) }
            for (_, _, decode) in minimum { _ = try? decode(bytes) }
            _ = try? GetSystemInfoParametersResponse(decoding: bytes).stringBlock().firstBlockHeader()
            let lan = GetLANConfigurationParametersResponse(parameterData: bytes)
            _ = try? (lan.ipv4Address(), lan.macAddress(), lan.vlanID(), lan.ipAddressSource())
            _ = try? GetSELEntryResponse(decoding: bytes).record()
        }
    }

    @Test func typedCallSendsTheCommandAndDecodesTheAnswer() async throws {
        let requester = RecordingRequester(answer: capture.response("get-sel-info"))
        let info = try await requester.call(GetSELInfoRequest())
        #expect(info.entries == 1)
        #expect(await requester.sent == [IPMIRequest(netFn: .storage, command: 0x40)])
        let short = RecordingRequester(answer: [0x51, 0x01])
        let error = await #expect(throws: IPMIResponseDecodingError.self) { try await short.call(GetSELInfoRequest()) }
        #expect(error?.netFn == .storage && error?.command == 0x40 && error?.error.code == .malformed)
    }
}

/// A requester that records what it was asked and answers every request with the same data.
private actor RecordingRequester: IPMIRequester {
    let answer: [UInt8]
    var sent: [IPMIRequest] = []

    init(answer: [UInt8]) {
        self.answer = answer
    }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        sent.append(IPMIRequest(netFn: netFn, command: command, data: data, lun: lun))
        return IPMIResponse(completionCode: .normal, data: answer)
    }
}

/// Two lower-case hex digits, as ipmitool prints a byte.
private func hexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16)
    return byte < 0x10 ? "0" + digits : digits
}

/// Four lower-case hex digits, as ipmitool prints a SEL record ID.
private func hexWord(_ value: UInt16) -> String {
    hexByte(UInt8(value >> 8)) + hexByte(UInt8(value & 0xFF))
}
