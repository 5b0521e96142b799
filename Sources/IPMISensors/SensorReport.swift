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
}
