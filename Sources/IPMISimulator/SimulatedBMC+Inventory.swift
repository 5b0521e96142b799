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

    /// FRU device 0 (Platform Management FRU Information Storage Definition v1.0): the common header (§8), a
    /// chassis info area (§10: rack mount, part "SIM-CH-1", serial "SIMCH<index>"), a board info area (§11:
    /// English, made 2024-01-01 00:00 UTC, manufacturer "Simulated", product "BMC <index>", serial "SIM<index>", part
    /// number "SIM-1", no FRU file ID) and a product info area (§12: "Simulated", "Simulated Server", part
    /// "SIM-SRV-1", version "1.0", serial "SIMSRV<index>", asset tag "ASSET-<index>").
    var fruInventory: [UInt8] {
        func field(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8.prefix(63))
            return [0xC0 | UInt8(bytes.count)] + bytes
        }
        /// Ends the fields, pads the area to a multiple of 8 bytes with its checksum and sets byte 1 to that
        /// length / 8.
        func area(_ body: [UInt8]) -> [UInt8] {
            var area = body + [0xC1]
            while (area.count + 1) % 8 != 0 { area.append(0x00) }
            area[1] = UInt8((area.count + 1) / 8)
            return area + [ipmiChecksum(area)]
        }
        // 2024-01-01 00:00 UTC is 14,726,880 minutes after 1996-01-01 00:00 UTC, little-endian.
        let made: UInt32 = 14_726_880
        let chassis = area([0x01, 0x00, 0x17] + field("SIM-CH-1") + field("SIMCH\(index)"))
        let board = area(
            [0x01, 0x00, 0x00, UInt8(made & 0xFF), UInt8(made >> 8 & 0xFF), UInt8(made >> 16)] + field("Simulated")
                + field("BMC \(index)") + field("SIM\(index)") + field("SIM-1") + field(""))
        let product = area(
            [0x01, 0x00, 0x00] + field("Simulated") + field("Simulated Server") + field("SIM-SRV-1") + field("1.0")
                + field("SIMSRV\(index)") + field("ASSET-\(index)") + field(""))
        var header: [UInt8] = [
            0x01, 0x00, 0x01, UInt8(1 + chassis.count / 8), UInt8(1 + (chassis.count + board.count) / 8), 0x00, 0x00,
        ]
        header.append(ipmiChecksum(header))
        return header + chassis + board + product
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
