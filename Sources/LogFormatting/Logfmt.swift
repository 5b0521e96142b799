/// logfmt lines (`key=value key="quoted value"`) and JSON string literals, the one quoting routine shared by the
/// exporter's log handler and the batch push report.
public enum Logfmt {
    /// `key=value` pairs joined by spaces, each value through ``value(_:)``; keys are written as they are.
    public static func line(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0)=\(value($0.1))" }.joined(separator: " ")
    }

    /// A logfmt value: bare when it is not empty and has no space, `=`, `"`, `\` or control character, otherwise
    /// quoted and escaped.
    public static func value(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        return "\"" + escaped(value) + "\""
    }

    /// A JSON string literal (RFC 8259 §7).
    public static func jsonString(_ value: String) -> String {
        "\"" + escaped(value) + "\""
    }

    /// `"` and `\` escaped, `\n`, `\r` and `\t` by name and any other control character as `\u00XX`, so that no
    /// value can break a line in two or send escape sequences to the terminal reading the log.
    private static func escaped(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
