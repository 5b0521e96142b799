/// Metric and label name rules of the Prometheus data model:
/// metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`,
/// and label names starting with `__` are reserved for Prometheus itself.
public enum MetricNames {
    /// Whether `name` is a valid metric name as it stands.
    public static func isValidMetricName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard let first = bytes.first, isNameStart(first, allowColon: true) else { return false }
            return bytes.allSatisfy { isNameContinuation($0, allowColon: true) }
        }
    }

    /// Whether `name` is a valid, non-reserved label name as it stands.
    public static func isValidLabelName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard let first = bytes.first, isNameStart(first, allowColon: false) else { return false }
            if bytes.count > 1, first == UInt8(ascii: "_"), bytes[1] == UInt8(ascii: "_") { return false }
            return bytes.allSatisfy { isNameContinuation($0, allowColon: false) }
        }
    }

    /// A valid metric name made from `name`: every byte that may not appear becomes `_`, and a leading digit
    /// gets a `_` in front. Returns nil for the empty string, which cannot be repaired.
    public static func sanitizedMetricName(_ name: String) -> String? {
        // Nearly every name is valid already: check first, copy only to repair.
        isValidMetricName(name) ? name : sanitize(name, allowColon: true)
    }

    /// A valid label name made from `name` like ``sanitizedMetricName(_:)``; returns nil for the empty string
    /// and for reserved names (leading `__`), which are dropped rather than guessed at.
    public static func sanitizedLabelName(_ name: String) -> String? {
        if isValidLabelName(name) { return name }
        guard let sanitized = sanitize(name, allowColon: false), !sanitized.hasPrefix("__") else { return nil }
        return sanitized
    }

    private static func sanitize(_ name: String, allowColon: Bool) -> String? {
        guard let first = name.utf8.first else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + 1)
        if !isNameStart(first, allowColon: allowColon) && isNameContinuation(first, allowColon: allowColon) {
            bytes.append(UInt8(ascii: "_"))
        }
        var lastWasMultibyteReplacement = false
        for byte in name.utf8 {
            if isNameContinuation(byte, allowColon: allowColon) {
                bytes.append(byte)
                lastWasMultibyteReplacement = false
            } else if byte & 0xC0 == 0x80 {
                // A UTF-8 continuation byte: the character it belongs to was already replaced by one `_`.
                if !lastWasMultibyteReplacement { bytes.append(UInt8(ascii: "_")) }
                lastWasMultibyteReplacement = true
            } else {
                bytes.append(UInt8(ascii: "_"))
                lastWasMultibyteReplacement = byte >= 0x80
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isNameStart(_ byte: UInt8, allowColon: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
            return true
        case UInt8(ascii: ":"):
            return allowColon
        default:
            return false
        }
    }

    private static func isNameContinuation(_ byte: UInt8, allowColon: Bool) -> Bool {
        isNameStart(byte, allowColon: allowColon) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
