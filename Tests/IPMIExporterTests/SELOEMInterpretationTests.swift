import IPMISensors
import Testing

@testable import ExporterCollectors

/// FreeIPMI's `--interpret-oem-data` texts and states, byte for byte, for the manufacturers and products it
/// interprets (libfreeipmi sel/ipmi-sel-string-supermicro-*.c, -linux-kernel.c, interpret-config-sel.c).
@Suite struct SELOEMInterpretationTests {
    /// A system event record (IPMI v2.0 §32.1) from generator `generator`: sensor type, sensor number, event
    /// direction and type, event data 1-3.
    static func event(_ tail: [UInt8], from generator: UInt8 = 0x20) -> SELEntry {
        SELEntry(record: [0x01, 0x00, 0x02, 0, 0, 0, 0, generator, 0x00, 0x04] + tail)!
    }

    static func device(_ manufacturer: UInt32, _ product: UInt16) -> SELDeviceIdentity {
        SELDeviceIdentity(manufacturerID: manufacturer, productID: product)
    }

    static let x9scl = device(10876, 1572)
    static let x10slm = device(10876, 2051)

    @Test func supermicroOverheatIsNamedOnTheBoardsThatLogIt() {
        let overheat = Self.event([0xC0, 0x10, 0x70, 0x02, 0xFF, 0xFF])
        #expect(overheat.text(sensor: nil, device: Self.x9scl) == "Overheat")
        #expect(overheat.state(device: Self.x9scl) == .critical)
        // Peppercon and Magnum Technologies (rebranded Supermicro), and the non-IANA workaround ID.
        for device in [Self.device(10437, 4), Self.device(5593, 6), Self.device(47488, 43707)] {
            #expect(overheat.text(sensor: nil, device: device) == "Overheat")
            #expect(overheat.state(device: device) == .critical)
        }
        // Deasserted: still Overheat and Critical (the interpretation matches either direction).
        let deasserted = Self.event([0xC0, 0x10, 0xF0, 0x02, 0xFF, 0xFF])
        #expect(deasserted.text(sensor: nil, device: Self.x9scl) == "Overheat")
        #expect(deasserted.state(device: Self.x9scl) == .critical)
        // OEM codes in event data 2 and 3: named, then the codes; the state needs event data 1 to be exactly 02h.
        let withCodes = Self.event([0xC0, 0x10, 0x70, 0xA2, 0x11, 0x22])
        #expect(
            withCodes.text(sensor: nil, device: Self.x9scl)
                == "Overheat ; OEM Event Data2 code = 11h ; OEM Event Data3 code = 22h")
        #expect(withCodes.state(device: Self.x9scl) == .unknown)
        // Another offset of the sensor: the generic text.
        let other = Self.event([0xC0, 0x10, 0x70, 0x01, 0xFF, 0xFF])
        #expect(other.text(sensor: nil, device: Self.x9scl) == "OEM Event Offset = 01h")
        #expect(other.state(device: Self.x9scl) == .unknown)
    }

    @Test func overheatTextAndStateHaveTheirOwnProductLists() {
        let overheat = Self.event([0xC0, 0x10, 0x70, 0x02, 0xFF, 0xFF])
        // X8DTH (43707) under Supermicro's IANA number: named, but FreeIPMI registers its state only under 47488.
        #expect(overheat.text(sensor: nil, device: Self.device(10876, 43707)) == "Overheat")
        #expect(overheat.state(device: Self.device(10876, 43707)) == .unknown)
        // X10 boards, other products and other manufacturers: not named. (A Dell PowerEdge, product 256, names
        // event type 70h's offsets its own way: ``dellPowerEdgeEntries``.)
        for device in [Self.x10slm, Self.device(10876, 9999), Self.device(674, 257), Self.device(10437, 6)] {
            #expect(overheat.text(sensor: nil, device: device) == "OEM Event Offset = 02h")
            #expect(overheat.state(device: device) == .unknown)
        }
        #expect(overheat.text(sensor: nil, device: nil) == "OEM Event Offset = 02h")
    }

    @Test func supermicroX10MemoryEventsNameTheirDIMM() {
        // Event data 2 2Ah: pair 2, DIMM 0Ah; event data 3 01h: CPU 1 (from 0), three pairs on per CPU.
        let correctable = Self.event([0x0C, 0x08, 0x6F, 0xA0, 0x2A, 0x01])
        #expect(correctable.text(sensor: nil, device: Self.x10slm) == "Correctable memory error ; DIMME1(CPU2)")
        #expect(correctable.state(device: Self.x10slm) == .warning)
        // A pair of 8 or more: FreeIPMI's signed char makes 9h count back from "@" (9 - 16 = -7, + 9 for CPU 3).
        let uncorrectable = Self.event([0x0C, 0x08, 0x6F, 0xA1, 0x9B, 0x03])
        #expect(
            uncorrectable.text(sensor: nil, device: Self.device(10876, 2201))
                == "Uncorrectable memory error ; DIMMB2(CPU4)")
        #expect(
            uncorrectable.text(sensor: nil, device: Self.device(47488, 2115))
                == "Uncorrectable memory error ; DIMMB2(CPU4)")
        // Not OEM codes in both bytes, another offset, another board: the generic event data texts.
        #expect(
            Self.event([0x0C, 0x08, 0x6F, 0xA2, 0x2A, 0x01]).text(sensor: nil, device: Self.x10slm).hasSuffix(
                "OEM Event Data2 code = 2Ah ; OEM Event Data3 code = 01h"))
        #expect(
            Self.event([0x0C, 0x08, 0x6F, 0x80, 0x2A, 0xFF]).text(sensor: nil, device: Self.x10slm)
                == "Correctable memory error ; OEM Event Data2 code = 2Ah")
        #expect(
            correctable.text(sensor: nil, device: Self.x9scl)
                == "Correctable memory error ; OEM Event Data2 code = 2Ah ; OEM Event Data3 code = 01h")
    }

    @Test func linuxKernelPanicsWhateverTheBMC() {
        // OS critical stop (20h) from the kernel (generator 21h) with OEM codes: sensor number and event data 2-3
        // are the panic string's first characters ("ABC"); a NUL ends it, and an empty one adds nothing.
        let panic = Self.event([0x20, 0x41, 0x6F, 0xA0, 0x42, 0x43], from: 0x21)
        for device in [nil, Self.x9scl, Self.device(674, 256)] {
            #expect(panic.text(sensor: nil, device: device) == "Critical stop during OS load ; ABC")
        }
        #expect(
            Self.event([0x20, 0x41, 0x6F, 0xA0, 0x00, 0x43], from: 0x21).text(sensor: nil, device: nil)
                == "Critical stop during OS load ; A")
        #expect(
            Self.event([0x20, 0x00, 0x6F, 0xA0, 0x42, 0x43], from: 0x21).text(sensor: nil, device: nil)
                == "Critical stop during OS load")
        // From another generator: the generic codes.
        #expect(
            Self.event([0x20, 0x41, 0x6F, 0xA0, 0x42, 0x43], from: 0x20).text(sensor: nil, device: nil)
                == "Critical stop during OS load ; OEM Event Data2 code = 42h ; OEM Event Data3 code = 43h")
        // Record type F0h: bytes 6-16 are the panic string; empty, ipmi-sel prints N/A.
        let record = SELEntry(record: [0x02, 0x00, 0xF0, 0x20, 0x01] + Array("oops".utf8) + [0, 0, 0, 0, 0, 0, 0])!
        #expect(record.text(sensor: nil, device: nil) == "oops")
        #expect(record.state(device: Self.x9scl) == .unknown)
        let empty = SELEntry(record: [0x02, 0x00, 0xF0, 0x20, 0x01] + Array(repeating: 0, count: 11))!
        #expect(empty.text(sensor: nil, device: nil) == "N/A")
        // Other non-timestamped OEM types keep their bytes.
        let other = SELEntry(record: [0x02, 0x00, 0xE0] + Array(1...13))!
        #expect(
            other.text(sensor: nil, device: nil) == "OEM defined = 01h 02h 03h 04h 05h 06h 07h 08h 09h 0Ah 0Bh 0Ch 0Dh")
    }

    /// Wistron C6220 entries (generator, sensor type, number, event direction and type, event data 1-3) and
    /// their text: processor, PCI and IOH core errors with OEM codes (event data 1 8xh/Axh), boot events (with a
    /// comma inside, as ipmi-sel prints it), entries whose two bytes are read together whatever event data 1 says,
    /// and the same processor entry from the BMC instead of the BIOS.
    static let wistronTexts: [(UInt8, [UInt8], String)] = [
        (0x01, [0x07, 0x04, 0x6F, 0x80, 0x01, 0xFF], "IERR ; Processor 2"),
        (0x01, [0x07, 0x04, 0x6F, 0x8A, 0x03, 0xFF], "Processor Automatically Throttled ; Unspecified Processor"),
        (0x01, [0x13, 0x73, 0x6F, 0xA4, 0x2B, 0x05], "PCI PERR ; Device 5, Function 3 ; Bus 5"),
        (0x01, [0xC0, 0x71, 0x6F, 0xA7, 0x11, 0x02], "core ; Local Error Bit = 11h ; QPI[2] Error"),
        (0x01, [0xC0, 0x72, 0x6F, 0xAA, 0x00, 0x05], "fatal ; Local Error Bit = 00h ; QPI[1] Protocol Error"),
        (
            0x01, [0xC0, 0x72, 0x6F, 0xA9, 0x01, 0x23],
            "reserved ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 23h"
        ),
        (0x01, [0xC0, 0x72, 0x6F, 0x0C, 0x01, 0x23], "Event Offset = 0Ch"),
        (0x01, [0x13, 0x77, 0x6F, 0x87, 0x05, 0xFF], "Bus Correctable Error ; HT Retry Counter Error"),
        (
            0x01, [0x12, 0x85, 0x6F, 0x81, 0x83, 0xFF],
            "OEM System Boot Event ; Boot Type = uEFI Boot, Boot Device = Hard Disk Boot"
        ),
        (0x01, [0x12, 0x8A, 0x6F, 0x81, 0x01, 0xFF], "OEM System Boot Event ; ME Fail"),
        (0x01, [0x12, 0x8A, 0x6F, 0x81, 0x02, 0xFF], "OEM System Boot Event ; OEM Event Data2 code = 02h"),
        (
            0x01, [0x0C, 0x60, 0x6F, 0x00, 0x12, 0x04],
            "Correctable memory error ; Threshold = SBE critical threshold, CPU3 DIMM C3 error event"
        ),
        (
            0x01, [0x0C, 0x60, 0x6F, 0xA1, 0x57, 0x03],
            "Uncorrectable memory error ; Threshold = Unknown, Unknown CPU DIMM (null)"
        ),
        (0x01, [0x12, 0x81, 0x6F, 0x01, 0x27, 0xC5], "OEM System Boot Event ; BIOS Version = 2.31.5"),
        (0x01, [0x0F, 0x86, 0x6F, 0x00, 0x13, 0x80], "System Firmware Error ; SATA 1 Device not Found"),
        (0x01, [0x0F, 0x86, 0x6F, 0x00, 0x99, 0x00], "System Firmware Error ; Undefined Post Error"),
        (0x20, [0x07, 0x04, 0x6F, 0x80, 0x01, 0xFF], "IERR ; OEM Event Data2 code = 01h"),
    ]

    @Test func wistronC6220BIOSEntries() {
        for (generator, tail, expected) in Self.wistronTexts {
            #expect(Self.event(tail, from: generator).text(sensor: nil, device: Self.device(11161, 131)) == expected)
        }
        // On another board: generic.
        #expect(
            Self.event([0x07, 0x04, 0x6F, 0x80, 0x01, 0xFF], from: 0x01).text(sensor: nil, device: Self.x9scl)
                == "IERR ; OEM Event Data2 code = 01h")
    }

    /// Gigabyte entries and their text: PCI PERR/SERR with the bus and device/function, another PCI offset, memory
    /// errors with the channel and DIMM or that it is unknown.
    static let gigabyteTexts: [([UInt8], String)] = [
        ([0x13, 0x30, 0x6F, 0xA4, 0x03, 0x2B], "PCI PERR ; Bus 3 ; Device 5, Function 3"),
        ([0x13, 0x30, 0x6F, 0x85, 0x03, 0x2B], "PCI SERR ; Bus 3"),
        (
            [0x13, 0x30, 0x6F, 0xA7, 0x03, 0x2B],
            "Bus Correctable Error ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 2Bh"
        ),
        (
            [0x0C, 0x08, 0x6F, 0xA0, 0x03, 0x21],
            "Correctable memory error ; OEM Event Data2 code = 03h ; Channel C, DIMM 1"
        ),
        (
            [0x0C, 0x08, 0x6F, 0x21, 0x03, 0xFF],
            "Uncorrectable memory error ; Cannot determine which DIMM error occurred on"
        ),
        (
            [0x0C, 0x08, 0x6F, 0xA5, 0xFF, 0x95],
            "Correctable memory error logging limit reached ; Channel Unknown, DIMM Unknown"
        ),
    ]

    @Test func gigabytePCIAndMemoryErrors() {
        for device in [Self.device(15370, 266), Self.device(15370, 280)] {
            for (tail, expected) in Self.gigabyteTexts {
                #expect(Self.event(tail).text(sensor: nil, device: device) == expected)
            }
        }
        // Another Gigabyte product: generic.
        #expect(
            Self.event([0x13, 0x30, 0x6F, 0x85, 0x03, 0x2B], from: 0x20).text(
                sensor: nil, device: Self.device(15370, 1))
                == "PCI SERR ; OEM Event Data2 code = 03h")
    }

    /// Dell PowerEdge entries (sensor type, number, event direction and type, event data 1-3) and their text as
    /// ipmi-sel 1.6 prints it on product 256: processor CPU/APIC ID/front side bus, intrusion, power supply faults,
    /// memory mode, POST fatal errors, PCI device/bus/slot one byte at a time and together, Dell's OEM sensor types
    /// and event/reading types.
    static let dellTexts: [([UInt8], String)] = [
        ([0x07, 0x0D, 0x6F, 0x80, 0x04, 0xFF], "IERR ; CPU 3"),
        ([0x07, 0x0D, 0x6F, 0xA0, 0x00, 0x11], "IERR ; OEM Event Data2 code = 00h ; APIC ID 17"),
        ([0x07, 0x0D, 0x6F, 0x80, 0xFF, 0xFF], "IERR ; CPU 1"),
        ([0x07, 0x0D, 0x07, 0xA6, 0x02, 0x03], "transition to Non-recoverable ; CPU 2 ; APIC ID 3"),
        ([0x07, 0x0A, 0x07, 0x86, 0x08, 0xFF], "transition to Non-recoverable ; Front Side Bus 4"),
        ([0x07, 0x0B, 0x07, 0x86, 0x08, 0xFF], "transition to Non-recoverable ; OEM Event Data2 code = 08h"),
        ([0x05, 0x73, 0x6F, 0x80, 0x01, 0xFF], "General Chassis Intrusion ; Intrusion while system On"),
        ([0x05, 0x73, 0x6F, 0x80, 0x02, 0xFF], "General Chassis Intrusion ; Intrusion while system Off"),
        ([0x05, 0x73, 0x6F, 0x80, 0x03, 0xFF], "General Chassis Intrusion ; OEM Event Data2 code = 03h"),
        ([0x08, 0x62, 0x6F, 0x81, 0x03, 0xFF], "Power Supply Failure detected ; Over Temperature Fault"),
        ([0x08, 0x62, 0x6F, 0x81, 0x07, 0xFF], "Power Supply Failure detected ; Fan Fault"),
        ([0x08, 0x62, 0x6F, 0x81, 0x08, 0xFF], "Power Supply Failure detected ; OEM Event Data2 code = 08h"),
        ([0x08, 0x62, 0x6F, 0x01, 0xFF, 0xFF], "Power Supply Failure detected"),
        ([0x0C, 0x05, 0x0B, 0x80, 0x02, 0xFF], "Fully Redundant ; Memory is in RAID mode"),
        ([0x0C, 0x05, 0x0B, 0x80, 0x00, 0xFF], "Fully Redundant ; Memory is in Mirror mode"),
        ([0x0F, 0x0B, 0x6F, 0x8F, 0x81, 0xFF], "POST Fatal Error ; Memory detected but is not configurable"),
        ([0x0F, 0x0B, 0x6F, 0x8F, 0x42, 0xFF], "POST Fatal Error ; BIOS Fatal Error code: 42h"),
        ([0x0F, 0x0B, 0x6F, 0x0F, 0xFF, 0xFF], "POST Fatal Error"),
        ([0x13, 0x19, 0x6F, 0xA4, 0x2B, 0x05], "PCI PERR ; Device 5, Function 3 ; Bus 5"),
        ([0x13, 0x04, 0x6F, 0xA4, 0x2B, 0x05], "PCI PERR ; Bus 5, Device 5, Function 3"),
        ([0x13, 0x04, 0x6F, 0xA5, 0x2B, 0x83], "PCI SERR ; Slot 3"),
        ([0x13, 0x04, 0x6F, 0xAA, 0xFF, 0xFF], "Bus Fatal Error"),
        ([0xC2, 0x30, 0x6F, 0xA0, 0x10, 0x02], "PCIe error ; Bus 2, Device 2, Function 0"),
        ([0xC3, 0x30, 0x6F, 0xA1, 0x10, 0x81], "Fatal IO error ; Slot 1"),
        (
            [0xC2, 0x29, 0x6F, 0x82, 0xE4, 0xFF],
            "QPI Link Degrade ; Reporting Agent ID 0, Reporting Agent Link ID 1, Partner Agent ID 2, Partner Link ID 3"
        ),
        ([0xC0, 0x30, 0x6F, 0x02, 0xFF, 0xFF], "Degraded, thermal protection"),
        ([0xC0, 0x30, 0x6F, 0x08, 0xFF, 0xFF], "Event Offset = 08h"),
        ([0xC1, 0x30, 0x6F, 0xA1, 0x2B, 0x05], "Failed to program virtual MAC address ; Device 5, Function 3 ; Bus 5"),
        ([0xC4, 0x30, 0x6F, 0x01, 0xFF, 0xFF], "Failed"),
        ([0xC2, 0x30, 0x6F, 0x01, 0xFF, 0xFF], "undocumented"),
        ([0x2A, 0x30, 0x70, 0x05, 0xFF, 0xFF], "Failed"),
        ([0x2A, 0x30, 0x70, 0x09, 0xFF, 0xFF], "OEM Event Offset = 09h"),
        (
            [0x2A, 0x30, 0x70, 0xA3, 0x01, 0x02],
            "Fully ready ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 02h"
        ),
        (
            [0xC1, 0x30, 0x7E, 0x01, 0x2C, 0x3D],
            "OEM Diagnostic Data Event ; Register Offset = 12Ch ; Register Value = 3Dh"
        ),
        ([0xC0, 0x30, 0x7E, 0x01, 0x2C, 0x3D], "OEM Event Offset = 01h"),
        ([0x2A, 0x30, 0x8A, 0x03, 0xFF, 0xFF], "transition to On Line"),
        ([0x0C, 0x08, 0x6F, 0xA0, 0x81, 0x04], "Correctable memory error ; DIMM C3"),
        ([0x0C, 0x08, 0x6F, 0xA1, 0xD2, 0x80], "Uncorrectable memory error ; DIMM A24"),
        ([0x0C, 0x08, 0x6F, 0xA6, 0x9F, 0x06], "Presence detected ; DIMM U2"),
        ([0x0C, 0x08, 0x6F, 0xA7, 0x31, 0x01], "Configuration error ; Memory Card 3, DIMM 9"),
        ([0x0C, 0x08, 0x6F, 0xAA, 0xF0, 0x10], "Critical Overtemperature ; DIMM DIMM 5"),
        (
            [0x0C, 0x08, 0x6F, 0xA0, 0xE0, 0x00],
            "Correctable memory error ; OEM Event Data2 code = E0h ; OEM Event Data3 code = 00h"
        ),
        ([0x0C, 0x08, 0x6F, 0xA0, 0x81, 0xFF], "Correctable memory error ; DIMM C1"),
        (
            [0x0C, 0x08, 0x6F, 0xA5, 0x81, 0x04],
            "Correctable memory error logging limit reached ; OEM Event Data2 code = 81h ; OEM Event Data3 code = 04h"
        ),
        ([0x10, 0x08, 0x6F, 0xA0, 0x80, 0x02], "Correctable Memory Error Logging Disabled ; DIMM A2"),
        ([0x0C, 0x05, 0x0B, 0xA1, 0x0A, 0x08], "Redundancy Lost ; Memory Card 0, DIMM 84"),
        (
            [0x0C, 0x05, 0x0B, 0xA0, 0x02, 0x00],
            "Fully Redundant ; Memory is in RAID mode ; OEM Event Data3 code = 00h"
        ),
        ([0x0C, 0x05, 0x07, 0xA2, 0xBF, 0x01], "transition to Critical from less severe ; DIMM N4"),
        (
            [0x0C, 0x05, 0x07, 0xA3, 0xBF, 0x01],
            "transition to Non-recoverable from less severe ; OEM Event Data2 code = BFh ; OEM Event Data3 code = 01h"
        ),
        (
            [0x0C, 0x05, 0x8A, 0xA3, 0x80, 0x01],
            "transition to On Line ; OEM Event Data2 code = 80h ; OEM Event Data3 code = 01h"
        ),
        ([0x0C, 0x08, 0x6F, 0x00, 0xE1, 0x04], "Correctable memory error ; DIMM D2"),
        ([0x0C, 0x08, 0x6F, 0x01, 0xE0, 0x00], "Uncorrectable memory error"),
        ([0x0C, 0x08, 0x6F, 0x06, 0xE0, 0x01], "Presence detected ; DIMM A1"),
        ([0x0C, 0x08, 0x6F, 0x80, 0xE1, 0x04], "Correctable memory error ; OEM Event Data2 code = E1h"),
        ([0x0C, 0x08, 0x6F, 0x00, 0xD1, 0x04], "Correctable memory error"),
        ([0x0C, 0x05, 0x0B, 0x01, 0xE2, 0x80], "Redundancy Lost ; DIMM H3"),
        (
            [0x08, 0x62, 0x6F, 0xA6, 0x2E, 0x53],
            "Configuration error ; Power Supply rating mismatch ; Power Supply 741 Watts"
        ),
        (
            [0x08, 0x62, 0x6F, 0xA6, 0x2E, 0x51],
            "Configuration error ; OEM Event Data2 code = 2Eh ; OEM Event Data3 code = 51h"
        ),
        (
            [0x2B, 0x40, 0x6F, 0xA2, 0x02, 0x01],
            "Hardware incompatibility detected with associated Entity ; Hardware Type = CPU"
        ),
        (
            [0x2B, 0x40, 0x6F, 0xA2, 0x02, 0x07],
            "Hardware incompatibility detected with associated Entity ; Hardware Type = 07h"
        ),
        (
            [0x2B, 0x40, 0x6F, 0xA2, 0x03, 0x01],
            "Hardware incompatibility detected with associated Entity ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 01h"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0x40, 0x85],
            "Device option ROM failed to support link tuning or flex address ; Mezzanine B3"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0x00, 0x86],
            "Device option ROM failed to support link tuning or flex address ; Mezzanine C"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0x40, 0x05],
            "Device option ROM failed to support link tuning or flex address ; Device Embedded"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0xC0, 0x85],
            "Device option ROM failed to support link tuning or flex address ; OEM Event Data2 code = C0h ; OEM Event Data3 code = 85h"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0x80, 0x80],
            "Device option ROM failed to support link tuning or flex address ; Mezzanine C1"
        ),
        (
            [0xC1, 0x30, 0x6F, 0xA2, 0x40, 0xFF],
            "Device option ROM failed to support link tuning or flex address ; Mezzanine Bp"
        ),
        (
            [0x2B, 0x40, 0xEF, 0x26, 0xFF, 0x83],
            "Hardware Change detected with associated Entity was successful ; Device Slot 3"
        ),
        (
            [0x2B, 0x40, 0xEF, 0x26, 0xFF, 0x03],
            "Hardware Change detected with associated Entity was successful ; Device Embedded"
        ),
        (
            [0x2B, 0x40, 0x6F, 0x26, 0xFF, 0x83],
            "Hardware Change detected with associated Entity was successful ; OEM Event Data3 code = 83h"
        ),
        (
            [0x20, 0x2A, 0x6F, 0xA0, 0x01, 0x00],
            "Critical stop during OS load ; TXT Error Code = VT Configuration Invalid"
                + " ; TXT Error Type = BIOS TXT Error"
        ),
        (
            [0x20, 0x2A, 0x6F, 0xA0, 0xC2, 0x04],
            "Critical stop during OS load ; TXT Error Code = CPU not supported by this ACM"
                + " ; TXT Error Type = SINI ACM TXT Error"
        ),
        (
            [0x20, 0x2A, 0x6F, 0xA0, 0x07, 0x01],
            "Critical stop during OS load ; TXT Error Code = Unknown ; TXT Error Type = Unknown"
        ),
        (
            [0x20, 0x2A, 0x6F, 0xA0, 0x84, 0xFF],
            "Critical stop during OS load ; TXT Error Code = OS Data PMR Low error"
                + " ; TXT Error Type = Unrecognized TXT Error"
        ),
        (
            [0x20, 0x2A, 0x6F, 0x80, 0x5A, 0xFF],
            "Critical stop during OS load ; TXT Error Code = Bad resource number specified when acquiring shared"
        ),
        (
            [0x20, 0x2B, 0x6F, 0xA0, 0x01, 0x00],
            "Critical stop during OS load ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 00h"
        ),
        (
            [0xC2, 0x29, 0x6F, 0xA2, 0xE4, 0x01],
            "QPI Link Degrade"
                + " ; Reporting Agent ID 0, Reporting Agent Link ID 1, Partner Agent ID 2, Partner Link ID 3 ; Reporting Agent Type = IOH, Partner Agent Type = CPU, Error Type = Link Width Degraded"
        ),
        (
            [0xC2, 0x29, 0x6F, 0xA2, 0xE4, 0x06],
            "QPI Link Degrade"
                + " ; Reporting Agent ID 0, Reporting Agent Link ID 1, Partner Agent ID 2, Partner Link ID 3 ; Reporting Agent Type = CPU, Partner Agent Type = IOH, Error Type = Unknown"
        ),
    ]

    @Test func dellPowerEdgeEntries() {
        for (tail, expected) in Self.dellTexts {
            #expect(Self.event(tail).text(sensor: nil, device: Self.device(674, 256)) == expected, "\(tail)")
        }
        // Dell's status type (70h), offset 02h, on which a Supermicro board logs its Overheat.
        #expect(
            Self.event([0xC0, 0x10, 0x70, 0x02, 0xFF, 0xFF]).text(sensor: nil, device: Self.device(674, 256))
                == "IPMI Function ready")
        // Another Dell product (a later iDRAC): generic.
        let ierr = Self.event([0x07, 0x0D, 0x6F, 0x80, 0x04, 0xFF])
        #expect(ierr.text(sensor: nil, device: Self.device(674, 257)) == "IERR ; OEM Event Data2 code = 04h")
        #expect(
            Self.event([0xC0, 0x30, 0x6F, 0x02, 0xFF, 0xFF]).text(sensor: nil, device: Self.device(674, 257))
                == "Event Offset = 02h")
    }

    static let allAvailable =
        "CPU0/MC0 = Available, CPU0/MC1 = Available, CPU1/MC0 = Available, CPU1/MC1 = Available, "
        + "CPU2/MC0 = Available, CPU2/MC1 = Available, CPU3/MC0 = Available, CPU3/MC1 = Available"
    static let noneAvailable =
        "CPU0/MC0 = Not Available, CPU0/MC1 = Not Available, CPU1/MC0 = Not Available, CPU1/MC1 = Not Available, "
        + "CPU2/MC0 = Not Available, CPU2/MC1 = Not Available, CPU3/MC0 = Not Available, CPU3/MC1 = Not Available"

    @Test func intelNodeManagerNamesItsDIMMThermalSensorsOnTheBoardsThatUseIt() {
        // Sensor type 28h, number 6Eh, event type 76h: every controller from bit 0 of event data 1 alone.
        let clear = Self.event([0x28, 0x6E, 0x76, 0x00, 0xFF, 0xFF], from: 0x2C)
        let bit0 = Self.event([0x28, 0x6E, 0x76, 0x01, 0xFF, 0xFF], from: 0x2C)
        let others = Self.event([0x28, 0x6E, 0x76, 0x0E, 0xFF, 0xFF], from: 0x2C)
        let boards = [
            Self.device(343, 77), Self.device(343, 78), Self.device(343, 111), Self.device(343, 73),
            Self.device(343, 112), Self.device(343, 62), Self.device(343, 64), Self.device(20569, 51),
            Self.device(20569, 52), Self.device(7244, 21401),
        ]
        for device in boards {
            #expect(clear.text(sensor: nil, device: device) == Self.allAvailable)
            #expect(bit0.text(sensor: nil, device: device) == Self.noneAvailable)
            #expect(others.text(sensor: nil, device: device) == Self.allAvailable)
            #expect(clear.state(device: device) == .unknown)
        }
        // Deasserted, with OEM codes: named, then the codes.
        #expect(
            Self.event([0x28, 0x6E, 0xF6, 0xA1, 0x12, 0x34], from: 0x2C).text(sensor: nil, device: Self.device(343, 77))
                == Self.noneAvailable + " ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 34h")
        // Another sensor number or event type; the Windmill, other products and manufacturers: generic.
        #expect(
            Self.event([0x28, 0x6F, 0x76, 0x00, 0xFF, 0xFF]).text(sensor: nil, device: Self.device(343, 77))
                == "OEM Event Offset = 00h")
        #expect(
            Self.event([0x28, 0x6E, 0x77, 0x00, 0xFF, 0xFF]).text(sensor: nil, device: Self.device(343, 77))
                == "OEM Event Offset = 00h")
        for device in [Self.device(343, 2818), Self.device(343, 9999), Self.device(7244, 1), Self.x9scl] {
            #expect(clear.text(sensor: nil, device: device) == "OEM Event Offset = 00h")
        }
    }

    @Test func intelNodeManagerEventStates() {
        // (event type, event data 1, state) of the Node Manager's sensor type DCh: exception / alert threshold
        // (policy bit, thresholds 0-2, else N/A), health (offset 02h), capabilities (any), firmware health (00h).
        let cases: [(UInt8, UInt8, SensorState)] = [
            (0x72, 0xA8, .warning), (0x72, 0xA0, .warning), (0x72, 0xA1, .warning), (0x72, 0xA2, .warning),
            (0x72, 0xA3, .unknown), (0x72, 0x08, .unknown), (0x73, 0xA2, .warning), (0x73, 0xA0, .unknown),
            (0x74, 0x07, .warning), (0x74, 0xA0, .warning), (0x75, 0xA0, .warning), (0x75, 0xA1, .unknown),
        ]
        let boards = [
            Self.device(343, 62), Self.device(343, 64), Self.device(20569, 51), Self.device(20569, 52),
            Self.device(7244, 21401),
        ]
        for (type, data1, state) in cases {
            for direction: UInt8 in [0x00, 0x80] {
                let entry = Self.event([0xDC, 0x10, type | direction, data1, 0x01, 0x02], from: 0x2C)
                for device in boards { #expect(entry.state(device: device) == state, "\(type) \(data1)") }
                // S2600 boards name the thermal sensor but FreeIPMI gives them no Node Manager states.
                #expect(entry.state(device: Self.device(343, 77)) == .unknown)
            }
        }
    }

    @Test func intelSMITimeoutAndNMIStateSensors() {
        // Generic "state" events (03h) of OEM sensor types F3h (SMI timeout) and C0h (NMI state).
        let asserted = Self.event([0xF3, 0x20, 0x03, 0x01, 0xFF, 0xFF])
        let deasserted = Self.event([0xF3, 0x20, 0x83, 0x00, 0xFF, 0xFF])
        let other = Self.event([0xF3, 0x20, 0x03, 0x02, 0xFF, 0xFF])
        for device in [Self.device(343, 62), Self.device(343, 64), Self.device(343, 40)] {
            #expect(asserted.state(device: device) == .critical)
            #expect(deasserted.state(device: device) == .nominal)
            #expect(other.state(device: device) == .unknown)
        }
        #expect(asserted.state(device: Self.device(343, 77)) == .unknown)
        let nmi = Self.event([0xC0, 0x21, 0x03, 0x01, 0xFF, 0xFF])
        #expect(nmi.state(device: Self.device(343, 40)) == .critical)
        #expect(Self.event([0xC0, 0x21, 0x03, 0x00, 0xFF, 0xFF]).state(device: Self.device(343, 40)) == .nominal)
        #expect(nmi.state(device: Self.device(343, 62)) == .unknown)
    }

    static let pciV3 = " ; PCI Bus Number 255 ; PCI_Device number 31, PCI Function number 7"
    static let allRegisters =
        "Uncore MSR register, Core MSR registers, IIO register, PCI config space, MCA error source register"

    /// The S2600JF/WP's BIOS entries (generator, sensor type, number, event direction and type, event data 1-3) and
    /// their text: their own names, three events named by their offset, the CPU and PCI location read from event
    /// data 2 and 3 whatever event data 1 says, and no names for the E5-2600 v3 boards' other events.
    static let intelS2600JFTexts: [(UInt8, [UInt8], String)] = [
        (0x01, [0x13, 0x09, 0x77, 0x02, 0xFF, 0xFF], "Reduced to 1/4 width ; CPU = Unknown"),
        (
            0x33, [0x13, 0x07, 0x73, 0x06, 0x03, 0xFF],
            "CSI Link Layer generic control error (buffer overflow/underflow, credit underflow and so on.) ; CPU = 4"
        ),
        (
            0x33, [0x13, 0x07, 0x73, 0x0A, 0xFF, 0xFF],
            "Protocol layer illegal packet field, target Node ID and so on. ; CPU = Unknown"
        ),
        (0x33, [0x13, 0x04, 0x70, 0x08, 0xFF, 0xFF], "ACS Violation Error ; Bus 255 ; Device 31, Function 7"),
        (0x33, [0x13, 0x05, 0x71, 0xA2, 0x1A, 0x2B], "Bad TLP ; Bus 26 ; Device 5, Function 3"),
        (0x33, [0x13, 0x06, 0x72, 0x0B, 0xFF, 0xFF], "QPI Correctable Errors Event = 0Bh"),
        (0x33, [0x13, 0x08, 0x75, 0x03, 0xFF, 0xFF], "Chipset Proprietary Event = 03h"),
        (0x33, [0x0C, 0x10, 0xFF, 0x0C, 0xFF, 0xFF], "Memory Error Extension Event = 0Ch"),
        (0x33, [0x0F, 0x15, 0x70, 0x01, 0xFF, 0xFF], "OEM Event Offset = 01h"),
        (0x20, [0x2B, 0x12, 0x70, 0x02, 0xFF, 0xFF], "OEM Event Offset = 02h"),
    ]

    @Test func intelS2600JFAndWPNameTheirBIOSEvents() {
        for device in [Self.device(343, 77), Self.device(343, 78)] {
            for (generator, tail, expected) in Self.intelS2600JFTexts {
                #expect(Self.event(tail, from: generator).text(sensor: nil, device: device) == expected)
            }
        }
        // The E5-2600 v3 boards' names of the same offsets, and no name for an S2600JF/WP-only event.
        let v3 = Self.device(343, 111)
        #expect(
            Self.event([0x13, 0x07, 0x73, 0x06, 0xFF, 0xFF], from: 0x33).text(sensor: nil, device: v3)
                == "Link Layer generic control error (buffer overflow/underflow, credit underflow, and so on.) ; "
                + "CPU = Unknown")
        #expect(
            Self.event([0x13, 0x04, 0x70, 0x08, 0xFF, 0xFF], from: 0x33).text(sensor: nil, device: v3)
                == "ACS Violation" + Self.pciV3)
        #expect(
            Self.event([0x13, 0x08, 0x75, 0x03, 0xFF, 0xFF], from: 0x33).text(sensor: nil, device: v3)
                == "OEM Event Offset = 03h")
    }

    /// Intel E5-2600 v3 BIOS and BMC entries and their text: offsets within and past each table (event data 2 and 3
    /// read all the same), deasserted, the firmware update's target and the registers an IERR dump failed on, from
    /// another generator.
    static let intelE52600v3Texts: [(UInt8, [UInt8], String)] = [
        (0x01, [0x13, 0x09, 0x77, 0x01, 0xFF, 0xFF], "Reduced to 1/2 width ; CPU = Unknown"),
        (0x01, [0x13, 0x09, 0x77, 0x03, 0x00, 0xFF], "OEM Event Offset = 03h ; CPU = 1"),
        (0x33, [0x13, 0x07, 0x73, 0x0E, 0xFF, 0xFF], "Routing Table Error ; CPU = Unknown"),
        (0x33, [0x13, 0x07, 0x73, 0x01, 0x01, 0xFF], "Protocol Layer Poisoned Packet Reception Error ; CPU = 2"),
        (0x33, [0x13, 0x17, 0x74, 0x05, 0xFF, 0xFF], "IIO Write Cache Coherency Violation ; CPU = Unknown"),
        (0x33, [0x13, 0x04, 0x70, 0x0F, 0xFF, 0xFF], "MC Blocked TLP" + pciV3),
        (
            0x33, [0x13, 0x04, 0x70, 0xA2, 0x1A, 0x2B],
            "Completer Abort ; PCI Bus Number 26 ; PCI_Device number 5, PCI Function number 3"
        ),
        (0x33, [0x13, 0x14, 0x76, 0x0A, 0xFF, 0xFF], "reserved" + pciV3),
        (0x33, [0x13, 0x14, 0xF6, 0x0F, 0xFF, 0xFF], "Unspecified Non-AER Fatal Error" + pciV3),
        (0x33, [0x13, 0x05, 0x71, 0x08, 0xFF, 0xFF], "Header Log Overflow" + pciV3),
        (0x33, [0x13, 0x05, 0x71, 0x09, 0xFF, 0xFF], "OEM Event Offset = 09h" + pciV3),
        (0x33, [0x0F, 0x15, 0x70, 0x01, 0xFF, 0xFF], "BIOS Recovery Start"),
        (0x20, [0x2B, 0x12, 0x70, 0x02, 0xFF, 0xFF], "Update failure ; Target of update = Unknown, Instance = 3"),
        (0x20, [0x2B, 0x12, 0x70, 0x00, 0x14, 0xFF], "Update started ; Target of update = BIOS, Instance = 1"),
        (0x20, [0xD1, 0x7D, 0x70, 0x01, 0xFF, 0xFF], "Dump failed ; Failed register = " + allRegisters),
        (
            0x20, [0xD1, 0x7D, 0x70, 0x01, 0x05, 0xFF],
            "Dump failed ; Failed register = Uncore MSR register, IIO register"
        ),
        (0x20, [0xD1, 0x7D, 0x70, 0x00, 0x05, 0xFF], "reserved"),
        (0x33, [0x13, 0x06, 0x72, 0x0B, 0xFF, 0xFF], "QPI Correctable Error Event = 0Bh ; CPU = Unknown"),
        (0x20, [0x13, 0x07, 0x73, 0x00, 0xFF, 0xFF], "OEM Event Offset = 00h"),
    ]

    @Test func intelE52600v3BoardsNameTheirBIOSEvents() {
        for device in [Self.device(343, 111), Self.device(343, 112), Self.device(343, 73)] {
            for (generator, tail, expected) in Self.intelE52600v3Texts {
                #expect(Self.event(tail, from: generator).text(sensor: nil, device: device) == expected)
            }
        }
        // Another Intel product, another manufacturer: generic.
        for device in [Self.device(343, 9999), Self.x9scl] {
            #expect(
                Self.event([0x13, 0x07, 0x73, 0x0E, 0xFF, 0xFF], from: 0x33).text(sensor: nil, device: device)
                    == "OEM Event Offset = 0Eh")
        }
    }

    /// Memory events of the E5-2600 v3 boards' BIOS, with ipmi-sel's texts (FreeIPMI 1.6.10, BMC 343/111): RAS
    /// configuration status and RAS mode select (POST), mirroring and sparing redundancy states, ECC errors, legacy PCI
    /// errors and memory parity errors (SMI handler), with OEM codes in both bytes, in one of them, at offsets FreeIPMI
    /// does not read, and from the BMC.
    static let intelE52600v3MemoryTexts: [(UInt8, [UInt8], String)] = [
        (
            0x01, [0x0C, 0x02, 0x09, 0xA1, 0x03, 0x01],
            "Device Enabled ; Config Error = Invalid DIMM Configuration for RAS Mode ; RAS Mode Configured = Mirroring Mode"
        ),
        (
            0x01, [0x0C, 0x02, 0x09, 0xA0, 0x00, 0x04],
            "Device Disabled ; Config Error = None ; RAS Mode Configured = Rank Sparing Mode"
        ),
        (
            0x01, [0x0C, 0x02, 0x89, 0xA1, 0x05, 0x03],
            "Device Enabled ; Config Error = Unknown ; RAS Mode Configured = Unknown"
        ),
        (
            0x01, [0x0C, 0x12, 0x09, 0xA1, 0x01, 0x02],
            "Device Enabled ; Prior RAS Mode = Mirroring Mode ; Selected RAS Mode = Lockstep Mode"
        ),
        (
            0x01, [0x0C, 0x12, 0x09, 0x80, 0x00, 0xFF],
            "Device Disabled ; Prior RAS Mode = None (Independent Channel Mode)"
        ),
        (0x01, [0x0C, 0x12, 0x09, 0x21, 0x04, 0x02], "Device Enabled ; Selected RAS Mode = Lockstep Mode"),
        (
            0x01, [0x0C, 0x12, 0x09, 0xA2, 0x01, 0x02],
            "Event Offset = 02h ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 02h"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA2, 0x13, 0x2A],
            "Redundancy Degraded ; Mirroring Domain = 1, Rank on DIMM = 3 ; Socket CPU 2, Channel F, DIMM 3"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA0, 0x22, 0x92],
            "Fully Redundant ; Mirroring Domain = Unknown, Rank on DIMM = 2 ; Socket CPU Unknown, Channel Unknown, DIMM 3"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA1, 0x13, 0x2A],
            "Redundancy Lost ; OEM Event Data2 code = 13h ; OEM Event Data3 code = 2Ah"
        ),
        (
            0x33, [0x0C, 0x11, 0x0B, 0xA2, 0x31, 0x7B],
            "Redundancy Degraded ; Sparing Domain = D, Rank on DIMM = 1 ; Socket CPU 4, Channel T, DIMM Unknown"
        ),
        (
            0x33, [0x0C, 0x11, 0x0B, 0xA0, 0x42, 0xE1],
            "Fully Redundant ; Sparing Domain = Unknown, Rank on DIMM = 2 ; Socket CPU Unknown, Channel Unknown, DIMM 2"
        ),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA0, 0x03, 0x45],
            "Correctable memory error ; Rank on DIMM = 3 ; Socket CPU 3, Channel J, DIMM Unknown"
        ),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA1, 0x01, 0x66],
            "Uncorrectable memory error ; Rank on DIMM = 1 ; Socket CPU 4, Channel N, DIMM Unknown"
        ),
        (0x33, [0x0C, 0x02, 0x6F, 0x81, 0x02, 0xFF], "Uncorrectable memory error ; Rank on DIMM = 2"),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA4, 0x01, 0x66],
            "Memory Device Disabled ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 66h"
        ),
        (
            0x20, [0x0C, 0x02, 0x6F, 0xA0, 0x03, 0x45],
            "Correctable memory error ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 45h"
        ),
        (
            0x33, [0x13, 0x03, 0x6F, 0xA4, 0x1A, 0x2B],
            "PCI PERR ; PCI Bus Number 26 ; PCI_Device number 5, PCI Function number 3"
        ),
        (
            0x33, [0x13, 0x03, 0x6F, 0xA5, 0x00, 0xFF],
            "PCI SERR ; PCI Bus Number 0 ; PCI_Device number 31, PCI Function number 7"
        ),
        (0x33, [0x13, 0x03, 0x6F, 0x85, 0x07, 0xFF], "PCI SERR ; PCI Bus Number 7"),
        (
            0x33, [0x13, 0x03, 0x6F, 0xA3, 0x1A, 0x2B],
            "Software NMI ; OEM Event Data2 code = 1Ah ; OEM Event Data3 code = 2Bh"
        ),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x11, 0x2A],
            "Parity ; Error Type = Data Parity Error, Socket CPU 2, Channel F, DIMM 3"
        ),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x1A, 0x45],
            "Parity ; Error Type = Unknown, Socket CPU 3, Channel J, DIMM Unknown"
        ),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x08, 0x2A],
            "Parity ; Error Type = Parity Error Type not known, Socket CPU 2, Channel Indeterminate, DIMM Indeterminate"
        ),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x03, 0x9F],
            "Parity ; Error Type = Command and Address Parity Error, Socket CPU Unknown, Channel Unknown, DIMM Indeterminate"
        ),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA3, 0x13, 0x66],
            "Memory Scrub Failed ; Error Type = Command and Address Parity Error, Socket CPU 4, Channel N, DIMM Unknown"
        ),
        (0x33, [0x0C, 0x13, 0x6F, 0x82, 0x11, 0xFF], "Parity ; OEM Event Data2 code = 11h"),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA1, 0x11, 0x2A],
            "Uncorrectable memory error ; OEM Event Data2 code = 11h ; OEM Event Data3 code = 2Ah"
        ),
    ]

    @Test func intelE52600v3BoardsReadTheirMemoryEventData() {
        for device in [Self.device(343, 111), Self.device(343, 112), Self.device(343, 73)] {
            for (generator, tail, expected) in Self.intelE52600v3MemoryTexts {
                #expect(Self.event(tail, from: generator).text(sensor: nil, device: device) == expected)
            }
        }
        // Another Intel product, another manufacturer: the generic text.
        for device in [Self.device(343, 9999), Self.x9scl] {
            #expect(
                Self.event([0x0C, 0x02, 0x6F, 0xA0, 0x03, 0x45], from: 0x33).text(sensor: nil, device: device)
                    == "Correctable memory error ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 45h")
        }
    }

    /// The BMC's standard events on the E5-2600 v3 boards, with ipmi-sel's texts and states (FreeIPMI 1.6.10, BMC
    /// 343/111): power supply causes, VRD hot, processor thermal trip, IERR/CATERR, ERR2 timeout, DIMM thermal trip,
    /// auto-configuration errors; with OEM codes in one byte, in both, and codes past Intel's lists.
    static let intelE52600v3BMCTexts: [([UInt8], String, SensorState)] = [
        ([0x08, 0x50, 0x6F, 0xA1, 0x03, 0xFF], "Power Supply Failure detected ; Output over-current fault", .critical),
        ([0x08, 0x51, 0x6F, 0x82, 0x08, 0x00], "Predictive Failure ; Input over-power warning", .critical),
        (
            [0x08, 0x50, 0x6F, 0x86, 0x04, 0x00],
            "Configuration error ; ThE PSU is incompatible with one or more PSUs that are present in the system",
            .critical
        ),
        ([0x08, 0x50, 0x6F, 0x86, 0x09, 0x00], "Configuration error ; Unknown", .critical),
        (
            [0x01, 0x90, 0x05, 0xA1, 0x05, 0x81],
            "Limit Exceeded ; CPU = CPU1, CPU3 ; Memory = CPU1 - DIMM Channel 1/2, CPU4 - DIMM Channel 3/4", .critical
        ),
        ([0x01, 0x90, 0x05, 0xA1, 0x00, 0x00], "Limit Exceeded ; CPU =  ; Memory = ", .critical),
        (
            [0x07, 0x71, 0x6F, 0xA1, 0x01, 0x00], "Thermal Trip ; CPU boot FIVR fault ; OEM Event Data3 code = 00h",
            .critical
        ),
        ([0x07, 0x80, 0x03, 0xA1, 0x01, 0x06], "State Asserted ; CATERR ; CPU2, CPU3 caused CATERR", .critical),
        ([0x07, 0x80, 0x03, 0xA1, 0x01, 0x00], "State Asserted ; CATERR ; Unknown CPU caused CATERR", .critical),
        (
            [0x07, 0x80, 0x03, 0xA1, 0x07, 0x00], "State Asserted ; Unknown OEM code ; OEM Event Data3 code = 00h",
            .critical
        ),
        ([0x07, 0x7C, 0x03, 0xA1, 0x04, 0x00], "State Asserted ; CPU3 ; OEM Event Data3 code = 00h", .critical),
        ([0x07, 0x7C, 0x03, 0xA1, 0x03, 0x00], "State Asserted ; Unknown ; OEM Event Data3 code = 00h", .critical),
        (
            [0x0C, 0xC3, 0x6F, 0xAA, 0x00, 0x79],
            "Critical Overtemperature ; OEM Event Data2 code = 00h ; CPU = CPU4, Channel = T, Dimm = Dimm 2", .critical
        ),
        (
            [0x0C, 0xC0, 0x6F, 0x2A, 0x00, 0xFF],
            "Critical Overtemperature ; CPU = Unknown, Channel = ?, Dimm = Unknown",
            .critical
        ),
        (
            [0x28, 0x87, 0x03, 0xA1, 0x00, 0x02],
            "State Asserted ; OEM Event Data2 code = 00h ; Auto Config Error = SDR/CFG file mismatch", .unknown
        ),
        ([0x28, 0x87, 0x03, 0x21, 0x00, 0x07], "State Asserted ; Auto Config Error = Unknown", .unknown),
    ]

    @Test func intelE52600v3BoardsReadTheBMCsEventData() {
        for device in [Self.device(343, 111), Self.device(343, 112), Self.device(343, 73)] {
            for (tail, expected, state) in Self.intelE52600v3BMCTexts {
                #expect(Self.event(tail).text(sensor: nil, device: device) == expected)
                #expect(Self.event(tail).state(device: device) == state)
            }
        }
        // Another Intel product: the generic text.
        #expect(
            Self.event([0x07, 0x80, 0x03, 0xA1, 0x01, 0x06]).text(sensor: nil, device: Self.device(343, 77))
                == "State Asserted ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 06h")
    }

    /// The same memory events with ipmi-sel's texts for the S2600JF and S2600WP (FreeIPMI 1.6.10, BMCs 343/77 and
    /// 343/78 print them alike).
    static let intelS2600JFMemoryTexts: [(UInt8, [UInt8], String)] = [
        (0x01, [0x0C, 0x02, 0x09, 0xA1, 0x03, 0x01], "Device Enabled ; Config Error = Invalid ; RAS Mode = Mirroring"),
        (
            0x01, [0x0C, 0x02, 0x09, 0xA0, 0x00, 0x04],
            "Device Disabled ; Config Error = None ; RAS Mode = Rank Sparing"
        ),
        (0x01, [0x0C, 0x02, 0x89, 0xA1, 0x05, 0x03], "Device Enabled ; Config Error = Unknown ; RAS Mode = Unknown"),
        (
            0x01, [0x0C, 0x12, 0x09, 0xA1, 0x01, 0x02],
            "Device Enabled ; Previous RAS Mode = Mirroring ; Selected RAS Mode = Lockstep"
        ),
        (0x01, [0x0C, 0x12, 0x09, 0x80, 0x00, 0xFF], "Device Disabled ; Previous RAS Mode = None"),
        (0x01, [0x0C, 0x12, 0x09, 0x21, 0x04, 0x02], "Device Enabled ; Selected RAS Mode = Lockstep"),
        (
            0x01, [0x0C, 0x12, 0x09, 0xA2, 0x01, 0x02],
            "Event Offset = 02h ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 02h"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA2, 0x13, 0x2A],
            "Redundancy Degraded ; Mirroring Domain Channel Pair for Socket = 1, DIMM Rank Number = 3 ; CPU = 2, Channel = B, DIMM = 3"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA0, 0x22, 0x92],
            "Fully Redundant ; Mirroring Domain Channel Pair for Socket = 2, DIMM Rank Number = 2 ; CPU = Unknown, Channel = C, DIMM = 3"
        ),
        (
            0x33, [0x0C, 0x01, 0x0B, 0xA1, 0x13, 0x2A],
            "Redundancy Lost ; OEM Event Data2 code = 13h ; OEM Event Data3 code = 2Ah"
        ),
        (
            0x33, [0x0C, 0x11, 0x0B, 0xA2, 0x31, 0x7B],
            "Redundancy Degraded ; Sparing Domain Channel Pair for Socket = D, DIMM Rank Number = 1 ; CPU = 4, Channel = D, DIMM = Unknown"
        ),
        (
            0x33, [0x0C, 0x11, 0x0B, 0xA0, 0x42, 0xE1],
            "Fully Redundant ; Sparing Domain Channel Pair for Socket = Unknown, DIMM Rank Number = 2 ; CPU = Unknown, Channel = A, DIMM = 2"
        ),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA0, 0x03, 0x45],
            "Correctable memory error ; DIMM Rank Number = 3 ; CPU = 3, Channel = A, DIMM = Unknown"
        ),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA1, 0x01, 0x66],
            "Uncorrectable memory error ; DIMM Rank Number = 1 ; CPU = 4, Channel = A, DIMM = Unknown"
        ),
        (0x33, [0x0C, 0x02, 0x6F, 0x81, 0x02, 0xFF], "Uncorrectable memory error ; DIMM Rank Number = 2"),
        (
            0x33, [0x0C, 0x02, 0x6F, 0xA4, 0x01, 0x66],
            "Memory Device Disabled ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 66h"
        ),
        (
            0x20, [0x0C, 0x02, 0x6F, 0xA0, 0x03, 0x45],
            "Correctable memory error ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 45h"
        ),
        (0x33, [0x13, 0x03, 0x6F, 0xA4, 0x1A, 0x2B], "PCI PERR ; Bus 26 ; Device 5, Function 3"),
        (0x33, [0x13, 0x03, 0x6F, 0xA5, 0x00, 0xFF], "PCI SERR ; Bus 0 ; Device 31, Function 7"),
        (0x33, [0x13, 0x03, 0x6F, 0x85, 0x07, 0xFF], "PCI SERR ; Bus 7"),
        (
            0x33, [0x13, 0x03, 0x6F, 0xA3, 0x1A, 0x2B],
            "Software NMI ; OEM Event Data2 code = 1Ah ; OEM Event Data3 code = 2Bh"
        ),
        (0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x11, 0x2A], "Parity ; Error Type = Unknown, CPU = 2, Channel = B"),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x1A, 0x45],
            "Parity ; Error Type = Address Parity Error, CPU = 3, Channel = A, DIMM = Unknown"
        ),
        (0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x08, 0x2A], "Parity ; Error Type = Not Known, CPU = 2, DIMM = 3"),
        (0x33, [0x0C, 0x13, 0x6F, 0xA2, 0x03, 0x9F], "Parity ; Error Type = Unknown, CPU = Unknown"),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA3, 0x13, 0x66],
            "Memory Scrub Failed ; OEM Event Data2 code = 13h ; OEM Event Data3 code = 66h"
        ),
        (0x33, [0x0C, 0x13, 0x6F, 0x82, 0x11, 0xFF], "Parity ; OEM Event Data2 code = 11h"),
        (
            0x33, [0x0C, 0x13, 0x6F, 0xA1, 0x11, 0x2A],
            "Uncorrectable memory error ; OEM Event Data2 code = 11h ; OEM Event Data3 code = 2Ah"
        ),
    ]

    @Test func intelS2600JFAndWPReadTheirMemoryEventData() {
        for device in [Self.device(343, 77), Self.device(343, 78)] {
            for (generator, tail, expected) in Self.intelS2600JFMemoryTexts {
                #expect(Self.event(tail, from: generator).text(sensor: nil, device: device) == expected)
            }
        }
    }

    /// Quanta S99Q BIOS entries with ipmi-sel's texts (FreeIPMI 1.6.10, BMC 7244/21401): PCI errors (device and
    /// function, bus), QPI and internal errors (local error bit, source), memory errors (the DIMM), with OEM codes in
    /// both bytes, in one of them, at offsets FreeIPMI does not read, and from the BMC.
    static let quantaS99QTexts: [(UInt8, [UInt8], String)] = [
        (0x01, [0x13, 0x81, 0x6F, 0xA4, 0x2B, 0x05], "PCI PERR ; Device 5, Function 3 ; Bus Number 5"),
        (0x01, [0x13, 0x81, 0x6F, 0xAA, 0xFF, 0x80], "Bus Fatal Error ; Device 31, Function 7 ; Bus Number 128"),
        (0x01, [0x13, 0x81, 0x6F, 0x27, 0x2B, 0x05], "Bus Correctable Error ; Bus Number 5"),
        (
            0x01, [0x13, 0x81, 0x6F, 0xA0, 0x2B, 0x05],
            "Front Panel NMI/Diagnostic Interrupt ; OEM Event Data2 code = 2Bh ; OEM Event Data3 code = 05h"
        ),
        (0x01, [0x13, 0x82, 0x6F, 0xA7, 0x05, 0x02], "Bus Correctable Error ; Local Error Bit 5 ; QPI[2] Error"),
        (
            0x01, [0x13, 0x83, 0x6F, 0xA8, 0x00, 0x17],
            "Bus Uncorrectable Error ; Local Error Bit 0 ; Miscellaneous Error"
        ),
        (0x01, [0x13, 0x83, 0x6F, 0xAA, 0x01, 0x18], "Bus Fatal Error ; Local Error Bit 1 ; IOH Core Error"),
        (0x01, [0x13, 0x82, 0x6F, 0xAA, 0x01, 0x04], "Bus Fatal Error ; Local Error Bit 1 ; Unknown Error"),
        (
            0x01, [0x13, 0x82, 0x6F, 0xA4, 0x01, 0x04],
            "PCI PERR ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 04h"
        ),
        (
            0x01, [0x0C, 0x60, 0x6F, 0xA0, 0x12, 0x01],
            "Correctable memory error ; OEM Event Data2 code = 12h ; DIMM A0"
        ),
        (
            0x01, [0x0C, 0x60, 0x6F, 0xA1, 0x12, 0x12],
            "Uncorrectable memory error ; OEM Event Data2 code = 12h ; DIMM F2"
        ),
        (0x01, [0x0C, 0x60, 0x6F, 0xA8, 0x12, 0x08], "Spare ; OEM Event Data2 code = 12h ; DIMM C1"),
        (0x01, [0x0C, 0x60, 0x6F, 0x20, 0x12, 0x13], "Correctable memory error ; Error DIMM 19"),
        (
            0x01, [0x0C, 0x60, 0x6F, 0xA0, 0x12, 0x00],
            "Correctable memory error ; OEM Event Data2 code = 12h ; Error DIMM 0"
        ),
        (
            0x01, [0x0C, 0x60, 0x6F, 0xA2, 0x12, 0x05],
            "Parity ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 05h"
        ),
        (
            0x20, [0x0C, 0x60, 0x6F, 0xA0, 0x12, 0x01],
            "Correctable memory error ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 01h"
        ),
    ]

    /// Inventec entries with ipmi-sel's texts (FreeIPMI 1.6.10, BMCs 20569/51 and 20569/52): the BIOS's POST start
    /// ("BMC enabled by BIOS" and its version), memory errors' threshold and DIMM, the BMC's port 80 codes, the
    /// BIOS's POST error codes (event data 2 and 3 together; a known code, an unknown one, OEM codes in one byte).
    static let inventec5441Texts: [(UInt8, [UInt8], String)] = [
        (0x01, [0xC1, 0x81, 0x70, 0xA0, 0x1B, 0x05], "BMC enabled by BIOS ; BIOS Version 1B.05"),
        (0x01, [0xC1, 0x81, 0xF0, 0xA0, 0x02, 0x3C], "BMC enabled by BIOS ; BIOS Version 2.3C"),
        (0x01, [0xC1, 0x81, 0x70, 0x80, 0x1B, 0x05], "OEM Event Offset = 00h ; OEM Event Data2 code = 1Bh"),
        (
            0x01, [0xC1, 0x81, 0x70, 0xA1, 0x1B, 0x05],
            "OEM Event Offset = 01h ; OEM Event Data2 code = 1Bh ; OEM Event Data3 code = 05h"
        ),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA0, 0x00, 0x01],
            "Correctable memory error ; SBE warning threshold ; Dimm Number - CPU0/Ch0/DIM1"
        ),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA1, 0x01, 0x06],
            "Uncorrectable memory error ; SBE critical threshold ; Dimm Number - CPU0/Ch2/DIM0"
        ),
        (0x21, [0x0C, 0x60, 0x6F, 0xA2, 0xFF, 0x11], "Parity ; Dimm Number - CPU1/Ch0/DIM0"),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA5, 0x05, 0x13],
            "Correctable memory error logging limit reached ; OEM Event Data2 code = 05h ; Dimm Number - CPU1/Ch2/DIM0"
        ),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA0, 0x00, 0x16],
            "Correctable memory error ; SBE warning threshold ; OEM Event Data3 code = 16h"
        ),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA0, 0x01, 0x07],
            "Correctable memory error ; SBE critical threshold ; OEM Event Data3 code = 07h"
        ),
        (0x21, [0x0C, 0x60, 0x6F, 0x20, 0x01, 0x02], "Correctable memory error ; Dimm Number - CPU0/Ch0/DIM0"),
        (0x21, [0x0C, 0x60, 0x6F, 0x80, 0x00, 0xFF], "Correctable memory error ; SBE warning threshold"),
        (
            0x21, [0x0C, 0x60, 0x6F, 0xA3, 0x00, 0x01],
            "Memory Scrub Failed ; OEM Event Data2 code = 00h ; OEM Event Data3 code = 01h"
        ),
        (
            0x20, [0x0F, 0x55, 0x6F, 0xA0, 0x00, 0x3A],
            "System Firmware Error ; OEM Event Data2 code = 00h ; PORT80 Code Event = Extended Memory Test"
        ),
        (0x20, [0x0F, 0x55, 0x6F, 0x22, 0x00, 0x87], "System Firmware Progress ; PORT80 Code Event = Setup Menu"),
        (
            0x20, [0x0F, 0x55, 0x6F, 0xA1, 0x05, 0x4C],
            "System Firmware Hang ; OEM Event Data2 code = 05h ; PORT80 Code Event = 4Ch"
        ),
        (0x20, [0x0F, 0x55, 0x6F, 0x80, 0x05, 0x78], "System Firmware Error ; OEM Event Data2 code = 05h"),
        (0x31, [0x0F, 0x06, 0x6F, 0xA0, 0x03, 0x00], "System Firmware Error ; CMOS Battery Error"),
        (0x31, [0x0F, 0x06, 0x6F, 0xA2, 0x01, 0x81], "System Firmware Progress ; USB HC Not Found"),
        (0x31, [0x0F, 0x06, 0x6F, 0x81, 0x03, 0x00], "System Firmware Hang ; OEM Event Data2 code = 03h"),
        (0x31, [0x0F, 0x06, 0x6F, 0xA0, 0x77, 0x00], "System Firmware Error ; Undefined BIOS Error"),
    ]
    /// Where the 5442's texts differ from the 5441's, by row: its BIOS version in two parts, its second CPU's DIMMs,
    /// POST error codes left as OEM codes.
    static let inventec5442Differences: [Int: String] = [
        0: "BMC enabled by BIOS ; BIOS Major Version 1B ; BIOS Minor Version 05",
        1: "BMC enabled by BIOS ; BIOS Major Version 2 ; BIOS Minor Version 3C",
        6: "Parity ; Dimm Number - CPU1/Ch0/DIM1",
        7: "Correctable memory error logging limit reached ; OEM Event Data2 code = 05h ; Dimm Number - CPU1/Ch1/DIM1",
        8: "Correctable memory error ; SBE warning threshold ; Dimm Number - CPU1/Ch2/DIM0",
        17: "System Firmware Error ; OEM Event Data2 code = 03h ; OEM Event Data3 code = 00h",
        18: "System Firmware Progress ; OEM Event Data2 code = 01h ; OEM Event Data3 code = 81h",
        20: "System Firmware Error ; OEM Event Data2 code = 77h ; OEM Event Data3 code = 00h",
    ]
    static let inventec5442Texts = inventec5441Texts.enumerated().map { index, row in
        (row.0, row.1, inventec5442Differences[index] ?? row.2)
    }

    @Test func quantaAndInventecReadTheirEntries() {
        let cases = [
            (Self.device(7244, 21401), Self.quantaS99QTexts), (Self.device(20569, 51), Self.inventec5441Texts),
            (Self.device(20569, 52), Self.inventec5442Texts),
        ]
        for (device, texts) in cases {
            for (generator, tail, expected) in texts {
                #expect(Self.event(tail, from: generator).text(sensor: nil, device: device) == expected)
            }
        }
        // Another product of each: the generic text.
        #expect(
            Self.event([0xC1, 0x81, 0x70, 0xA0, 0x1B, 0x05], from: 0x01).text(
                sensor: nil, device: Self.device(20569, 53))
                == "OEM Event Offset = 00h ; OEM Event Data2 code = 1Bh ; OEM Event Data3 code = 05h")
        #expect(
            Self.event([0x0C, 0x60, 0x6F, 0xA0, 0x12, 0x01], from: 0x01).text(sensor: nil, device: Self.device(7244, 1))
                == "Correctable memory error ; OEM Event Data2 code = 12h ; OEM Event Data3 code = 01h")
    }
}
