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
        var issues: [RenderIssue] = []
        var merged: [MergedFamily] = []
        var indexByName: [String: Int] = [:]

        for family in families {
            guard let name = MetricNames.sanitizedMetricName(family.name) else {
                issues.append(RenderIssue(kind: .familyDropped, metric: family.name, detail: "empty metric name"))
                continue
            }
            if name != family.name {
                issues.append(
                    RenderIssue(kind: .metricNameSanitized, metric: family.name, detail: "renamed to \(name)"))
            }
            if let index = indexByName[name] {
                guard merged[index].type == family.type else {
                    issues.append(
                        RenderIssue(
                            kind: .conflictingType, metric: name,
                            detail: "\(family.type.rawValue) family dropped, first declared as \(merged[index].type)"))
                    continue
                }
                merged[index].append(family.samples, issues: &issues)
            } else {
                indexByName[name] = merged.count
                var entry = MergedFamily(name: name, help: family.help, type: family.type)
                entry.append(family.samples, issues: &issues)
                merged.append(entry)
            }
        }

        var text = ""
        // A family without samples says nothing; like the Go client library, leave it out.
        for family in merged where !family.isEmpty {
            family.write(into: &text)
        }
        return Rendering(text: text, issues: issues)
    }
}

/// A family after name repair and merging, holding only samples that will be written.
private struct MergedFamily {
    let name: String
    let help: String
    let type: MetricType
    /// The sample lines, already rendered.
    private(set) var body = ""
    private var seenSeries: Set<String> = []

    init(name: String, help: String, type: MetricType) {
        self.name = name
        self.help = help
        self.type = type
    }

    var isEmpty: Bool { body.isEmpty }

    mutating func append(_ samples: [Sample], issues: inout [RenderIssue]) {
        for sample in samples {
            var series = name
            series += sanitizedSuffix(sample.nameSuffix)
            appendLabels(sample.labels, to: &series, issues: &issues)
            guard seenSeries.insert(series).inserted else {
                issues.append(RenderIssue(kind: .duplicateSample, metric: name, detail: "\(series) repeated"))
                continue
            }
            body += series
            body += " "
            body += TextFormat.formatValue(sample.value)
            body += "\n"
        }
    }

    func write(into text: inout String) {
        text += "# HELP \(name) \(TextFormat.escapeHelp(help))\n"
        text += "# TYPE \(name) \(type.rawValue)\n"
        text += body
    }

    private func sanitizedSuffix(_ suffix: String) -> String {
        guard !suffix.isEmpty else { return "" }
        // The suffix continues an already valid name, so only continuation characters matter.
        if MetricNames.isValidMetricName("x" + suffix) { return suffix }
        return MetricNames.sanitizedMetricName("x" + suffix).map { String($0.dropFirst()) } ?? ""
    }

    /// Appends `{name="value",…}` for the labels that survive repair; nothing when none does.
    private func appendLabels(_ labels: [Label], to series: inout String, issues: inout [RenderIssue]) {
        guard !labels.isEmpty else { return }
        // Samples carry a handful of labels: a linear search for repeats beats hashing them.
        var seenNames: [String] = []
        seenNames.reserveCapacity(labels.count)
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
            series += seenNames.isEmpty ? "{" : ","
            seenNames.append(labelName)
            series += labelName
            series += "=\""
            series += TextFormat.escapeLabelValue(label.value)
            series += "\""
        }
        if !seenNames.isEmpty { series += "}" }
    }
}
