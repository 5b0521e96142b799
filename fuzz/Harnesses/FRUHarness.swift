#if !FUZZ_STANDALONE
    import IPMI
#endif

/// Feeds bytes a BMC returns from a FRU device (Read FRU Data, IPMI v2.0 §34.2) to the FRU decoder (Platform
/// Management FRU Information Storage Definition v1.0), as the `fru` collector does, and the answers that reading
/// it and the `lan` collector decode.
public enum FRUFuzzHarness {
    public static func run(_ bytes: [UInt8]) {
        if let inventory = try? FRUInventory(decoding: bytes) {
            _ = inventory.chassis?.typeName
            _ = inventory.board?.manufacturingDate
            _ = inventory.skippedAreas.map(\.reason)
        }
        _ = try? FRUInventory.areaOffsets(header: bytes)
        _ = FRUInventory.areaLength(start: Array(bytes.prefix(2)))
        // Each byte as a type/length byte of the field that follows it (§13.1).
        if let typeLength = bytes.first {
            let field = Array(bytes.dropFirst().prefix(Int(typeLength & 0x3F)))
            _ = FRUInventory.text(type: typeLength >> 6, field)
        }
        _ = try? GetFRUInventoryAreaInfoResponse(decoding: bytes)
        _ = try? ReadFRUDataResponse(decoding: bytes)
        _ = try? GetChannelInfoResponse(decoding: bytes)
        if let parameter = try? ParameterResponse(decoding: bytes) {
            _ = try? parameter.ipv4Address().description
            _ = try? parameter.macAddress().description
            _ = try? parameter.ipAddressSource().description
            _ = try? parameter.vlanID()
        }
    }
}
