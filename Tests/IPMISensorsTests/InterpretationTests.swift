import Testing

@testable import IPMISensors

// Expected states and event texts are what FreeIPMI's ipmi-sensors printed for the same state bits on the lab BMC
// (Tests/Lab), except the threshold non-critical state, where we report Warning (FreeIPMI: Nominal) on purpose.
@Suite struct InterpretationTests {
    struct Case: Sendable, CustomStringConvertible {
        var eventReadingType: UInt8
        var sensorType: UInt8
        var mask: UInt16
        var state: SensorState
        var events: [String]
        var description: String { "ERT \(eventReadingType) type \(sensorType) mask \(mask)" }
    }

    static let cases: [Case] = [
        // Threshold sensors.
        Case(eventReadingType: 0x01, sensorType: 0x01, mask: 0x00, state: .nominal, events: []),
        Case(
            eventReadingType: 0x01, sensorType: 0x01, mask: 0x08, state: .warning,
            events: ["At or Above (>=) Upper Non-Critical Threshold"]),
        Case(
            eventReadingType: 0x01, sensorType: 0x01, mask: 0x18, state: .critical,
            events: ["At or Above (>=) Upper Critical Threshold"]),
        Case(
            eventReadingType: 0x01, sensorType: 0x01, mask: 0x20, state: .critical,
            events: ["At or Above (>=) Upper Non-Recoverable Threshold"]),
        Case(
            eventReadingType: 0x01, sensorType: 0x02, mask: 0x03, state: .critical,
            events: ["At or Below (<=) Lower Critical Threshold"]),
        Case(
            eventReadingType: 0x01, sensorType: 0x04, mask: 0x07, state: .critical,
            events: ["At or Below (<=) Lower Non-Recoverable Threshold"]),
        Case(
            eventReadingType: 0x01, sensorType: 0x04, mask: 0x01, state: .warning,
            events: ["At or Below (<=) Lower Non-Critical Threshold"]),
        // Reserved bits 7:6 of a threshold reading are ignored.
        Case(eventReadingType: 0x01, sensorType: 0x01, mask: 0xC0, state: .nominal, events: []),
        // Sensor-specific discrete sensors.
        Case(eventReadingType: 0x6F, sensorType: 0x08, mask: 0x01, state: .nominal, events: ["Presence detected"]),
        Case(
            eventReadingType: 0x6F, sensorType: 0x08, mask: 0x03, state: .critical,
            events: ["Presence detected", "Power Supply Failure detected"]),
        Case(eventReadingType: 0x6F, sensorType: 0x0D, mask: 0x01, state: .nominal, events: ["Drive Presence"]),
        Case(
            eventReadingType: 0x6F, sensorType: 0x0D, mask: 0x03, state: .critical,
            events: ["Drive Presence", "Drive Fault"]),
        Case(eventReadingType: 0x6F, sensorType: 0x05, mask: 0x00, state: .nominal, events: []),
        Case(
            eventReadingType: 0x6F, sensorType: 0x07, mask: 0x80, state: .nominal,
            events: ["Processor Presence detected"]),
        Case(
            eventReadingType: 0x6F, sensorType: 0x07, mask: 0x81, state: .critical,
            events: ["IERR", "Processor Presence detected"]),
        Case(
            eventReadingType: 0x6F, sensorType: 0x0C, mask: 0x01, state: .warning,
            events: ["Correctable memory error"]),
        Case(eventReadingType: 0x6F, sensorType: 0x0C, mask: 0x40, state: .nominal, events: ["Presence detected"]),
        Case(eventReadingType: 0x6F, sensorType: 0x29, mask: 0x01, state: .warning, events: ["battery low"]),
        Case(eventReadingType: 0x6F, sensorType: 0x22, mask: 0x01, state: .nominal, events: ["S0/G0"]),
        // Generic discrete sensors.
        Case(eventReadingType: 0x0B, sensorType: 0x08, mask: 0x02, state: .critical, events: ["Redundancy Lost"]),
        Case(eventReadingType: 0x0B, sensorType: 0x04, mask: 0x01, state: .nominal, events: ["Fully Redundant"]),
        Case(eventReadingType: 0x05, sensorType: 0x01, mask: 0x02, state: .critical, events: ["Limit Exceeded"]),
        Case(
            eventReadingType: 0x08, sensorType: 0x0D, mask: 0x02, state: .nominal,
            events: ["Device Inserted/Device Present"]),
        // OEM event/reading type: no interpretation.
        Case(eventReadingType: 0x70, sensorType: 0xC0, mask: 0x01, state: .unknown, events: ["OEM Event = 0001h"]),
    ]

    @Test(arguments: cases) func stateAndEvents(_ c: Case) {
        #expect(
            SensorInterpretation.state(
                eventReadingType: c.eventReadingType, sensorType: c.sensorType, stateMask: c.mask)
                == c.state)
        #expect(
            SensorInterpretation.events(
                eventReadingType: c.eventReadingType, sensorType: c.sensorType, stateMask: c.mask)
                == c.events)
    }

    @Test func combinationsFreeIPMIDoesNotInterpretAreUnknown() {
        // Sensor-specific offsets for a type without a table (Temperature has none).
        #expect(SensorInterpretation.state(eventReadingType: 0x6F, sensorType: 0x01, stateMask: 0x01) == .unknown)
        #expect(
            SensorInterpretation.events(eventReadingType: 0x6F, sensorType: 0x01, stateMask: 0x01) == [
                "Unrecognized Event = 0001h"
            ])
        // An offset beyond those the Drive Slot table defines (it has 9).
        #expect(SensorInterpretation.state(eventReadingType: 0x6F, sensorType: 0x0D, stateMask: 0x1000) == .unknown)
        // A generic type FreeIPMI interprets only for some sensor types.
        #expect(SensorInterpretation.state(eventReadingType: 0x0B, sensorType: 0x01, stateMask: 0x01) == .unknown)
        // Bit 15 of a discrete reading is reserved and ignored.
        #expect(SensorInterpretation.state(eventReadingType: 0x6F, sensorType: 0x08, stateMask: 0x8001) == .nominal)
    }

    @Test func freeIPMIsDriveSlotStateQuirk() {
        // freeipmi_interpret_sensor.conf: IPMI_Drive_Slot_State_Deasserted Warning, _Asserted Nominal.
        #expect(SensorInterpretation.state(eventReadingType: 0x03, sensorType: 0x0D, stateMask: 0x01) == .warning)
        #expect(SensorInterpretation.state(eventReadingType: 0x03, sensorType: 0x0D, stateMask: 0x02) == .nominal)
    }

    @Test func sensorTypeNames() {
        #expect(SensorNames.sensorType(0x01) == "Temperature")
        #expect(SensorNames.sensorType(0x02) == "Voltage")
        #expect(SensorNames.sensorType(0x04) == "Fan")
        #expect(SensorNames.sensorType(0x08) == "Power Supply")
        #expect(SensorNames.sensorType(0x0B) == "Other Units Based Sensor")
        #expect(SensorNames.sensorType(0x0C) == "Memory")
        #expect(SensorNames.sensorType(0x0D) == "Drive Slot")
        #expect(SensorNames.sensorType(0x22) == "System ACPI Power State")
        #expect(SensorNames.sensorType(0x2C) == "FRU State")
        #expect(SensorNames.sensorType(0xC0) == "OEM Reserved")
        #expect(SensorNames.sensorType(0x2D) == "Unrecognized")
        #expect(SensorNames.eventReadingType(0x01) == "Threshold")
        #expect(SensorNames.eventReadingType(0x6F) == "Sensor-specific")
    }

    @Test func unitStrings() {
        // FreeIPMI abbreviations and the spec's names (table 43-15).
        #expect(SensorUnits(baseUnit: 1).abbreviation == "C")
        #expect(SensorUnits(baseUnit: 1).description == "degrees C")
        #expect(SensorUnits(baseUnit: 4).abbreviation == "V")
        #expect(SensorUnits(baseUnit: 5).description == "Amps")
        #expect(SensorUnits(baseUnit: 6).abbreviation == "W")
        #expect(SensorUnits(baseUnit: 17).abbreviation == "CFM")
        #expect(SensorUnits(isPercentage: true, baseUnit: 0).abbreviation == "%")
        #expect(SensorUnits(isPercentage: true, baseUnit: 0).description == "percent")
        #expect(SensorUnits(isPercentage: true, baseUnit: 6).abbreviation == "% W")
        #expect(SensorUnits(isPercentage: true, baseUnit: 6).description == "% Watts")
        // RPM per minute is just RPM; other rates are spelled out.
        #expect(SensorUnits(rate: 4, baseUnit: 18).abbreviation == "RPM")
        #expect(SensorUnits(rate: 3, baseUnit: 7).abbreviation == "J per s")
        #expect(SensorUnits(modifierRelation: .divide, baseUnit: 6, modifierUnit: 24).description == "Watts / hour")
        #expect(SensorUnits(modifierRelation: .multiply, baseUnit: 5, modifierUnit: 24).abbreviation == "A * hr")
        #expect(SensorNamesTableSizes.units == 93)
        #expect(SensorUnits.name(ofUnitType: 92) == "grams")
        #expect(SensorUnits.name(ofUnitType: 93) == nil)
    }
}

enum SensorNamesTableSizes {
    static let units = SensorUnits.names.count
    static let abbreviations = SensorUnits.abbreviations.count
}

@Test func unitTablesHaveOneNamePerCode() {
    #expect(SensorNamesTableSizes.abbreviations == SensorNamesTableSizes.units)
}
