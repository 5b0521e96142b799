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
    /// Whether other controllers' sensors were asked (`bridge_sensors`): modules that share a session may differ.
    var bridged: Bool
    var samples: [ThresholdSample]
}

extension SDRCache {
    /// The thresholds read for exactly these sensors, bridged or not, in this session, if any.
    func cachedThresholds(for sensors: [SensorDefinition], bridged: Bool) -> [ThresholdSample]? {
        guard let thresholds, thresholds.sensors == sensors, thresholds.bridged == bridged else { return nil }
        return thresholds.samples
    }

    func keepThresholds(_ samples: [ThresholdSample], for sensors: [SensorDefinition], bridged: Bool) {
        thresholds = CachedThresholds(sensors: sensors, bridged: bridged, samples: samples)
    }
}

/// What one read of thresholds gave: the samples, and whether every request was answered (a bridged request that
/// got no answer leaves its sensor without thresholds this time; such a read is not kept, so the next scrape asks
/// again).
struct ThresholdRead: Sendable {
    var samples: [ThresholdSample]
    var complete: Bool
    /// Controllers whose sensors were not asked (the `skipping` of the read).
    var skipped: Set<BridgeTarget> = []
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
        let bridged = context.module.bridgeSensors
        let samples: [ThresholdSample]
        if let cached = await context.sdr.cachedThresholds(for: sensors, bridged: bridged) {
            samples = cached
        } else {
            let read = try await Self.read(
                sensors, from: context.session, logger: context.logger, bridgeSensors: bridged,
                skipping: bridged ? await context.sdr.bridgesToSkip() : [])
            samples = read.samples
            // Kept for the session unless a controller that may answer later (not one that refused) was missed.
            let refused = Set(await context.sdr.refusedBridges.keys)
            if read.complete, read.skipped.isSubset(of: refused) {
                await context.sdr.keepThresholds(samples, for: sensors, bridged: bridged)
            }
        }
        let excluded = Set(context.module.excludeSensorIDs)
        return ThresholdMetrics.families(samples.filter { !excluded.contains(Int($0.sensor.recordID)) })
    }

    /// Every threshold of `sensors`, with one Get Sensor Thresholds per sensor that needs it, as one batch; with
    /// `bridgeSensors` those of other controllers' sensors are asked of their owners through Send Message, except of
    /// the controllers in `skipping` (known to refuse). A transport failure of a request to the BMC itself is thrown
    /// (the collector is down and nothing is kept); a bridged request that fails leaves only its sensor without
    /// thresholds; completion codes are not errors.
    static func read(
        _ sensors: [SensorDefinition], from session: any IPMIRequester, logger: Logger, bridgeSensors: Bool = false,
        skipping: Set<BridgeTarget> = []
    ) async throws -> ThresholdRead {
        var raw: [RawThresholds?] = Array(repeating: nil, count: sensors.count)
        var requests: [IPMIRequest] = []
        var asked: [Int] = []
        var skipped: Set<BridgeTarget> = []
        for (index, sensor) in sensors.enumerated() {
            switch sensor.thresholdSource(bridgeSensors: bridgeSensors) {
            case .none: continue
            case .record(let thresholds): raw[index] = thresholds
            case .command(_, _, let bridge?) where skipping.contains(bridge): skipped.insert(bridge)
            case .command(let request, let lun, let bridge):
                requests.append(
                    IPMIRequest(
                        netFn: GetSensorThresholdsRequest.netFn, command: GetSensorThresholdsRequest.command,
                        data: request.encode(), lun: lun, bridge: bridge))
                asked.append(index)
            }
        }
        let answers = await session.requests(requests)
        var complete = true
        for (position, (index, answer)) in zip(asked, answers).enumerated() {
            let response: IPMIResponse
            switch answer {
            case .success(let answered):
                response = answered
            case .failure(let error) where requests[position].bridge != nil:
                logger.debug(
                    "no bridged sensor thresholds",
                    metadata: ["sensor": "\(sensors[index].name)", "error": "\(error)"])
                complete = false
                continue
            case .failure(let error):
                throw error
            }
            if response.completionCode != .normal {
                logger.debug(
                    "Get Sensor Thresholds refused",
                    metadata: ["sensor": "\(sensors[index].name)", "completion": "\(response.completionCode)"])
            }
            if requests[position].bridge != nil {
                // A bridged answer that may be Send Message's own refusal says nothing about the sensor; a timeout
                // (C3h) is no answer, to be asked again later.
                if SensorReader.isBridgeRefusal(response.completionCode) { continue }
                if response.completionCode == .timeout {
                    complete = false
                    continue
                }
            }
            raw[index] = sensors[index].thresholds(answer: response)
        }
        let samples = zip(sensors, raw).flatMap { sensor, thresholds in
            thresholds.map { thresholds in
                sensor.convert(thresholds).map { ThresholdSample(sensor: sensor, level: $0.level, value: $0.value) }
            } ?? []
        }
        return ThresholdRead(samples: samples, complete: complete, skipped: skipped)
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
