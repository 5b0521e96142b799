import IPMI
import Testing

/// The FRU decoder (Platform Management FRU Information Storage Definition v1.0) on byte-exact images. The images
/// were written by hand from the specification (a separate encoder, not this decoder); the expected texts are what
/// `ipmitool fru print` printed for the same images loaded into ipmi_sim (`mc_add_fru_data`).
struct FRUInventoryTests {
    /// Chassis (rack mount, 8-bit part number, 6-bit serial), board (date 14,000,000 minutes, BCD plus serial, 6-bit
    /// part number, custom field) and product areas (8-bit fields, FRU file ID).
    static let full = hex(
        """
        01 00 01 06 0F 00 00 E9 01 05 17 C9 43 48 2D 50 41 52 54 2D 31 86 23 3A 43 10 14 01 CE 63 68 61
        73 73 69 73 20 63 75 73 74 6F 6D C1 00 00 00 4A 01 09 00 80 9F D5 D0 41 63 6D 65 20 42 6F 61 72
        64 73 20 49 6E 63 2E CE 58 31 31 2D 54 65 73 74 20 42 6F 61 72 64 44 12 34 B5 6A 89 A2 4C 02 70
        28 D3 40 06 00 C0 CC 62 6F 61 72 64 20 63 75 73 74 6F 6D C1 00 00 00 99 01 0A 00 CC 41 63 6D 65
        20 53 79 73 74 65 6D 73 CB 53 65 72 76 65 72 20 39 30 30 30 C8 50 39 30 30 30 2D 30 31 C4 76 31
        2E 32 CC 50 52 4F 44 53 45 52 49 41 4C 34 32 CA 41 53 53 45 54 2D 30 30 30 31 C6 66 69 6C 65 69
        64 C1 00 00 00 00 00 E3
        """)

    @Test func everyAreaAsIpmitoolPrintsIt() throws {
        let inventory = try FRUInventory(decoding: Self.full)
        #expect(inventory.skippedAreas.isEmpty)
        let chassis = try #require(inventory.chassis)
        #expect(chassis.type == 0x17)
        #expect(chassis.typeName == "Rack Mount Chassis")
        #expect(chassis.partNumber == "CH-PART-1")
        // 6-bit ASCII: 7 characters packed in 6 bytes decode as 8, the last a padding space, as both tools show.
        #expect(chassis.serialNumber == "CHS0001 ")
        let board = try #require(inventory.board)
        #expect(board.manufacturer == "Acme Boards Inc.")
        #expect(board.productName == "X11-Test Board")
        #expect(board.serialNumber == "1234-56 ")
        #expect(board.partNumber == "BRD PART 9  ")
        // ipmitool (TZ=UTC): "Sun Aug 14 05:20:00 2022", which is 1660454400 seconds after the epoch.
        #expect(board.manufacturingMinutes == 14_000_000)
        #expect(board.manufacturingDate == 1_660_454_400)
        #expect(
            inventory.product
                == FRUInventory.Product(
                    manufacturer: "Acme Systems", name: "Server 9000", partNumber: "P9000-01", version: "v1.2",
                    serialNumber: "PRODSERIAL42", assetTag: "ASSET-0001"))
    }

    @Test func aCorruptAreaIsSkippedAndTheOthersRemain() throws {
        // One bit flipped in the board manufacturer: the board area's checksum fails.
        var bytes = Self.full
        bytes[0x38] ^= 0x01
        let inventory = try FRUInventory(decoding: bytes)
        #expect(inventory.board == nil)
        #expect(inventory.skippedAreas == [FRUInventory.SkippedArea(area: .board, reason: "checksum invalid")])
        #expect(inventory.chassis?.partNumber == "CH-PART-1")
        #expect(inventory.product?.assetTag == "ASSET-0001")

        // The product area cut off by the end of the data.
        let truncated = try FRUInventory(decoding: Array(Self.full.prefix(0x80)))
        #expect(truncated.product == nil)
        #expect(truncated.skippedAreas.map(\.area) == [.product])
        #expect(truncated.board?.serialNumber == "1234-56 ")

        // An area of another format version.
        var version = Self.full
        version[0x08] = 0x02
        version[0x2F] &-= 1
        let other = try FRUInventory(decoding: version)
        #expect(other.chassis == nil)
        #expect(other.skippedAreas.map(\.area) == [.chassis])
    }

    @Test func aBadCommonHeaderThrows() {
        var checksum = Self.full
        checksum[7] &+= 1
        #expect(throws: FRUDecodingError("common header checksum invalid")) {
            try FRUInventory(decoding: checksum)
        }
        var version = Self.full
        version[0] = 0x02
        version[7] &-= 1
        #expect(throws: FRUDecodingError.self) { try FRUInventory(decoding: version) }
        #expect(throws: FRUDecodingError.self) { try FRUInventory(decoding: Array(Self.full.prefix(7))) }
    }

    /// Board only, date 0 (unspecified), a manufacturer padded with NULs, a binary serial number, and the end of
    /// fields before the part number.
    @Test func binaryFieldsNULPaddingAndAnEarlyEnd() throws {
        let bytes = hex(
            """
            01 00 00 01 00 00 00 FE 01 03 00 00 00 00 C8 4D 61 6B 65 72 00 00 00 04 DE AD BE EF C1 C1 00 86
            """)
        let inventory = try FRUInventory(decoding: bytes)
        #expect(inventory.chassis == nil && inventory.product == nil)
        #expect(
            inventory.board
                == FRUInventory.Board(
                    manufacturingMinutes: 0, manufacturer: "Maker", productName: "deadbeef", serialNumber: "",
                    partNumber: ""))
        #expect(inventory.board?.manufacturingDate == nil)
    }

    @Test func fieldEncodings() {
        // 6-bit ASCII (§13.1.2), packed by hand: 12 characters in 9 bytes; 11 padded to 12 with a space.
        #expect(FRUInventory.sixBitASCII(hex("29 dc a6 00 5a b2 ec 0b dc")) == "IPMI HELLO W")
        #expect(FRUInventory.text(type: 0b10, hex("68 c9 b2 2f 70 bf 32 4b 02")) == "HELLO WORLD ")
        // BCD plus (§13.1.1): digits, space, dash, period.
        #expect(FRUInventory.bcdPlus([0x12, 0x3A, 0xB4, 0xC5]) == "123 -4.5")
        // 8-bit ASCII + Latin-1: é is E9h.
        #expect(FRUInventory.text(type: 0b11, [0x63, 0x61, 0x66, 0xE9]) == "caf\u{E9}")
        #expect(FRUInventory.text(type: 0b00, [0x00, 0xFF]) == "00ff")
    }

    @Test func chassisTypeNamesAreFreeIPMIs() {
        #expect(FRUInventory.chassisTypeName(0x00) == "Unknown")
        #expect(FRUInventory.chassisTypeName(0x11) == "Main Server Chassis")
        #expect(FRUInventory.chassisTypeName(0x1A) == "Compact PCI")
        #expect(FRUInventory.chassisTypeName(0x1D) == "Blade Enclosure")
        #expect(FRUInventory.chassisTypeName(0x1E) == "Unknown")
        #expect(FRUInventory.chassisTypeName(0xFF) == "Unknown")
    }

    /// Any bytes decode or throw, never trap: every prefix of the fixture, and the fixture with each byte set to
    /// each of a few values.
    @Test func badBytesNeverTrap() {
        for length in 0...Self.full.count {
            _ = try? FRUInventory(decoding: Array(Self.full.prefix(length)))
        }
        for index in Self.full.indices {
            for value: UInt8 in [0x00, 0x01, 0x3F, 0x7F, 0xC1, 0xFF] {
                var bytes = Self.full
                bytes[index] = value
                _ = try? FRUInventory(decoding: bytes)
            }
        }
        for count: UInt8 in [0, 1, 2, 0xFF] {
            _ = FRUInventory.areaLength(start: [0x01, count])
        }
    }
}
