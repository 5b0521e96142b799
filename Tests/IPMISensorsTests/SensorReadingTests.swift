import IPMI
import Testing

@testable import IPMISensors

/// The Get Sensor Reading answers ipmi_sim gave for the lab BMC, and the lines FreeIPMI's
/// `ipmi-sensors --comma-separated-output --no-header-output --output-sensor-state --shared-sensors` printed for them.
@Suite struct SensorReadingTests {
    func definition(_ bytes: [UInt8]) throws -> SensorDefinition {
        let sensors = SensorDefinition.sensors(in: [try SDRRecord.decode(bytes)])
        try #require(sensors.count == 1)
        return sensors[0]
    }

    /// ipmi_sim's answer: reading, flags C0h (event messages and scanning enabled), two state bytes.
    func answer(_ raw: UInt8, _ states: UInt16 = 0, flags: UInt8 = 0xC0) -> IPMIResponse {
        IPMIResponse(completionCode: .normal, data: [raw, flags, UInt8(states & 0xFF), UInt8(states >> 8)])
    }

    @Test func linesAsFreeIPMIPrintsThem() throws {
        let cases: [([UInt8], IPMIResponse, String)] = [
            (Fixtures.cpu1Temp, answer(45), "4,CPU1 Temp,Temperature,Nominal,45.00,C,'OK'"),
            (Fixtures.inletTemp, answer(0xF6), "7,Inlet Temp,Temperature,Nominal,-10.00,C,'OK'"),
            (Fixtures.ambientTemp, answer(25), "13,Ambient Temp,Temperature,Nominal,77.00,F,'OK'"),
            (Fixtures.fiveVoltRail, answer(192), "17,5V Rail,Voltage,Nominal,4.99,V,'OK'"),
            (Fixtures.vcore, answer(40), "20,Vcore,Voltage,Nominal,1.20,V,'OK'"),
            (Fixtures.minus12VRail, answer(190), "21,-12V Rail,Voltage,Nominal,-11.97,V,'OK'"),
            (Fixtures.vccSqrt, answer(144), "23,VCC Sqrt,Voltage,Nominal,12.00,V,'OK'"),
            (Fixtures.psu2Current, answer(0), "27,PSU2 Current,Current,Nominal,0.00,A,'OK'"),
            (Fixtures.psu1Power, answer(150), "29,PSU1 Power,Current,Nominal,300.00,W,'OK'"),
            (Fixtures.fan2, answer(90), "34,Fan2,Fan,Nominal,5400.00,RPM,'OK'"),
            (Fixtures.acpiState, answer(0, 0x0001), "51,ACPI State,System ACPI Power State,Nominal,N/A,N/A,'S0/G0'"),
        ]
        for (record, response, line) in cases {
            #expect(try definition(record).reading(from: response).csvLine == line)
        }
    }

    @Test func nonCriticalIsWarningWhereFreeIPMISaysNominal() throws {
        // FreeIPMI: 36,Fan4,Fan,Nominal,1080.00,RPM,'At or Below (<=) Lower Non-Critical Threshold'
        let reading = try definition(Fixtures.fan4).reading(from: answer(18, 0x0001))
        #expect(reading.csvLine == "36,Fan4,Fan,Warning,1080.00,RPM,'At or Below (<=) Lower Non-Critical Threshold'")
        #expect(reading.state == .warning)
        #expect(reading.value == 1080)
    }

    @Test func scanningDisabledIsNoReading() throws {
        // Flags 80h: event messages enabled, scanning disabled (FreeIPMI: "39,Fan7,Fan,N/A,N/A,RPM,N/A").
        let reading = try definition(Fixtures.fan2).reading(from: answer(80, flags: 0x80))
        #expect(reading.value == nil)
        #expect(reading.availability == .scanningDisabled)
        #expect(reading.csvLine == "34,Fan2,Fan,N/A,N/A,RPM,N/A")
    }

    @Test func readingUnavailableIsNoReading() throws {
        // Flags E0h: bit 5 "reading/state unavailable".
        let reading = try definition(Fixtures.fan2).reading(from: answer(0, flags: 0xE0))
        #expect(reading.value == nil)
        #expect(reading.availability == .readingUnavailable)
        #expect(reading.state == .unknown)
    }

    @Test func absentSensorCompletionCodesAreNoReading() throws {
        // ipmi_sim answers CCh for a sensor in the SDR that it does not have ("40,Fan8,Fan,N/A,N/A,RPM,N/A").
        for code: UInt8 in [0xCB, 0xCC, 0xCD, 0xD3] {
            let reading = try definition(Fixtures.fan2).reading(
                from: IPMIResponse(completionCode: CompletionCode(rawValue: code), data: []))
            #expect(reading.value == nil)
            #expect(reading.csvLine == "34,Fan2,Fan,N/A,N/A,RPM,N/A")
        }
        // A busy BMC is not "absent": the event column says Unknown, as FreeIPMI's does.
        let busy = try definition(Fixtures.fan2).reading(from: IPMIResponse(completionCode: .nodeBusy, data: []))
        #expect(busy.value == nil)
        #expect(busy.eventText == "Unknown")
    }

    @Test func shortAnswersAreAccepted() throws {
        // Only reading and flags: no state bytes means no state asserted.
        let reading = try definition(Fixtures.cpu1Temp).reading(
            from: IPMIResponse(completionCode: .normal, data: [45, 0xC0]))
        #expect(reading.value == 45)
        #expect(reading.state == .nominal)
        let tooShort = try definition(Fixtures.cpu1Temp).reading(
            from: IPMIResponse(completionCode: .normal, data: [45]))
        #expect(tooShort.value == nil)
    }

    @Test func sharedSensorsAreReadOneByOne() throws {
        let sensors = SensorDefinition.sensors(in: [try SDRRecord.decode(Fixtures.dimmShared)])
        let lines = sensors.enumerated().map { index, sensor in
            sensor.reading(from: answer(0, index == 3 ? 0 : 0x0040)).csvLine
        }
        #expect(
            lines == [
                "1,DIMM 1,Memory,Nominal,N/A,N/A,'Presence detected'",
                "1,DIMM 2,Memory,Nominal,N/A,N/A,'Presence detected'",
                "1,DIMM 3,Memory,Nominal,N/A,N/A,'Presence detected'",
                "1,DIMM 4,Memory,Nominal,N/A,N/A,'OK'",
            ])
    }

    @Test func roundingAsFreeIPMIPrints() {
        // ipmi-sensors rounds the hundredths up only when the rest exceeds one half, and truncates negative
        // readings towards zero, before printing with %.2f.
        #expect(formatTwoDecimals(roundLikeFreeIPMI(3.298)) == "3.30")
        #expect(formatTwoDecimals(roundLikeFreeIPMI(4.992)) == "4.99")
        #expect(formatTwoDecimals(roundLikeFreeIPMI(1.006)) == "1.01")
        #expect(formatTwoDecimals(roundLikeFreeIPMI(-1.006)) == "-1.00")
        #expect(formatTwoDecimals(roundLikeFreeIPMI(-0.15)) == "-0.15")
        #expect(formatTwoDecimals(roundLikeFreeIPMI(6000)) == "6000.00")
        #expect(formatTwoDecimals(0.07) == "0.07")
        #expect(formatTwoDecimals(-3.5) == "-3.50")
    }
}

@Suite struct SensorReportTests {
    func reading(_ record: [UInt8], _ data: [UInt8]) throws -> SensorReading {
        SensorDefinition.sensors(in: [try SDRRecord.decode(record)])[0]
            .reading(from: IPMIResponse(completionCode: .normal, data: data))
    }

    @Test func csvAndTable() throws {
        let readings = [
            try reading(Fixtures.cpu1Temp, [45, 0xC0, 0, 0]),
            try reading(Fixtures.acpiState, [0, 0xC0, 1, 0]),
        ]
        #expect(
            SensorReport.csv(readings) == """
                4,CPU1 Temp,Temperature,Nominal,45.00,C,'OK'
                51,ACPI State,System ACPI Power State,Nominal,N/A,N/A,'S0/G0'

                """)
        #expect(
            SensorReport.table(readings) == """
                ID | Name       | Type                    | State   | Reading | Units | Event
                4  | CPU1 Temp  | Temperature             | Nominal | 45.00   | C     | 'OK'
                51 | ACPI State | System ACPI Power State | Nominal | N/A     | N/A   | 'S0/G0'

                """)
    }
}
