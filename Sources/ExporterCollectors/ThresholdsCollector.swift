import IPMI
import IPMIExporter
import IPMISensors
import Logging
import PrometheusText

/// One threshold of one sensor, converted to the sensor's unit.
struct ThresholdSample: Sendable, Hashable {
    var sensor: SensorDefinition
    var level: SensorThresholdLevel
    var value: Double
}

/// The thresholds read for a set of sensors, kept with the SDRs they came from.
struct CachedThresholds: Sendable {
    var sensors: [SensorDefinition]
    var samples: [ThresholdSample]
}

extension SDRCache {
    /// The thresholds read for exactly these sensors in this session, if any.
    func cachedThresholds(for sensors: [SensorDefinition]) -> [ThresholdSample]? {
        guard let thresholds, thresholds.sensors == sensors else { return nil }
        return thresholds.samples
    }

    func keepThresholds(_ samples: [ThresholdSample], for sensors: [SensorDefinition]) {
        thresholds = CachedThresholds(sensors: sensors, samples: samples)
    }
}

/// The opt-in `thresholds` collector: `ipmi_sensor_threshold{id,name,type,level}` for every threshold a threshold
/// sensor has readable, in the sensor's unit, from Get Sensor Thresholds or the SDR as ``ThresholdSource`` says.
///
/// The thresholds are read once per SDR repository and session: a warm scrape sends no request for them. With the
/// `ipmi` collector in the same module, which checks the repository each scrape, the collector takes the sensors as
/// last read instead of asking Get SDR Repository Info a second time (a changed repository shows in the thresholds
/// one scrape later). Thresholds set at run time (Set Sensor Thresholds) show with the next session or SDR change.
struct ThresholdsCollector: Collector {
    var name: CollectorName { .thresholds }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let sensors: [SensorDefinition]
        if context.module.collectors.contains(.ipmi), let cached = await context.sdr.cachedSensors {
            sensors = cached
        } else {
            sensors = try await context.sdr.sensors(from: context.session, logger: context.logger)
        }
        let samples: [ThresholdSample]
        if let cached = await context.sdr.cachedThresholds(for: sensors) {
            samples = cached
        } else {
            samples = try await Self.read(sensors, from: context.session, logger: context.logger)
            await context.sdr.keepThresholds(samples, for: sensors)
        }
        let excluded = Set(context.module.excludeSensorIDs)
        return ThresholdMetrics.families(samples.filter { !excluded.contains(Int($0.sensor.recordID)) })
    }

    /// Every threshold of `sensors`, with one Get Sensor Thresholds per sensor that needs it, as one batch. A
    /// transport failure is thrown (the collector is down and nothing is kept); completion codes are not errors.
    static func read(
        _ sensors: [SensorDefinition], from session: any IPMIRequester, logger: Logger
    ) async throws -> [ThresholdSample] {
        var raw: [RawThresholds?] = Array(repeating: nil, count: sensors.count)
        var requests: [IPMIRequest] = []
        var asked: [Int] = []
        for (index, sensor) in sensors.enumerated() {
            switch sensor.thresholdSource() {
            case .none: continue
            case .record(let thresholds): raw[index] = thresholds
            case .command(let request, let lun):
                requests.append(
                    IPMIRequest(
                        netFn: GetSensorThresholdsRequest.netFn, command: GetSensorThresholdsRequest.command,
                        data: request.encode(), lun: lun))
                asked.append(index)
            }
        }
        let answers = await session.requests(requests)
        for (index, answer) in zip(asked, answers) {
            let response = try answer.get()
            if response.completionCode != .normal {
                logger.debug(
                    "Get Sensor Thresholds refused",
                    metadata: ["sensor": "\(sensors[index].name)", "completion": "\(response.completionCode)"])
            }
            raw[index] = sensors[index].thresholds(answer: response)
        }
        return zip(sensors, raw).flatMap { sensor, thresholds in
            thresholds.map { thresholds in
                sensor.convert(thresholds).map { ThresholdSample(sensor: sensor, level: $0.level, value: $0.value) }
            } ?? []
        }
    }
}

enum ThresholdMetrics {
    static let name = "ipmi_sensor_threshold"

    /// The `level` label of each threshold.
    static func label(_ level: SensorThresholdLevel) -> String {
        switch level {
        case .lowerNonRecoverable: "lower_non_recoverable"
        case .lowerCritical: "lower_critical"
        case .lowerNonCritical: "lower_non_critical"
        case .upperNonCritical: "upper_non_critical"
        case .upperCritical: "upper_critical"
        case .upperNonRecoverable: "upper_non_recoverable"
        }
    }

    /// One family, always present (empty for a BMC without thresholds), so a dashboard query fails loudly only when
    /// the collector is off.
    static func families(_ samples: [ThresholdSample]) -> [MetricFamily] {
        [
            MetricFamily(
                name: name,
                help: "Threshold of an IPMI sensor in the sensor's unit; level is which of its six thresholds.",
                type: .gauge,
                samples: samples.map { sample in
                    Sample(
                        labels: [
                            Label("id", String(sample.sensor.recordID)), Label("name", sample.sensor.name),
                            Label("type", SensorNames.sensorType(sample.sensor.sensorType)),
                            Label("level", label(sample.level)),
                        ], value: sample.value)
                })
        ]
    }
}
