/// Text renderings of a set of readings for the `sensors` command.
public enum SensorReport {
    /// One line per sensor in the layout of `ipmimonitoring --comma-separated-output --no-header-output
    /// --output-sensor-state --shared-sensors`, each ending in a newline.
    public static func csv(_ readings: [SensorReading]) -> String {
        readings.map { $0.csvLine + "\n" }.joined()
    }

    /// An aligned table for people, with a header line, in the column order of the CSV layout.
    public static func table(_ readings: [SensorReading]) -> String {
        let header = ["ID", "Name", "Type", "State", "Reading", "Units", "Event"]
        let rows = readings.map {
            [String($0.recordID), $0.name, $0.typeName, $0.state.rawValue, $0.formattedValue, $0.unit, $0.eventText]
                .map { printable($0, keepingLineBreaks: false) }
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                if index > 0 { text += " | " }
                // The last column is not padded, so lines carry no trailing blanks.
                text +=
                    index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            return text + "\n"
        }
        return ([line(header)] + rows.map(line)).joined()
    }

    /// One CSV field per RFC 4180 §2: a field holding a comma, a double quote, CR or LF is enclosed in double quotes
    /// and its double quotes are doubled; any other field is written as it is. Control characters other than CR and
    /// LF, which RFC 4180 has no place for, are replaced (see ``printable(_:keepingLineBreaks:)``).
    public static func csvField(_ text: String) -> String {
        let clean = printable(text, keepingLineBreaks: true)
        guard clean.unicodeScalars.contains(where: { [",", "\"", "\r", "\n"].contains($0) }) else { return clean }
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in clean.unicodeScalars {
            if scalar == "\"" { quoted.append("\"") }
            quoted.append(scalar)
        }
        quoted.append("\"")
        return String(quoted)
    }

    /// `text` with every control character (C0, DEL, and C1, which Latin-1 ID strings can hold as bytes 80h–9Fh,
    /// §43.15) replaced by U+FFFD, CR and LF kept when `keepingLineBreaks`. A BMC's sensor names reach a terminal
    /// through these outputs: escape sequences in them could rewrite what the operator sees.
    public static func printable(_ text: String, keepingLineBreaks: Bool) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            if keepingLineBreaks, scalar == "\r" || scalar == "\n" { return false }
            return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var clean = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            clean.append(isControl(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(clean)
    }
}
