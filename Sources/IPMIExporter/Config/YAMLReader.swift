import Foundation
import Yams

/// Typed access to a composed YAML tree that reports every problem with file, line and column.
package struct YAMLReader {
    package let file: String

    package init(file: String) {
        self.file = file
    }

    package func location(_ node: Node) -> ConfigLocation {
        location(node.mark)
    }

    package func location(_ mark: Mark?) -> ConfigLocation {
        ConfigLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    package func error(_ node: Node, _ message: String) -> ConfigError {
        ConfigError(location: location(node), message: message)
    }

    package func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The entries of a mapping in file order, with string keys. A null node reads as an empty mapping.
    package func mapping(
        _ node: Node, _ what: String
    ) throws(ConfigError) -> [(key: String, keyNode: Node, value: Node)] {
        if isNull(node) { return [] }
        guard case .mapping(let mapping) = node else {
            throw error(node, "\(what) must be a mapping, found \(kind(node))")
        }
        var seen: Set<String> = []
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else { throw error(keyNode, "keys in \(what) must be strings") }
            guard seen.insert(key.string).inserted else {
                throw error(keyNode, "duplicate key \"\(key.string)\" in \(what)")
            }
            entries.append((key.string, keyNode, value))
        }
        return entries
    }

    /// The items of a sequence. A null node reads as an empty list.
    package func sequence(_ node: Node, _ what: String) throws(ConfigError) -> [Node] {
        if isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            throw error(node, "\(what) must be a list, found \(kind(node))")
        }
        return Array(sequence)
    }

    /// A scalar as text. Numbers and booleans are accepted as written (`pass: 1234` is a password).
    package func string(_ node: Node, _ what: String) throws(ConfigError) -> String {
        if isNull(node) { return "" }
        guard case .scalar(let scalar) = node else {
            throw error(node, "\(what) must be a string, found \(kind(node))")
        }
        return scalar.string
    }

    /// A decimal or `0x` hexadecimal integer within `range`.
    package func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .scalar(let scalar) = node, !isNull(node) else {
            throw error(node, "\(what) must be an integer, found \(kind(node))")
        }
        let text = scalar.string.replacingOccurrences(of: "_", with: "")
        let value: Int?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            value = Int(text.dropFirst(2), radix: 16)
        } else {
            value = Int(text)
        }
        guard let value else { throw error(node, "\(what) must be an integer, found \"\(scalar.string)\"") }
        guard range.contains(value) else {
            throw error(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
        }
        return value
    }

    /// The longest duration any config key accepts. Every duration in a config is a timeout or an interval of a
    /// running exporter, for which a day is already far more than sensible; without a bound, a value like
    /// `999999999h` loads and only fails (or traps) when something converts it to a timer.
    package static let longestDuration: Duration = .seconds(86_400)
    package static let longestDurationText = "24h"

    /// A duration like `30s`, `5m` or `1500ms`, at most ``longestDuration``; positive unless `allowZero` (then `0s`
    /// is accepted too).
    package func duration(_ node: Node, _ what: String, allowZero: Bool = false) throws(ConfigError) -> Duration {
        let text = try string(node, what)
        guard let duration = Self.parseDuration(text), duration > .zero || (allowZero && duration == .zero),
            duration <= Self.longestDuration
        else {
            let kind = allowZero ? "a duration (0s or more)" : "a positive duration"
            throw error(
                node,
                "\(what) must be \(kind) of at most \(Self.longestDurationText) like 30s, 5m or 1500ms, found \"\(text)\""
            )
        }
        return duration
    }

    package static func parseDuration(_ text: String) -> Duration? {
        // Prometheus's units, and microseconds (Go's `us`/`µs`) for the sub-millisecond read coalescing.
        let units: [(String, Int64)] = [
            ("ms", 1000), ("us", 1), ("µs", 1), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
            ("d", 86_400_000_000),
        ]
        var rest = Substring(text)
        var microseconds: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            let (scaled, overflow) = number.multipliedReportingOverflow(by: factor)
            let (sum, overflowAgain) = microseconds.addingReportingOverflow(scaled)
            guard !overflow, !overflowAgain else { return nil }
            microseconds = sum
        }
        return .microseconds(microseconds)
    }

    package func kind(_ node: Node) -> String {
        switch node {
        case .scalar: isNull(node) ? "nothing" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

extension YAMLReader {
    /// `true` or `false` (YAML 1.2 core schema spellings).
    package func boolean(_ node: Node, _ what: String) throws(ConfigError) -> Bool {
        guard case .scalar(let scalar) = node else {
            throw error(node, "\(what) must be true or false, found \(kind(node))")
        }
        switch scalar.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw error(node, "\(what) must be true or false, found \"\(scalar.string)\"")
        }
    }

    /// `path` itself if absolute, else relative to `baseDirectory`.
    package static func resolve(_ path: String, baseDirectory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).path
    }

    /// The file's bytes, for a path relative to `baseDirectory` unless absolute.
    package func fileContents(_ node: Node, _ what: String, baseDirectory: String) throws(ConfigError) -> [UInt8] {
        let path = try string(node, what)
        guard !path.isEmpty else { throw error(node, "\(what) is empty") }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: Self.resolve(path, baseDirectory: baseDirectory))))
        } catch {
            throw self.error(node, "cannot read \(what) \(path): \(ConfigLoader.reason(error))")
        }
    }
}
