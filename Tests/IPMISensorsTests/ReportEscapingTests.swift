import IPMI
import Testing

@testable import IPMISensors

/// Sensor names come from the BMC. In the `sensors` CSV, a name holding a newline, comma or double quote must not
/// split the row or forge another (RFC 4180 quoting); in both outputs, control characters must not reach the terminal.
@Suite struct ReportEscapingTests {
    /// "CPU1 Temp" (Fixtures.cpu1Temp, a full sensor record) renamed: the ID string at byte 48 (§43.1) replaced by
    /// `name` as 8-bit Latin-1 (type/length C0h | count, §43.15) and the record length adjusted.
    func reading(named name: [UInt8]) throws -> SensorReading {
        var record = Array(Fixtures.cpu1Temp.prefix(47)) + [0xC0 | UInt8(name.count)] + name
        record[4] = UInt8(record.count - 5)
        let definition = try #require(SensorDefinition.sensors(in: [try SDRRecord.decode(record)]).first)
        return definition.reading(from: IPMIResponse(completionCode: .normal, data: [45, 0xC0, 0, 0]))
    }

    @Test(
        arguments: [
            (Array("A\nB".utf8), "4,\"A\nB\",Temperature,Nominal,45.00,C,'OK'\n"),
            (Array("A\r\nB".utf8), "4,\"A\r\nB\",Temperature,Nominal,45.00,C,'OK'\n"),
            (Array("CR\rX".utf8), "4,\"CR\rX\",Temperature,Nominal,45.00,C,'OK'\n"),
            (Array("Fan,1".utf8), "4,\"Fan,1\",Temperature,Nominal,45.00,C,'OK'\n"),
            (Array("say \"hi\"".utf8), "4,\"say \"\"hi\"\"\",Temperature,Nominal,45.00,C,'OK'\n"),
            (Array("\"".utf8), "4,\"\"\"\",Temperature,Nominal,45.00,C,'OK'\n"),
            (
                Array("X\n5,F,Fan,Nominal,1,RPM,'OK'".utf8),
                "4,\"X\n5,F,Fan,Nominal,1,RPM,'OK'\",Temperature,Nominal,45.00,C,'OK'\n"
            ),
            // Control characters other than CR and LF have no place in RFC 4180: an escape sequence (ESC [2J clears the
            // screen), a tab, DEL and C1 NEL (Latin-1 85h) become U+FFFD.
            ([0x1B] + Array("[2J".utf8), "4,\u{FFFD}[2J,Temperature,Nominal,45.00,C,'OK'\n"),
            ([0x41, 0x09, 0x42, 0x7F, 0x85], "4,A\u{FFFD}B\u{FFFD}\u{FFFD},Temperature,Nominal,45.00,C,'OK'\n"),
            // Plain names are written as they are, as ipmimonitoring does.
            (Array("CPU1 Temp".utf8), "4,CPU1 Temp,Temperature,Nominal,45.00,C,'OK'\n"),
            ([0x54, 0xE9, 0x6D, 0x70], "4,T\u{E9}mp,Temperature,Nominal,45.00,C,'OK'\n"),
        ] as [([UInt8], String)])
    func csvQuotesPerRFC4180(name: [UInt8], line: String) throws {
        let csv = SensorReport.csv([try reading(named: name)])
        #expect(Array(csv.utf8) == Array(line.utf8), "\(csv.debugDescription)")
    }

    /// The table replaces every control character, line breaks included: one sensor is one line.
    @Test func tableShowsControlCharactersAsReplacements() throws {
        let table = SensorReport.table([
            try reading(named: Array("A\nB".utf8)), try reading(named: [0x1B] + Array("]0;x".utf8) + [0x07]),
        ])
        let expected =
            "ID | Name   | Type        | State   | Reading | Units | Event\n"
            + "4  | A\u{FFFD}B    | Temperature | Nominal | 45.00   | C     | 'OK'\n"
            + "4  | \u{FFFD}]0;x\u{FFFD} | Temperature | Nominal | 45.00   | C     | 'OK'\n"
        #expect(Array(table.utf8) == Array(expected.utf8), "\(table.debugDescription)")
        #expect(table.split(separator: "\n").count == 3)
    }
}
