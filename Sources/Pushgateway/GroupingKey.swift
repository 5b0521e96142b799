/// The labels that identify a group on the Pushgateway: `job` plus further label pairs, in order.
/// Its `path` is the URL path the gateway expects, `/metrics/job/<job>{/<name>/<value>}`.
public struct GroupingKey: Sendable, Hashable {
    public var job: String
    public var labels: [(name: String, value: String)]

    public init(job: String, labels: [(name: String, value: String)] = []) {
        self.job = job
        self.labels = labels
    }

    /// The usual group of this exporter's batch mode: one per scraped BMC.
    public static func instance(_ instance: String, job: String) -> GroupingKey {
        GroupingKey(job: job, labels: [("instance", instance)])
    }

    /// The path below the gateway's base URL. Values that are empty, contain `/`, or any character
    /// beyond `[A-Za-z0-9._~:-]` are written as `name@base64/<URL-safe base64>`, which the gateway
    /// decodes (README, "URL"): a plain `/` would split the path and an empty value would vanish.
    public var path: String {
        var path = "/metrics" + Self.segment(name: "job", value: job)
        for label in labels {
            path += Self.segment(name: label.name, value: label.value)
        }
        return path
    }

    private static func segment(name: String, value: String) -> String {
        if !value.isEmpty, value.utf8.allSatisfy(isPlain) {
            return "/\(name)/\(value)"
        }
        return "/\(name)@base64/\(base64URLEncoded(value))"
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// RFC 4648 §5 (URL and filename safe alphabet) with `=` padding; the empty string becomes `=`
    /// because the gateway needs at least one character to keep the path segment.
    static func base64URLEncoded(_ value: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let bytes = Array(value.utf8)
        if bytes.isEmpty { return "=" }
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 0x3F)])
            out.append(alphabet[Int(triple >> 12 & 0x3F)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func == (lhs: GroupingKey, rhs: GroupingKey) -> Bool {
        lhs.job == rhs.job && lhs.labels.elementsEqual(rhs.labels) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(job)
        for label in labels {
            hasher.combine(label.name)
            hasher.combine(label.value)
        }
    }
}
