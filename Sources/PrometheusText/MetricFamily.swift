/// The kind of a metric family, written on its `# TYPE` line.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter
    case gauge
    case histogram
    case summary
    case untyped
}

/// One label of a sample. Labels keep the order in which they were given, so output is deterministic.
public struct Label: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One line of output: a value with its labels. `nameSuffix` is appended to the family name and exists for
/// the `_sum`, `_count` and `_bucket` lines of summaries and histograms.
public struct Sample: Hashable, Sendable {
    public var nameSuffix: String
    public var labels: [Label]
    public var value: Double

    public init(labels: [Label] = [], value: Double, nameSuffix: String = "") {
        self.nameSuffix = nameSuffix
        self.labels = labels
        self.value = value
    }

    /// Convenience for the common case of labels written as a dictionary literal of ordered pairs.
    public init(_ labels: KeyValuePairs<String, String>, _ value: Double) {
        self.init(labels: labels.map { Label($0.key, $0.value) }, value: value)
    }
}

/// A metric family: the `# HELP` and `# TYPE` lines and every sample of one metric name.
public struct MetricFamily: Hashable, Sendable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [Sample]

    public init(name: String, help: String, type: MetricType, samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// A gauge family with a single unlabelled sample.
    public static func gauge(_ name: String, help: String, value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, samples: [Sample(value: value)])
    }

    /// The same family with `label` first on every sample. A label of the same name already present on a sample
    /// is replaced, so a caller-supplied `target` label cannot be duplicated.
    public func prependingLabel(_ label: Label) -> MetricFamily {
        var copy = self
        copy.samples = samples.map { sample in
            var sample = sample
            sample.labels.removeAll { $0.name == label.name }
            sample.labels.insert(label, at: 0)
            return sample
        }
        return copy
    }
}

extension Array where Element == MetricFamily {
    /// Every family with `label` first on each sample (see ``MetricFamily/prependingLabel(_:)``).
    public func prependingLabel(_ label: Label) -> [MetricFamily] {
        map { $0.prependingLabel(label) }
    }
}
