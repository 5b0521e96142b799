import IPMI
import IPMISensors

/// Sensors, the SDR repository, the SEL, DCMI power and IPMB bridging.
extension SimulatedBMC {
    /// Per-BMC seed for readings: the index, so BMC 3 always reads the same and differs from BMC 4.
    var readingSeed: UInt64 { seed }

    /// Get Sensor Reading (IPMI v2.0 section 35.14): reading, flags (event messages and scanning enabled),
    /// then threshold comparison status, or the discrete state bits 0-7 and 8-14.
    func sensorReading(_ data: [UInt8], now: Double) -> (CompletionCode, [UInt8]) {
        guard let number = data.first else { return (.requestDataLengthInvalid, []) }
        guard let sensor = profile.sensor(number: number) else { return (.requestedDataNotPresent, []) }
        // Byte 2: event messages enabled (bit 7), scanning enabled (bit 6), which the `ignorescanningdisabled`
        // quirk clears although the reading is good (IPMI v2.0 §35.14).
        let flags: UInt8 = quirks.contains(.ignorescanningdisabled) ? 0x80 : 0xC0
        if sensor.isThreshold {
            let raw = sensor.rawReading(at: now, bmcSeed: readingSeed)
            return (.normal, [raw, flags, 0xC0 | sensor.thresholdStatus(raw: raw)])
        }
        return (.normal, [0x00, flags, UInt8(sensor.states & 0xFF), 0x80 | UInt8(sensor.states >> 8 & 0x7F)])
    }

    /// Get Sensor Thresholds (IPMI v2.0 section 35.9): readable mask, then LNC, LC, LNR, UNC, UC, UNR.
    func sensorThresholds(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let request = try? GetSensorThresholdsRequest(decoding: data) else {
            return (.requestDataLengthInvalid, [])
        }
        guard let sensor = profile.sensor(number: request.sensorNumber) else { return (.requestedDataNotPresent, []) }
        guard sensor.isThreshold else { return (.commandIllegalForSensor, []) }
        var values: [SensorThresholdLevel: UInt8] = [:]
        for (level, raw) in zip(SensorThresholdLevel.allCases, sensor.rawThresholds) { values[level] = raw }
        return (.normal, GetSensorThresholdsResponse(values: values).encode())
    }

    /// The SDR repository's timestamps move with every (simulated) boot.
    var sdrTimestamp: UInt32 { bootTime }

    /// Get SDR Repository Info (IPMI v2.0 section 33.9): version 51h, record count, free space, addition and
    /// erase timestamps, operations (non-modal update, Reserve supported).
    func sdrRepositoryInfo() -> (CompletionCode, [UInt8]) {
        let count = UInt16(profile.sdrRecords.count)
        return (
            .normal,
            [0x51] + littleEndian(count) + littleEndian(UInt16(0x0800)) + littleEndian(sdrTimestamp)
                + littleEndian(sdrTimestamp) + [0x22]
        )
    }

    /// Get SDR (IPMI v2.0 section 33.12): reservation (checked for partial reads), record ID (0000h first,
    /// FFFFh last), offset, byte count (FFh = to the end). Answers the next record ID and the bytes.
    func getSDR(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard data.count >= 6 else { return (.requestDataLengthInvalid, []) }
        let reservation = UInt16(data[0]) | UInt16(data[1]) << 8
        let requested = UInt16(data[2]) | UInt16(data[3]) << 8
        let offset = Int(data[4])
        let records = profile.sdrRecords
        guard !records.isEmpty else { return (.requestedDataNotPresent, []) }
        if offset != 0 || reservation != 0 {
            guard reservation == sdrReservation, reservation != 0 else { return (.reservationCancelled, []) }
        }
        let index: Int
        switch requested {
        case 0x0000: index = 0
        case 0xFFFF: index = records.count - 1
        default: index = Int(requested) - 1
        }
        guard index >= 0, index < records.count else { return (.requestedDataNotPresent, []) }
        let record = served(records[index])
        guard offset <= record.count else { return (.parameterOutOfRange, []) }
        let count = data[5] == 0xFF ? record.count - offset : min(Int(data[5]), record.count - offset)
        // Record IDs are 1-based indices; the `assumemaxsdrrecordcount` quirk chains the last back to the first.
        let last: UInt16 = quirks.contains(.assumemaxsdrrecordcount) ? 0x0001 : 0xFFFF
        let next: UInt16 = index + 1 < records.count ? UInt16(index + 2) : last
        return (.normal, littleEndian(next) + record[offset..<(offset + count)])
    }

    /// A record as the BMC hands it out: the sensor quirks rewrite fields of full (01h) and compact (02h) sensor
    /// records (IPMI v2.0 §43.1, §43.2; byte 6 is the owner ID, byte 14 the event/reading type).
    func served(_ record: [UInt8]) -> [UInt8] {
        guard quirks.contains(.assumebmcowner) || quirks.contains(.discretereading), record.count > 13,
            record[3] == 0x01 || record[3] == 0x02
        else { return record }
        var record = record
        // `assumebmcowner`: the owner is said to be a management engine (2Ch), yet the BMC answers for the sensor.
        if quirks.contains(.assumebmcowner) { record[5] = 0x2C }
        // `discretereading`: threshold sensors of full records are described as generic discrete (07h) while
        // Get Sensor Reading still gives their analog reading.
        if quirks.contains(.discretereading), record[3] == 0x01, record[13] == 0x01 { record[13] = 0x07 }
        return record
    }

    /// The device SDR commands (IPMI v2.0 sections 35.2-35.4) over the same records as the repository: Get Device
    /// SDR Info (request byte 1 bit 0 asks for the SDR count, else the sensor count of LUN 0; dynamic population,
    /// LUN 0 has sensors, the boot time as change indicator), Reserve Device SDR Repository (the same reservation
    /// as the repository's), Get Device SDR (laid out as Get SDR).
    mutating func deviceSDRCommand(_ command: UInt8, _ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        switch command {
        case Command.getDeviceSDRInfo:
            let sdrCount = data.first.map { $0 & 0x01 != 0 } ?? false
            let count = sdrCount ? profile.sdrRecords.count : profile.sensors.count
            return (.normal, DeviceSDRInfo(count: count, populationChangeIndicator: sdrTimestamp).encode())
        case Command.reserveDeviceSDRRepository:
            sdrReservation = sdrReservation == UInt16.max ? 1 : sdrReservation + 1
            return (.normal, littleEndian(sdrReservation))
        default:
            getSDRRequests += 1
            return emptySDRAnswers ? (.normal, []) : getSDR(data)
        }
    }

    /// Entries in the SEL.
    var selCount: Int { selCleared ? 0 : profile.selEvents.count }

    /// SEL record `position` (IPMI v2.0 section 32.1, type 02h system event): record ID, type, timestamp, generator
    /// ID (BMC 20h, LUN 0), EvM revision 04h, sensor type and number, event direction/type, event data 1-3. Built
    /// when asked for, so that a read of a SEL of thousands of entries costs one record per request.
    func selRecord(at position: Int) -> [UInt8] {
        let event = profile.selEvents[position]
        let sensor = profile.sensors[event.sensorIndex]
        let timestamp = bootTime &- event.age
        let direction: UInt8 = event.deassertion ? 0x80 : 0x00
        if isFujitsuIRMC, position % 2 == 1 {
            // A simulated iRMC logs every second entry as a timestamped OEM record (type C1h, §32.2): Fujitsu's
            // IANA number, then the sensor number and offset as OEM data.
            return littleEndian(UInt16(position + 1)) + [0xC1] + littleEndian(timestamp) + [0x80, 0x28, 0x00]
                + [sensor.number, event.offset, 0, 0, 0, 0]
        }
        return littleEndian(UInt16(position + 1)) + [0x02] + littleEndian(timestamp)
            + [0x20, 0x00, 0x04, sensor.sensorType, sensor.number, direction | sensor.eventReadingType]
            + (isFujitsuIRMC ? [0xA0 | event.offset, sensor.number, event.offset] : [event.offset, 0xFF, 0xFF])
    }

    /// Get SEL Info (IPMI v2.0 section 31.2).
    func selInfo() -> (CompletionCode, [UInt8]) {
        let count = selCount
        let lastAdd = count == 0 ? nil : bootTime &- profile.selEvents[count - 1].age
        // Operation support: Reserve SEL.
        let info = GetSELInfoResponse(
            entries: UInt16(clamping: count), freeSpaceBytes: 0x0FF0,
            mostRecentAddition: lastAdd ?? GetSELInfoResponse.noTimestamp,
            mostRecentErase: selCleared ? selEraseTime : GetSELInfoResponse.noTimestamp, operationSupport: 0x02)
        return (.normal, info.encode())
    }

    /// Get SEL Entry (IPMI v2.0 section 31.5), addressed like Get SDR.
    func getSELEntry(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard let request = try? GetSELEntryRequest(decoding: data) else { return (.requestDataLengthInvalid, []) }
        let requested = request.recordID
        let offset = Int(request.offset)
        if offset != 0 {
            guard request.reservationID == selReservation, request.reservationID != 0 else {
                return (.reservationCancelled, [])
            }
        }
        let count = selCount
        guard count > 0 else { return (.requestedDataNotPresent, []) }
        let index: Int
        switch requested {
        case GetSELEntryRequest.firstRecord: index = 0
        case GetSELEntryRequest.lastRecord: index = count - 1
        default: index = Int(requested) - 1
        }
        let length = GetSELEntryResponse.recordLength
        guard index >= 0, index < count, offset < length else { return (.requestedDataNotPresent, []) }
        let size =
            request.count == GetSELEntryRequest.wholeRecord ? length - offset : min(Int(request.count), length - offset)
        let next = index + 1 < count ? UInt16(index + 2) : GetSELEntryRequest.lastRecord
        let entry = GetSELEntryResponse(
            nextRecordID: next, recordData: Array(selRecord(at: index)[offset..<(offset + size)]))
        return (.normal, entry.encode())
    }

    /// Clear SEL (IPMI v2.0 section 31.9): reservation, "CLR", AAh initiates (00h only asks for status).
    mutating func clearSEL(_ data: [UInt8], now: Double) -> (CompletionCode, [UInt8]) {
        guard data.count >= 6 else { return (.requestDataLengthInvalid, []) }
        let reservation = UInt16(data[0]) | UInt16(data[1]) << 8
        guard reservation == selReservation else { return (.reservationCancelled, []) }
        guard data[2] == 0x43, data[3] == 0x4C, data[4] == 0x52 else { return (.invalidDataField, []) }
        if data[5] == 0xAA {
            selCleared = true
            selEraseTime = UInt32(clamping: Int64(now))
        }
        return (.normal, [0x01])
    }

    /// DCMI Get Power Reading, system power statistics mode (DCMI 1.5 section 6.6.1): current, minimum,
    /// maximum and average watts, timestamp, statistics period (ms) and state "active".
    func dcmiPowerReading(_ data: [UInt8], now: Double) -> (CompletionCode, [UInt8]) {
        guard data.count >= 4 else { return (.requestDataLengthInvalid, []) }
        guard let request = try? DCMIGetPowerReadingRequest(decoding: data),
            request.mode == DCMIGetPowerReadingRequest.systemPowerStatistics
        else { return (.invalidDataField, []) }
        guard let index = profile.dcmiPowerSensorIndex else { return (.invalidCommand, []) }
        let sensor = profile.sensors[index]
        let current = sensor.conversion.value(raw: sensor.rawReading(at: now, bmcSeed: readingSeed))
        let watts = { (value: Double) in UInt16(clamping: Int(value.rounded())) }
        let minimum = sensor.nominal - sensor.drift - sensor.spread
        let maximum = sensor.nominal + sensor.drift + sensor.spread
        let reading = DCMIGetPowerReadingResponse(
            currentWatts: watts(current), minimumWatts: watts(max(0, minimum)), maximumWatts: watts(maximum),
            averageWatts: watts(sensor.nominal), timestamp: UInt32(clamping: Int64(now)), periodMilliseconds: 3_600_000,
            measurementActive: true)
        return (.normal, reading.encode())
    }

    /// DCMI Get DCMI Capabilities Info parameter 1 (DCMI 1.5 section 6.1.1): DCMI 1.5, power management
    /// supported.
    func dcmiCapabilities(_ data: [UInt8]) -> (CompletionCode, [UInt8]) {
        guard data.count >= 2 else { return (.requestDataLengthInvalid, []) }
        let group = DCMIGetPowerReadingRequest.groupExtensionID
        guard data[0] == group else { return (.invalidDataField, []) }
        guard data[1] == 0x01 else { return (.invalidDataField, []) }
        return (.normal, [group, 0x01, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01])
    }

    /// The satellite controller on IPMB 30h.
    static let satelliteAddress: UInt8 = 0x30
    /// A controller on IPMB 32h that takes requests and never answers: the BMC accepts the Send Message, and no
    /// response follows (a hung satellite; the requester's timeout is all that ends the request).
    static let silentAddress: UInt8 = 0x32

    /// Send Message (IPMI v2.0 section 22.7) to the primary IPMB (channel 0): the satellite controller at 30h
    /// answers Get Device ID. The BMC answers the Send Message, then (tracking mode) routes the satellite's
    /// response back as its own message.
    func sendMessage(_ request: IPMIRequestMessage) -> [IPMIResponseMessage] {
        guard request.data.count >= 8, let inner = try? IPMIRequestMessage.decode(Array(request.data.dropFirst()))
        else { return [response(to: request, code: .requestDataLengthInvalid, data: [])] }
        if request.data[0] & 0x0F == 0x00, inner.responderAddress == Self.silentAddress {
            return [response(to: request, code: .normal, data: [])]
        }
        guard request.data[0] & 0x0F == 0x00, inner.responderAddress == Self.satelliteAddress else {
            // Completion code 83h: NAK on write, nobody at that address (table 22-10).
            return [response(to: request, code: CompletionCode(rawValue: 0x83), data: [])]
        }
        let (code, data): (CompletionCode, [UInt8])
        switch (inner.netFn, inner.command) {
        case (GetDeviceIDRequest.netFn, GetDeviceIDRequest.command):
            // A satellite management controller: device 30h, firmware 1.10, IPMI 2.0, sensor device only.
            let satellite = GetDeviceIDResponse(
                deviceID: 0x30, deviceRevision: 1, firmwareMajor: 1, firmwareMinor: 0x10, additionalDeviceSupport: 0x01,
                manufacturerID: 0, productID: 0x0030, auxiliaryFirmwareRevision: [0, 0, 0, 0])
            (code, data) = (.normal, satellite.encode())
        default:
            (code, data) = (.invalidCommand, [])
        }
        let bridged = IPMIResponseMessage(
            requesterAddress: inner.requesterAddress, netFnCode: inner.netFn.response, requesterLUN: inner.requesterLUN,
            responderAddress: inner.responderAddress, rqSeq: inner.rqSeq, responderLUN: inner.responderLUN,
            command: inner.command, completionCode: code, data: data)
        return [response(to: request, code: .normal, data: []), bridged]
    }
}
