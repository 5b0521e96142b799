/// Something the renderer repaired or left out so that its output stays valid. Collected rather than thrown:
/// odd data from a BMC must never cost the rest of a scrape.
public struct RenderIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A metric name was made valid by replacing characters.
        case metricNameSanitized
        /// A family was dropped because its name was empty.
        case familyDropped
        /// A family repeated a name with a different type; its samples were dropped (the first type wins).
        case conflictingType
        /// A label name was made valid by replacing characters.
        case labelNameSanitized
        /// A label was dropped: empty or reserved name, or the same name twice on one sample.
        case labelDropped
        /// A sample repeated the name and label set of an earlier one; the first was kept.
        case duplicateSample
    }

    public var kind: Kind
    public var metric: String
    public var detail: String

    public init(kind: Kind, metric: String, detail: String) {
        self.kind = kind
        self.metric = metric
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue) \(metric): \(detail)" }
}

/// The rendered text and what had to be repaired on the way.
public struct Rendering: Sendable {
    public var text: String
    public var issues: [RenderIssue]
}

/// Renders metric families in the Prometheus text exposition format, version 0.0.4.
///
/// Output order is deterministic: families appear in the order they are first given (callers pass collector
/// output in a fixed order, and keeping it groups related metrics together); samples keep insertion order.
/// Families given more than once under one name are merged into the first occurrence, so HELP and TYPE appear
/// once; the first HELP and TYPE win. A later family with the same name but a different type is dropped and
/// reported, since one name cannot carry two types. Invalid metric and label names are repaired (invalid
/// characters become `_`) or dropped, never passed through and never a crash. Families without samples are
/// left out.
public enum PrometheusText {
    /// The text for `families`, ignoring repair reports.
    public static func render(_ families: [MetricFamily]) -> String {
        renderReporting(families).text
    }

    /// The text for `families` and the list of repairs made.
    public static func renderReporting(_ families: [MetricFamily]) -> Rendering {
        // Each repair with the index of the family it concerns, so that the report follows the input order although
        // names are checked before any sample is written.
        var issues: [(family: Int, issue: RenderIssue)] = []
        // Families under one (repaired) name form a group, in order of first appearance; the group's members are
        // chained through `nextMember`, so grouping allocates nothing per family.
        var groups: [FamilyGroup] = []
        var groupByName: [String: Int] = [:]
        var nextMember = [Int](repeating: -1, count: families.count)
        var sampleCount = 0
        var byteEstimate = 0

        for (index, family) in families.enumerated() {
            guard let name = MetricNames.sanitizedMetricName(family.name) else {
                issues.append(
                    (index, RenderIssue(kind: .familyDropped, metric: family.name, detail: "empty metric name")))
                continue
            }
            if name != family.name {
                issues.append(
                    (index, RenderIssue(kind: .metricNameSanitized, metric: family.name, detail: "renamed to \(name)")))
            }
            if let group = groupByName[name] {
                guard groups[group].type == family.type else {
                    issues.append(
                        (
                            index,
                            RenderIssue(
                                kind: .conflictingType, metric: name,
                                detail:
                                    "\(family.type.rawValue) family dropped, first declared as \(groups[group].type)")
                        ))
                    continue
                }
                nextMember[groups[group].lastMember] = index
                groups[group].lastMember = index
            } else {
                groupByName[name] = groups.count
                groups.append(
                    FamilyGroup(
                        name: name, help: family.help, type: family.type, firstMember: index, lastMember: index))
            }
            sampleCount += family.samples.count
            byteEstimate += family.samples.count * (name.utf8.count + 48)
        }

        // Built as UTF-8 bytes and turned into a String once: appending to a String piece by piece costs a
        // capacity and ASCII-flag update per piece, several times the copying itself.
        var writer = ExpositionWriter(byteCapacity: byteEstimate + groups.count * 128, seriesCapacity: sampleCount)
        for group in groups {
            let mark = writer.text.count
            writer.header(group)
            var wroteSamples = false
            var member = group.firstMember
            var sampleIssues: [RenderIssue] = []
            while member >= 0 {
                if writer.append(families[member].samples, of: group.name, issues: &sampleIssues) {
                    wroteSamples = true
                }
                for issue in sampleIssues { issues.append((member, issue)) }
                sampleIssues.removeAll(keepingCapacity: true)
                member = nextMember[member]
            }
            // A family without samples says nothing; like the Go client library, leave it out.
            if !wroteSamples { writer.text.removeSubrange(mark...) }
        }
        let ordered = issues.enumerated().sorted { ($0.element.family, $0.offset) < ($1.element.family, $1.offset) }
        return Rendering(text: String(decoding: writer.text, as: UTF8.self), issues: ordered.map(\.element.issue))
    }
}

/// The families given under one name, after name repair: the first one's HELP and TYPE, and the first and last
/// family of the group (by index into the caller's array).
private struct FamilyGroup {
    let name: String
    let help: String
    let type: MetricType
    let firstMember: Int
    var lastMember: Int
}

/// The exposition text being written, and what is needed to keep it valid: where each series (name and labels) was
/// written, to drop a repeated one by comparing bytes instead of building a String per sample.
private struct ExpositionWriter {
    var text: [UInt8] = []
    /// Where each written series is in `text`, and the first one by a hash of its bytes.
    private var series: [Range<Int>] = []
    private var seriesByHash: [UInt64: Int] = [:]
    /// Label names of the sample being written, kept to reuse its storage.
    private var seenNames: [String] = []
    /// The label names of the last sample whose names needed no repair: a family's samples nearly always share their
    /// label names, and a sample with exactly these skips checking them again.
    private var checkedNames: [String] = []

    init(byteCapacity: Int, seriesCapacity: Int) {
        text.reserveCapacity(byteCapacity)
        series.reserveCapacity(seriesCapacity)
        seriesByHash.reserveCapacity(seriesCapacity)
    }

    mutating func header(_ group: FamilyGroup) {
        text.append(contentsOf: "# HELP ".utf8)
        text.append(contentsOf: group.name.utf8)
        text.append(UInt8(ascii: " "))
        text.append(contentsOf: TextFormat.escapeHelp(group.help).utf8)
        text.append(contentsOf: "\n# TYPE ".utf8)
        text.append(contentsOf: group.name.utf8)
        text.append(UInt8(ascii: " "))
        text.append(contentsOf: group.type.rawValue.utf8)
        text.append(UInt8(ascii: "\n"))
        checkedNames.removeAll(keepingCapacity: true)
    }

    /// Writes the sample lines of one family named `name`; whether any was written.
    mutating func append(_ samples: [Sample], of name: String, issues: inout [RenderIssue]) -> Bool {
        var wrote = false
        for sample in samples {
            let start = text.count
            text.append(contentsOf: name.utf8)
            text.append(contentsOf: sanitizedSuffix(sample.nameSuffix).utf8)
            appendLabels(sample.labels, of: name, issues: &issues)
            let written = start..<text.count
            let hash = Self.fnv1a(text[written])
            if let earlier = seriesByHash[hash], isRepeat(written, firstWithSameHash: earlier) {
                let repeated = String(decoding: text[written], as: UTF8.self)
                text.removeSubrange(written)
                issues.append(RenderIssue(kind: .duplicateSample, metric: name, detail: "\(repeated) repeated"))
                continue
            }
            if seriesByHash[hash] == nil { seriesByHash[hash] = series.count }
            series.append(written)
            text.append(UInt8(ascii: " "))
            text.append(contentsOf: TextFormat.formatValue(sample.value).utf8)
            text.append(UInt8(ascii: "\n"))
            wrote = true
        }
        return wrote
    }

    /// Whether the bytes in `written` equal an earlier series. Distinct series with one hash are so rare that
    /// after the first candidate the rest are simply all compared.
    private func isRepeat(_ written: Range<Int>, firstWithSameHash first: Int) -> Bool {
        series[first...].contains { text[$0].elementsEqual(text[written]) }
    }

    /// FNV-1a, 64 bit: only a bucket key for the repeat check, so it needs to be fast, not strong.
    private static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.withUnsafeBufferPointer { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            return hash
        }
    }

    private func sanitizedSuffix(_ suffix: String) -> String {
        guard !suffix.isEmpty else { return "" }
        // The suffix continues an already valid name, so only continuation characters matter.
        if MetricNames.isValidMetricName("x" + suffix) { return suffix }
        return MetricNames.sanitizedMetricName("x" + suffix).map { String($0.dropFirst()) } ?? ""
    }

    /// Appends `{name="value",…}` for the labels that survive repair; nothing when none does.
    private mutating func appendLabels(_ labels: [Label], of name: String, issues: inout [RenderIssue]) {
        guard !labels.isEmpty else { return }
        if labels.count == checkedNames.count, zip(labels, checkedNames).allSatisfy({ $0.name == $1 }) {
            for (index, label) in labels.enumerated() {
                appendLabel(label.name, label.value, first: index == 0)
            }
            text.append(UInt8(ascii: "}"))
            return
        }
        let issuesBefore = issues.count
        defer {
            if issues.count == issuesBefore {
                checkedNames.removeAll(keepingCapacity: true)
                for label in labels { checkedNames.append(label.name) }
            }
        }
        // Samples carry a handful of labels: a linear search for repeats beats hashing them.
        seenNames.removeAll(keepingCapacity: true)
        for label in labels {
            guard let labelName = MetricNames.sanitizedLabelName(label.name) else {
                issues.append(
                    RenderIssue(kind: .labelDropped, metric: name, detail: "invalid label name \"\(label.name)\""))
                continue
            }
            if labelName != label.name {
                issues.append(
                    RenderIssue(
                        kind: .labelNameSanitized, metric: name, detail: "label \(label.name) renamed to \(labelName)")
                )
            }
            guard !seenNames.contains(labelName) else {
                issues.append(RenderIssue(kind: .labelDropped, metric: name, detail: "label \(labelName) repeated"))
                continue
            }
            appendLabel(labelName, label.value, first: seenNames.isEmpty)
            seenNames.append(labelName)
        }
        if !seenNames.isEmpty { text.append(UInt8(ascii: "}")) }
    }

    /// Appends `{name="value"` for the first label of a sample, `,name="value"` for the others.
    private mutating func appendLabel(_ labelName: String, _ value: String, first: Bool) {
        text.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        text.append(contentsOf: labelName.utf8)
        text.append(contentsOf: "=\"".utf8)
        TextFormat.appendEscapedLabelValue(value, to: &text)
        text.append(UInt8(ascii: "\""))
    }
}
