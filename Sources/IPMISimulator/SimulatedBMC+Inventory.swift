import IPMI

/// The LAN configuration and the FRU inventory: what a LAN or inventory collector reads, answered with the same
/// codecs the exporter decodes with.
extension SimulatedBMC {
    /// The BMC's own LAN address: on loopback, 127.0.0.1 for the first BMC of a fleet and counting up from there.
    var lanAddress: IPv4Address {
        let host = index + 1
        return IPv4Address(bytes: [
            127, UInt8(truncatingIfNeeded: host >> 16), UInt8(truncatingIfNeeded: host >> 8),
            UInt8(truncatingIfNeeded: host),
        ])
    }

    /// A locally administered unicast MAC (first byte 02h) numbered like the BMC.
    var macAddress: MACAddress {
        MACAddress(bytes: [
            0x02, 0x00, 0x00, UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
            UInt8(truncatingIfNeeded: index),
        ])
    }

    /// Get LAN Configuration Parameters (IPMI v2.0 §23.2) of LAN channel 1 (or 0Eh, this channel): set complete,
    /// a static address, mask 255.0.0.0, gateway 127.0.0.1, VLAN off. Other parameters: 80h, not supported.
    func lanConfigurationParameter(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let request = try? GetLANConfigurationParametersRequest(decoding: data) else {
            return (.requestDataLengthInvalid, [])
        }
        guard request.channel == 0x01 || request.channel == currentChannel else { return (.invalidDataField, []) }
        if request.revisionOnly { return (.normal, GetLANConfigurationParametersResponse().encode()) }
        let value: [UInt8]
        switch request.parameter {
        case .setInProgress: value = [0x00]
        case .ipAddress: value = lanAddress.bytes
        case .ipAddressSource: value = [IPAddressSource.staticAddress.rawValue]
        case .macAddress: value = macAddress.bytes
        case .subnetMask: value = [255, 0, 0, 0]
        case .defaultGatewayAddress: value = [127, 0, 0, 1]
        case .vlanID: value = VLANID(id: 0, enabled: false).parameterData
        default: return (CompletionCode(rawValue: 0x80), [])
        }
        return (.normal, GetLANConfigurationParametersResponse(parameterData: value).encode())
    }

    /// FRU device 0 (Platform Management FRU Information Storage Definition v1.0): the common header (§8) and a
    /// board info area (§11): English, no manufacturing date, manufacturer "Simulated", product "BMC <index>",
    /// serial "SIM<index>", part number "SIM-1", no FRU file ID.
    var fruInventory: [UInt8] {
        func field(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8.prefix(63))
            return [0xC0 | UInt8(bytes.count)] + bytes
        }
        var board: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00]
        board += field("Simulated") + field("BMC \(index)") + field("SIM\(index)") + field("SIM-1") + field("")
        board.append(0xC1)
        // Padded so that the area with its checksum is a multiple of 8 bytes; byte 2 is that length / 8.
        while (board.count + 1) % 8 != 0 { board.append(0x00) }
        board[1] = UInt8((board.count + 1) / 8)
        board.append(ipmiChecksum(board))
        var header: [UInt8] = [0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]
        header.append(ipmiChecksum(header))
        return header + board
    }

    /// Get FRU Inventory Area Info (IPMI v2.0 §34.1): only FRU device 0, accessed by bytes.
    func fruInventoryAreaInfo(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let request = try? GetFRUInventoryAreaInfoRequest(decoding: data) else {
            return (.requestDataLengthInvalid, [])
        }
        guard request.fruDeviceID == 0 else { return (.requestedDataNotPresent, []) }
        return (.normal, GetFRUInventoryAreaInfoResponse(areaSize: UInt16(fruInventory.count)).encode())
    }

    /// Read FRU Data (IPMI v2.0 §34.2): what is left of the count asked for; an offset past the end is C9h.
    func readFRUData(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let request = try? ReadFRUDataRequest(decoding: data) else { return (.requestDataLengthInvalid, []) }
        guard request.fruDeviceID == 0 else { return (.requestedDataNotPresent, []) }
        let inventory = fruInventory
        let offset = Int(request.offset)
        guard offset < inventory.count else { return (.parameterOutOfRange, []) }
        let end = min(inventory.count, offset + Int(request.count))
        return (.normal, ReadFRUDataResponse(data: Array(inventory[offset..<end])).encode())
    }
}
