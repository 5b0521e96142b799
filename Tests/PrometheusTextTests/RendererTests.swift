import Testing

@testable import PrometheusText

@Suite struct RendererTests {
    @Test func rendersHelpTypeAndSamplesInGivenOrder() {
        let families = [
            MetricFamily(
                name: "ipmi_temperature_celsius", help: "Temperature reading.", type: .gauge,
                samples: [
                    Sample(["id": "12", "name": "CPU Temp"], 41),
                    Sample(["id": "3", "name": "Ambient"], 22.5),
                ]),
            MetricFamily(
                name: "ipmi_up", help: "1 when the collector succeeded.", type: .gauge,
                samples: [Sample(["collector": "ipmi"], 1)]),
        ]
        let expected = """
            # HELP ipmi_temperature_celsius Temperature reading.
            # TYPE ipmi_temperature_celsius gauge
            ipmi_temperature_celsius{id="12",name="CPU Temp"} 41
            ipmi_temperature_celsius{id="3",name="Ambient"} 22.5
            # HELP ipmi_up 1 when the collector succeeded.
            # TYPE ipmi_up gauge
            ipmi_up{collector="ipmi"} 1

            """
        #expect(PrometheusText.render(families) == expected)
    }

    @Test func mergesFamiliesOfTheSameNameIntoTheFirst() {
        let families = [
            MetricFamily(name: "a_total", help: "First help.", type: .counter, samples: [Sample(["t": "1"], 1)]),
            MetricFamily(name: "b", help: "B.", type: .gauge, samples: [Sample(value: 2)]),
            MetricFamily(name: "a_total", help: "Second help.", type: .counter, samples: [Sample(["t": "2"], 3)]),
        ]
        let expected = """
            # HELP a_total First help.
            # TYPE a_total counter
            a_total{t="1"} 1
            a_total{t="2"} 3
            # HELP b B.
            # TYPE b gauge
            b 2

            """
        #expect(PrometheusText.render(families) == expected)
    }

    @Test func dropsALaterFamilyWithAConflictingTypeAndReportsIt() {
        let families = [
            MetricFamily(name: "x", help: "X.", type: .gauge, samples: [Sample(value: 1)]),
            MetricFamily(name: "x", help: "X again.", type: .counter, samples: [Sample(["a": "b"], 2)]),
        ]
        let rendering = PrometheusText.renderReporting(families)
        #expect(rendering.text == "# HELP x X.\n# TYPE x gauge\nx 1\n")
        #expect(rendering.issues.map(\.kind) == [.conflictingType])
    }

    @Test func escapesLabelValuesAndHelp() {
        let family = MetricFamily(
            name: "m", help: "Back\\slash and\nnewline \"quoted\"", type: .gauge,
            samples: [Sample(["v": "a\\b\"c\nd"], 1)])
        let expected = "# HELP m Back\\\\slash and\\nnewline \"quoted\"\n# TYPE m gauge\nm{v=\"a\\\\b\\\"c\\nd\"} 1\n"
        #expect(PrometheusText.render([family]) == expected)
    }

    @Test(arguments: [
        (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
        (0.0, "0"), (-0.0, "0"), (42.0, "42"), (-7.0, "-7"), (1_000_000.0, "1000000"),
        (4_294_967_295.0, "4294967295"), (0.5, "0.5"), (-1.25, "-1.25"), (1e300, "1e+300"),
        (9_007_199_254_740_992.0, "9007199254740992"), (1e16, "1e+16"), (1.5e-7, "1.5e-07"),
    ])
    func formatsValues(value: Double, expected: String) {
        #expect(TextFormat.formatValue(value) == expected)
    }

    @Test func sanitisesInvalidNamesInsteadOfFailing() {
        let families = [
            MetricFamily(
                name: "9bad-name", help: "H.", type: .gauge,
                samples: [
                    Sample(labels: [Label("ok", "1"), Label("bad-label", "2"), Label("__reserved", "3")], value: 1)
                ]
            ),
            MetricFamily(name: "", help: "Empty.", type: .gauge, samples: [Sample(value: 1)]),
            MetricFamily(name: "temp°c", help: "Unicode.", type: .gauge, samples: [Sample(value: 2)]),
        ]
        let rendering = PrometheusText.renderReporting(families)
        let expected = """
            # HELP _9bad_name H.
            # TYPE _9bad_name gauge
            _9bad_name{ok="1",bad_label="2"} 1
            # HELP temp_c Unicode.
            # TYPE temp_c gauge
            temp_c 2

            """
        #expect(rendering.text == expected)
        #expect(
            rendering.issues.map(\.kind) == [
                .metricNameSanitized, .labelNameSanitized, .labelDropped, .familyDropped, .metricNameSanitized,
            ])
    }

    @Test func keepsTheFirstOfDuplicateSeriesAndRepeatedLabelNames() {
        let family = MetricFamily(
            name: "d", help: "D.", type: .gauge,
            samples: [
                Sample(labels: [Label("a", "1"), Label("a", "2")], value: 1),
                Sample(["a": "1"], 5),
                Sample(["a": "3"], 6),
            ])
        let rendering = PrometheusText.renderReporting([family])
        #expect(rendering.text == "# HELP d D.\n# TYPE d gauge\nd{a=\"1\"} 1\nd{a=\"3\"} 6\n")
        #expect(rendering.issues.map(\.kind) == [.labelDropped, .duplicateSample])
    }

    /// Label names are checked once per run of samples that share them; a sample whose names needed repair never
    /// lets the next one skip the check, and a change of names is checked again.
    @Test func repairsLabelNamesOnEverySampleThatNeedsItAmongSamplesThatShareNames() {
        let family = MetricFamily(
            name: "r", help: "R.", type: .gauge,
            samples: [
                Sample(labels: [Label("a", "1"), Label("b", "x")], value: 1),
                Sample(labels: [Label("a", "2"), Label("b", "y")], value: 2),
                Sample(labels: [Label("a", "3"), Label("a", "z")], value: 3),
                Sample(labels: [Label("bad-name", "4")], value: 4),
                Sample(labels: [Label("bad-name", "5")], value: 5),
                Sample(labels: [Label("a", "6"), Label("b", "q\"")], value: 6),
                Sample(labels: [Label("__reserved", "7")], value: 7),
                Sample(labels: [Label("__reserved", "8"), Label("a", "8")], value: 8),
            ])
        let rendering = PrometheusText.renderReporting([family])
        let expected = """
            # HELP r R.
            # TYPE r gauge
            r{a="1",b="x"} 1
            r{a="2",b="y"} 2
            r{a="3"} 3
            r{bad_name="4"} 4
            r{bad_name="5"} 5
            r{a="6",b="q\\""} 6
            r 7
            r{a="8"} 8

            """
        #expect(rendering.text == expected)
        #expect(
            rendering.issues.map(\.kind) == [
                .labelDropped, .labelNameSanitized, .labelNameSanitized, .labelDropped, .labelDropped,
            ])
    }

    @Test func findsRepeatsAcrossMergedFamiliesAndKeepsEveryDistinctSeries() {
        // 300 distinct series (values with escapes and non-ASCII text), then the same 300 again in a second
        // family of the same name: every repeat is dropped and reported, every first one kept in order.
        let values = (0..<300).map { "Temp \($0) °C \"\\\n" }
        let first = MetricFamily(
            name: "t", help: "T.", type: .gauge, samples: values.map { Sample(["name": $0], 1) })
        var second = first
        second.samples = values.reversed().map { Sample(["name": $0], 2) }
        let rendering = PrometheusText.renderReporting([first, second])
        let lines = rendering.text.split(separator: "\n")
        #expect(lines.count == 302)
        #expect(lines[2] == #"t{name="Temp 0 °C \"\\\n"} 1"#)
        #expect(lines[301] == #"t{name="Temp 299 °C \"\\\n"} 1"#)
        #expect(rendering.issues.count == 300)
        #expect(rendering.issues.allSatisfy { $0.kind == .duplicateSample })
        #expect(rendering.issues.first?.detail == #"t{name="Temp 299 °C \"\\\n"} repeated"#)
    }

    /// A summary's `_count` line and a separate family named like it would put one series in the text twice, which
    /// Prometheus rejects; the later one goes, with a report, and a family left with no samples loses its header too.
    @Test func dropsASeriesRepeatedUnderAnotherFamilysSuffix() {
        let families = [
            MetricFamily(
                name: "rpc_seconds", help: "Durations.", type: .summary,
                samples: [Sample(labels: [Label("code", "200")], value: 7, nameSuffix: "_count")]),
            MetricFamily(
                name: "rpc_seconds_count", help: "Clash.", type: .gauge,
                samples: [Sample(["code": "200"], 9)]),
        ]
        let rendering = PrometheusText.renderReporting(families)
        let expected = """
            # HELP rpc_seconds Durations.
            # TYPE rpc_seconds summary
            rpc_seconds_count{code="200"} 7

            """
        #expect(rendering.text == expected)
        #expect(rendering.issues.map(\.kind) == [.duplicateSample])
        #expect(rendering.issues.first?.metric == "rpc_seconds_count")
    }

    @Test func omitsFamiliesWithoutSamplesAndWritesSuffixes() {
        let families = [
            MetricFamily(name: "empty", help: "Nothing.", type: .gauge),
            MetricFamily(
                name: "scrape_seconds", help: "Durations.", type: .summary,
                samples: [
                    Sample(labels: [Label("outcome", "ok")], value: 1.5, nameSuffix: "_sum"),
                    Sample(labels: [Label("outcome", "ok")], value: 3, nameSuffix: "_count"),
                ]),
        ]
        let expected = """
            # HELP scrape_seconds Durations.
            # TYPE scrape_seconds summary
            scrape_seconds_sum{outcome="ok"} 1.5
            scrape_seconds_count{outcome="ok"} 3

            """
        #expect(PrometheusText.render(families) == expected)
    }

    @Test func prependingALabelReplacesAnExistingOneOfTheSameName() {
        let family = MetricFamily(
            name: "u", help: "U.", type: .gauge,
            samples: [Sample(["collector": "ipmi", "target": "spoofed"], 1)])
        let labelled = [family].prependingLabel(Label("target", "10.0.0.1:623"))
        #expect(
            PrometheusText.render(labelled)
                == "# HELP u U.\n# TYPE u gauge\nu{target=\"10.0.0.1:623\",collector=\"ipmi\"} 1\n")
    }

    @Test func validatesNames() {
        #expect(MetricNames.isValidMetricName("ipmi:up_total"))
        #expect(!MetricNames.isValidMetricName("1up"))
        #expect(!MetricNames.isValidMetricName(""))
        #expect(MetricNames.isValidLabelName("_x1"))
        #expect(!MetricNames.isValidLabelName("a:b"))
        #expect(!MetricNames.isValidLabelName("__name__"))
    }
}
