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
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw TargetParseError("missing ] in IPv6 target") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw TargetParseError("unexpected text after ]") }
                portText = rest.dropFirst()
            }
            guard host.utf8.contains(colonByte) else { throw TargetParseError("brackets are only for IPv6 addresses") }
        } else if let colon = text.firstIndex(of: ":") {
            if text[text.index(after: colon)...].utf8.contains(colonByte) {
                host = Substring(text)  // a bare IPv6 address; the port can only be given with brackets
            } else {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            }
        } else {
            host = Substring(text)
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
        var port = Self.defaultPort
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let value = Int(portText), (1...65535).contains(value)
            else { throw TargetParseError("invalid port in target") }
            port = value
        }
        self.host = String(host)
        self.port = port
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
