import IPMI

/// One readable sensor as described by the SDR repository: a full or compact record, or one sensor of a compact
/// record shared by several sensor numbers.
public struct SensorDefinition: Sendable, Hashable {
    public var recordID: UInt16
    /// The name FreeIPMI shows with --shared-sensors (the ID string, plus the instance modifier when shared).
    public var name: String
    public var key: SensorKey
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var sensorType: UInt8
    public var eventReadingType: UInt8
    public var units: SensorUnits
    /// Conversion factors; nil for compact records, which cannot carry analog readings.
    public var conversion: SensorConversion?
    /// Thresholds stored in a full record.
    public var recordThresholds: RawThresholds?
    /// A full record's threshold access support (byte 12 bits 3:2, ``FullSensorRecord/thresholdAccess``); 0 (no
    /// thresholds) for compact records, which carry no threshold values.
    public var thresholdAccess: UInt8

    public init(
        recordID: UInt16, name: String, key: SensorKey, entityID: UInt8 = 0, entityInstance: UInt8 = 0,
        sensorType: UInt8, eventReadingType: UInt8, units: SensorUnits, conversion: SensorConversion? = nil,
        recordThresholds: RawThresholds? = nil, thresholdAccess: UInt8 = 0
    ) {
        self.recordID = recordID
        self.name = name
        self.key = key
        self.entityID = entityID
        self.entityInstance = entityInstance
        self.sensorType = sensorType
        self.eventReadingType = eventReadingType
        self.units = units
        self.conversion = conversion
        self.recordThresholds = recordThresholds
        self.thresholdAccess = thresholdAccess
    }

    public var isThreshold: Bool { eventReadingType == 0x01 }

    /// The sensors of a repository, in record order, shared compact records expanded into one sensor per number
    /// (all with the record's ID). Event-only records and locators carry no readings and are left out.
    public static func sensors(in records: [SDRRecord]) -> [SensorDefinition] {
        (try? sensors(in: records, maximum: .max)) ?? []
    }

    /// The sensors of a repository as ``sensors(in:)``, but at most `maximum`: a repository that describes more
    /// (each shared compact record expands into up to 15, §43.2) throws ``SDRRepositoryError`` as soon as the
    /// expansion passes the limit, before the rest is built.
    public static func sensors(in records: [SDRRecord], maximum: Int) throws(SDRRepositoryError) -> [SensorDefinition] {
        var result: [SensorDefinition] = []
        func append(_ sensor: SensorDefinition) throws(SDRRepositoryError) {
            guard result.count < maximum else {
                throw SDRRepositoryError("the SDR repository describes more than \(maximum) sensors (the limit)")
            }
            result.append(sensor)
        }
        for record in records {
            switch record {
            case .fullSensor(let r):
                try append(
                    SensorDefinition(
                        recordID: r.recordID, name: r.name, key: r.key, entityID: r.entityID,
                        entityInstance: r.entityInstance, sensorType: r.sensorType,
                        eventReadingType: r.eventReadingType, units: r.units, conversion: r.conversion,
                        recordThresholds: r.thresholds, thresholdAccess: r.thresholdAccess))
            case .compactSensor(let r):
                let count = max(1, r.sharing.shareCount)
                for index in 0..<count {
                    var key = r.key
                    // "If the starting sensor number was 10, and the share count was 3, then sensors 10, 11, and 12
                    // would share the record" (§43.2); numbers past 255 do not exist.
                    guard Int(key.sensorNumber) + index <= 0xFF else { break }
                    key.sensorNumber += UInt8(index)
                    let instance =
                        r.sharing.entityInstanceIncrements
                        ? UInt8(truncatingIfNeeded: Int(r.entityInstance) + index) : r.entityInstance
                    try append(
                        SensorDefinition(
                            recordID: r.recordID, name: r.sharing.name(base: r.name, index: index), key: key,
                            entityID: r.entityID, entityInstance: instance, sensorType: r.sensorType,
                            eventReadingType: r.eventReadingType, units: r.units))
                }
            default:
                continue
            }
        }
        return result
    }

    /// Interprets the answer to Get Sensor Reading for this sensor, with FreeIPMI's sensor `workarounds`.
    public func reading(from response: IPMIResponse, workarounds: SensorWorkarounds = []) -> SensorReading {
        var reading = SensorReading(definition: self)
        guard response.completionCode == .normal else {
            reading.availability = .failed(response.completionCode)
            return reading
        }
        let decoded: SensorReadingResponse
        do {
            decoded = try SensorReadingResponse(data: response.data)
        } catch {
            reading.availability = .failed(.requestDataLengthInvalid)
            return reading
        }
        guard decoded.scanningEnabled || workarounds.contains(.ignoreScanningDisabled) else {
            reading.availability = .scanningDisabled
            return reading
        }
        guard !decoded.readingUnavailable else {
            reading.availability = .readingUnavailable
            return reading
        }
        reading.availability = .available
        reading.raw = decoded.raw
        reading.stateMask = decoded.stateMask
        if isThreshold || workarounds.contains(.discreteReading), let conversion {
            reading.value = conversion.value(raw: decoded.raw)
        }
        reading.state = SensorInterpretation.state(
            eventReadingType: eventReadingType, sensorType: sensorType, stateMask: decoded.stateMask)
        reading.events = SensorInterpretation.events(
            eventReadingType: eventReadingType, sensorType: sensorType, stateMask: decoded.stateMask)
        return reading
    }

    /// Converts a raw threshold or reading byte to the sensor's units, when the sensor has conversion factors.
    public func convert(_ raw: UInt8) -> Double? {
        conversion?.value(raw: raw)
    }
}

/// A sensor's reading as the exporter and the CLI consume it.
public struct SensorReading: Sendable, Hashable {
    /// Whether Get Sensor Reading produced something usable.
    public enum Availability: Sendable, Hashable {
        case available
        /// Sensor scanning disabled (byte 2 bit 6 clear).
        case scanningDisabled
        /// "Reading/state unavailable" (byte 2 bit 5 set).
        case readingUnavailable
        /// The sensor belongs to system software or a controller we cannot reach without bridging.
        case notOwnedByBMC
        /// The BMC answered with this completion code (e.g. 0xCB: the sensor is not present).
        case failed(CompletionCode)
        /// The request itself failed (timeout, session lost); the reading is not known.
        case requestFailed
        /// A sensor of another controller, read through Send Message (``SensorReader/bridgeSensors``), that gave no
        /// reading: the BMC refused or could not deliver the request, the controller answered with an error
        /// completion code, or nothing came back. FreeIPMI's `--bridge-sensors` leaves such a sensor out.
        case bridgeFailed
    }

    public var recordID: UInt16
    public var sensorNumber: UInt8
    public var name: String
    public var sensorType: UInt8
    public var eventReadingType: UInt8
    public var units: SensorUnits
    public var isThreshold: Bool
    /// Whether the sensor has conversion factors (a full record): only then is there a numeric reading and unit.
    public var hasConversion: Bool
    public var availability: Availability = .requestFailed
    public var raw: UInt8?
    public var stateMask: UInt16?
    /// The converted reading; nil for discrete sensors and whenever there is no reading (never zero instead).
    public var value: Double?
    public var state: SensorState = .unknown
    /// Event texts of the asserted states; empty means "OK".
    public var events: [String] = []

    public init(definition: SensorDefinition) {
        recordID = definition.recordID
        sensorNumber = definition.key.sensorNumber
        name = definition.name
        sensorType = definition.sensorType
        eventReadingType = definition.eventReadingType
        units = definition.units
        isThreshold = definition.isThreshold
        hasConversion = definition.conversion != nil
    }

    /// The sensor type name FreeIPMI prints, e.g. "Temperature", "Drive Slot".
    public var typeName: String { SensorNames.sensorType(sensorType) }

    /// The unit FreeIPMI prints: the abbreviated unit for threshold sensors with a full record (and discrete ones
    /// read as analog with `discretereading`), "N/A" for discrete sensors and compact records (which cannot carry a
    /// reading).
    public var unit: String { (isThreshold || value != nil) && hasConversion ? units.abbreviation : "N/A" }

    /// Whether FreeIPMI calls the sensor "not available" (reading, state and event all N/A): scanning disabled, reading
    /// unavailable, not owned by the BMC, or a completion code that says the sensor is not there. These are the
    /// sensors `ipmimonitoring` (`--ignore-not-available-sensors`) leaves out; a sensor that could not be read for
    /// another reason is shown with an `Unknown` event instead.
    public var isNotAvailable: Bool {
        switch availability {
        case .scanningDisabled, .readingUnavailable, .notOwnedByBMC, .bridgeFailed: true
        case .failed(let code): SensorReading.notPresentCodes.contains(code)
        case .available, .requestFailed: false
        }
    }

    /// The event column of ipmi-sensors/ipmimonitoring: `'OK'`, the quoted asserted states separated by spaces,
    /// `N/A` when the sensor has no reading, `Unknown` when it could not be read.
    public var eventText: String {
        if availability == .available {
            if events.isEmpty { return "'OK'" }
            return events.map { "'" + $0 + "'" }.joined(separator: " ")
        }
        return isNotAvailable ? "N/A" : "Unknown"
    }

    /// Completion codes FreeIPMI treats as "this sensor has no reading" rather than as an error.
    static let notPresentCodes: Set<CompletionCode> = [
        .requestedDataNotPresent, .commandIllegalForSensor, .parameterOutOfRange, .invalidDataField,
        .responseNotProvided, .destinationUnavailable, CompletionCode(rawValue: 0x80),
    ]

    /// The reading with two decimals exactly as FreeIPMI prints it, or "N/A".
    public var formattedValue: String {
        guard let value else { return "N/A" }
        return formatTwoDecimals(roundLikeFreeIPMI(value))
    }

    /// One line in the layout of `ipmimonitoring --comma-separated-output --no-header-output --output-sensor-state
    /// --shared-sensors` (and `ipmi-sensors` with the same options): `id,name,type,state,reading,unit,event`.
    ///
    /// Fields are quoted as RFC 4180 says (see ``SensorReport/csvField(_:)``): the name comes from the BMC, and a
    /// newline or comma in it must not split the row or forge another.
    public var csvLine: String {
        [String(recordID), name, typeName, state.rawValue, formattedValue, unit, eventText].map(SensorReport.csvField)
            .joined(separator: ",")
    }
}

/// ipmi-sensors rounds a reading before printing it with `%.2f`: the hundredths are rounded up only when the rest
/// exceeds one half, and for negative readings the hundredths are truncated towards zero. We repeat that arithmetic
/// step by step (IEEE doubles give the same result) so that the printed values agree to the last digit.
func roundLikeFreeIPMI(_ d: Double) -> Double {
    guard d.isFinite, abs(d) < 9e15 else { return d }
    let whole = d.rounded(.towardZero)
    let r = (d - whole) * 100.0
    let rWhole = r.rounded(.towardZero)
    if r - rWhole > 0.5 { return whole + (rWhole + 1) / 100.0 }
    return whole + rWhole / 100.0
}

/// `%.2f` of the value rounded half away from zero at two decimals, without Foundation.
package func formatTwoDecimals(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    let scaled = (value * 100).rounded(.toNearestOrAwayFromZero)
    guard abs(scaled) < 9e17 else { return String(value) }
    let hundredths = Int(scaled)
    let negative = scaled < 0 || (scaled == 0 && value.sign == .minus)
    let magnitude = abs(hundredths)
    let fraction = magnitude % 100
    return (negative ? "-" : "") + String(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
}
