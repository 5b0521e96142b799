/// Escaping and number formatting of the text exposition format, version 0.0.4.
public enum TextFormat {
    /// The Content-Type of the format this target renders.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A label value with `\`, `"` and line feed escaped as the format requires.
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 8)
        appendEscapedLabelValue(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` with `\`, `"` and line feed escaped, as UTF-8, copying runs without escapes whole (the
    /// renderer writes bytes; ``escapeLabelValue(_:)`` is this as a String).
    static func appendEscapedLabelValue(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let escaped: (UInt8, UInt8)
                switch bytes[index] {
                case 0x5C: escaped = (0x5C, 0x5C)  // \ → \\
                case 0x22: escaped = (0x5C, 0x22)  // " → \"
                case 0x0A: escaped = (0x5C, UInt8(ascii: "n"))
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(escaped.0)
                out.append(escaped.1)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// A HELP text with `\` and line feed escaped (quotes stay as they are in HELP lines).
    public static func escapeHelp(_ help: String) -> String {
        guard help.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A }) else { return help }
        var out = ""
        out.reserveCapacity(help.utf8.count + 8)
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A sample value as Prometheus parses it: `NaN`, `+Inf`, `-Inf`; integral values below 2^53 in magnitude
    /// as plain integers (`42`, not `42.0` or `4.2e1`); everything else in Swift's shortest round-trip form.
    public static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return "0" }  // also for -0.0, which would otherwise print as "-0"
        if value == value.rounded(.towardZero) && value.magnitude < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        let text = value.description
        // Swift writes integral values up to 2^53 as "9007199254740992.0"; the ".0" carries nothing.
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
