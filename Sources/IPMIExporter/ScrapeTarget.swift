/// A BMC address from a `target` parameter or the `targets:` list: `HOST`, `HOST:PORT`, `[IPV6]:PORT`, `[IPV6]`
/// or a bare IPv6 address. The port defaults to 623, the RMCP port (IPMI v2.0 section 13.1.3).
public struct ScrapeTarget: Hashable, Sendable, CustomStringConvertible {
    public static let defaultPort = 623

    /// Host name or address, without brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int = ScrapeTarget.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Parses a target, or throws a one-line reason fit for a 400 answer.
    public init(parsing text: String) throws(TargetParseError) {
        guard !text.isEmpty else { throw TargetParseError("target is empty") }
        guard text.utf8.count <= 255 + 8 else { throw TargetParseError("target is too long") }
        let (host, portText, bracketed) = try Self.split(text, what: "target")
        if bracketed, !host.utf8.contains(colonByte) {
            throw TargetParseError("brackets are only for IPv6 addresses")
        }
        guard !host.isEmpty else { throw TargetParseError("target has no host") }
        let isIPv6 = host.utf8.contains(colonByte)
        for scalar in host.unicodeScalars {
            let ok: Bool
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_": ok = true
            case ":", "%": ok = isIPv6  // IPv6 groups and zone index
            default: ok = false
            }
            guard ok else { throw TargetParseError("invalid character in target host") }
        }
        self.host = String(host)
        if let portText {
            self.port = try Self.port(portText, what: "target")
        } else {
            self.port = Self.defaultPort
        }
    }

    /// `text` cut into host and port text: `[HOST]` and `[HOST]:PORT` (bracketed), `HOST:PORT`, or `HOST`, where a
    /// host with two colons or more is a bare IPv6 address (the port can only be given with brackets). `what`
    /// ("target", "pattern") names the text in errors.
    package static func split(
        _ text: String, what: String
    ) throws(TargetParseError) -> (host: Substring, port: Substring?, bracketed: Bool) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw TargetParseError("missing ] in IPv6 \(what)") }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard !rest.isEmpty else { return (host, nil, true) }
            guard rest.hasPrefix(":") else { throw TargetParseError("unexpected text after ]") }
            return (host, rest.dropFirst(), true)
        }
        if let colon = text.firstIndex(of: ":"), !text[text.index(after: colon)...].utf8.contains(colonByte) {
            return (text[..<colon], text[text.index(after: colon)...], false)
        }
        return (Substring(text), nil, false)
    }

    /// A port number 1-65535 in decimal digits only.
    package static func port(_ text: Substring, what: String) throws(TargetParseError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(text), (1...65535).contains(value)
        else { throw TargetParseError("invalid port in \(what)") }
        return value
    }

    /// `host:port`, with brackets around IPv6 addresses; the form used in labels and logs.
    public var description: String {
        host.utf8.contains(colonByte) ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Why a target could not be parsed.
public struct TargetParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Looked for byte-wise: `contains(":")` on a string resolves to Foundation's substring search, which bridges
/// through NSString and cost about 1 % of a warm scrape's CPU.
private let colonByte = UInt8(ascii: ":")
