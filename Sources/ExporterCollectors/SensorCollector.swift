import IPMI
import IPMIExporter
import IPMISensors
import PrometheusText

/// The `ipmi` collector: every sensor of the SDR repository, read with Get Sensor Reading.
struct SensorCollector: Collector {
    var name: CollectorName { .ipmi }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        var sensors = try await context.sdr.sensors(from: context.session, logger: context.logger)
            .filter { !context.module.excludeSensorIDs.contains(Int($0.recordID)) }
        if context.module.entitySensorNames, let names = await context.sdr.entityNames {
            sensors = sensors.map { sensor in
                var named = sensor
                named.name = names.name(of: sensor)
                return named
            }
        }
        // One batch: the session keeps as many reads on the wire as its window allows.
        let reader = SensorReader(
            logger: context.logger, workarounds: SensorWorkarounds(names: context.module.workaroundFlags),
            bridgeSensors: context.module.bridgeSensors)
        let readings: [SensorReading]
        if reader.bridgeSensors {
            // Sensors of other controllers go in the same batch, but not to those that refused in this session or
            // went silent a while ago.
            let batch = try await reader.readAll(
                sensors, from: context.session, skipping: await context.sdr.bridgesToSkip())
            await context.sdr.noteBridgedReads(batch, logger: context.logger)
            readings = batch.readings
        } else {
            readings = try await reader.readAll(sensors, from: context.session)
        }
        if let hint = SensorHints.hint(readings, workarounds: reader.workarounds) {
            context.logger.info("\(hint)")
        }
        return SensorMetrics.families(for: readings)
    }
}

/// What a sensor read that looks like a known BMC fault says: the FreeIPMI workaround flag to try.
enum SensorHints {
    /// A log message when every sensor read came back in a way only a broken BMC answers (all scanning disabled, all
    /// owned by other controllers, or every full record discrete), naming the flag that copes with it; nil otherwise.
    static func hint(_ readings: [SensorReading], workarounds: SensorWorkarounds) -> String? {
        guard !readings.isEmpty else { return nil }
        func all(_ test: (SensorReading) -> Bool) -> Bool { readings.allSatisfy(test) }
        let flag: String
        if !workarounds.contains(.ignoreScanningDisabled), all({ $0.availability == .scanningDisabled }) {
            flag = "ignorescanningdisabled"
        } else if !workarounds.contains(.assumeBMCOwner), all({ $0.availability == .notOwnedByBMC }) {
            flag = "assumebmcowner"
        } else if !workarounds.contains(.discreteReading), all({ !$0.isThreshold }),
            readings.contains(where: { $0.hasConversion && $0.units.baseUnit != 0 })
        {
            flag = "discretereading"
        } else {
            return nil
        }
        return "every sensor of the BMC reads as a known BMC fault; if FreeIPMI needs -W \(flag) for it, "
            + "try workaround_flags: [\(flag)]"
    }
}

/// Sensor readings as ipmi_exporter names them: a typed family per unit (temperature, fan, voltage, current,
/// power) with a `_state` companion, everything else as `ipmi_sensor_value` / `ipmi_sensor_state` with a type.
enum SensorMetrics {
    private struct Kind {
        var value: String
        var valueHelp: String
        var state: String
        var stateHelp: String
        var scale: Double
    }

    private static let stateHelpSuffix = "(0 nominal, 1 warning, 2 critical, NaN unknown)."
    private static let otherValueHelp = "Reading of an IPMI sensor of any other type; see the type label."
    private static let otherStateHelp = "State of an IPMI sensor " + stateHelpSuffix

    private static let temperature = Kind(
        value: "ipmi_temperature_celsius", valueHelp: "Temperature reading in degrees Celsius.",
        state: "ipmi_temperature_state", stateHelp: "State of a temperature sensor " + stateHelpSuffix, scale: 1)
    private static let fanRPM = Kind(
        value: "ipmi_fan_speed_rpm", valueHelp: "Fan speed in rotations per minute.",
        state: "ipmi_fan_speed_state", stateHelp: "State of a fan speed sensor " + stateHelpSuffix, scale: 1)
    private static let fanRatio = Kind(
        value: "ipmi_fan_speed_ratio", valueHelp: "Fan speed as a fraction of its maximum (0-1).",
        state: "ipmi_fan_speed_state", stateHelp: "State of a fan speed sensor " + stateHelpSuffix, scale: 0.01)
    private static let voltage = Kind(
        value: "ipmi_voltage_volts", valueHelp: "Voltage reading in volts.",
        state: "ipmi_voltage_state", stateHelp: "State of a voltage sensor " + stateHelpSuffix, scale: 1)
    private static let current = Kind(
        value: "ipmi_current_amperes", valueHelp: "Current reading in amperes.",
        state: "ipmi_current_state", stateHelp: "State of a current sensor " + stateHelpSuffix, scale: 1)
    private static let power = Kind(
        value: "ipmi_power_watts", valueHelp: "Power reading in watts.",
        state: "ipmi_power_state", stateHelp: "State of a power sensor " + stateHelpSuffix, scale: 1)

    private static func kind(of reading: SensorReading) -> Kind? {
        switch reading.unit {
        case "RPM": fanRPM
        case "C": temperature
        case "A": current
        case "V": voltage
        case "W": power
        case "%" where reading.typeName == "Fan": fanRatio
        default: nil
        }
    }

    static func stateValue(_ state: SensorState) -> Double {
        switch state {
        case .nominal: 0
        case .warning: 1
        case .critical: 2
        case .unknown: .nan
        }
    }

    /// The series ipmi_exporter makes of `ipmimonitoring` output: a value and a state for every sensor it lists.
    static func families(for readings: [SensorReading]) -> [MetricFamily] {
        var families: [String: MetricFamily] = [:]
        var order: [String] = []
        func add(_ name: String, _ help: String, _ sample: Sample) {
            if families[name] == nil {
                families[name] = MetricFamily(name: name, help: help, type: .gauge)
                order.append(name)
            }
            families[name]!.samples.append(sample)
        }
        for reading in readings {
            // ipmimonitoring leaves out a sensor that is not available at all (scanning disabled, reading
            // unavailable, not present), so ipmi_exporter has no series for it.
            if reading.isNotAvailable { continue }
            // ipmi_exporter parses the reading FreeIPMI printed with two decimals, and NaN where it printed N/A:
            // discrete sensors, compact records, non-linear conversions and a sensor that could not be read.
            let value = Double(reading.formattedValue) ?? .nan
            let state = stateValue(reading.state)
            let id = String(reading.recordID)
            if let kind = kind(of: reading) {
                let labels = [Label("id", id), Label("name", reading.name)]
                add(kind.value, kind.valueHelp, Sample(labels: labels, value: value * kind.scale))
                add(kind.state, kind.stateHelp, Sample(labels: labels, value: state))
            } else {
                let labels = [Label("id", id), Label("name", reading.name), Label("type", reading.typeName)]
                add("ipmi_sensor_value", otherValueHelp, Sample(labels: labels, value: value))
                add("ipmi_sensor_state", otherStateHelp, Sample(labels: labels, value: state))
            }
        }
        return order.compactMap { families[$0] }
    }
}
