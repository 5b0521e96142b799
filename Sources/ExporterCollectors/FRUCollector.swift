import IPMI
import IPMIExporter
import IPMISensors
import Logging
import PrometheusText

/// What the `fru` and `lan` collectors learn once per session: the FRU inventory (it does not change while the BMC
/// runs) and which channels are LAN channels. A new session (the BMC may have rebooted, or had a board replaced)
/// forgets both; ``SDRCache`` holds one per target and clears it in ``SDRCache/sessionOpened()``.
package actor InventoryCache {
    private(set) var fruDevices: [FRUDevice]?
    /// What a read of the inventory that did not finish (the scrape's deadline, a lost answer) learnt, device by
    /// device: the next scrape goes on from there instead of starting over, so a slow BMC with many FRU devices
    /// is read across scrapes.
    private(set) var fruProgress: [UInt8: FRUOutcome] = [:]
    private(set) var lanChannels: [UInt8]?
    /// The Read FRU Data count this BMC accepts (shrunk from ``FRUReader/initialChunk`` on C7h/C8h/CAh).
    private(set) var fruChunk = FRUReader.initialChunk

    package init() {}

    func keep(fruDevices: [FRUDevice], chunk: Int) {
        self.fruDevices = fruDevices
        fruProgress = [:]
        fruChunk = chunk
    }

    func record(_ outcome: FRUOutcome, of device: UInt8, chunk: Int) {
        fruProgress[device] = outcome
        fruChunk = chunk
    }

    func keep(lanChannels: [UInt8]) {
        self.lanChannels = lanChannels
    }

    func sessionOpened() {
        fruDevices = nil
        fruProgress = [:]
        lanChannels = nil
        fruChunk = FRUReader.initialChunk
    }
}

/// How reading one FRU device ended.
enum FRUOutcome: Hashable, Sendable {
    case read(FRUDevice)
    /// No data, not present, busy, a corrupt header: left out.
    case absent
    /// The BMC refused the command outright (C1h …).
    case refused(IPMICommandError)
}

/// One FRU device of a BMC: its ID, its name (the locator's, or FreeIPMI's for device 0 without one) and what it
/// holds.
struct FRUDevice: Hashable, Sendable {
    var id: UInt8
    var name: String
    var inventory: FRUInventory
}

/// The `fru` collector: the FRU inventory of FRU device 0 (the BMC's own) and of every logical FRU device a FRU
/// device locator record names on the BMC, read once per session and exported at every scrape.
struct FRUCollector: Collector {
    var name: CollectorName { .fru }

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let cache = context.sdr.inventory
        if let devices = await cache.fruDevices { return FRUMetrics.families(devices) }
        var reader = FRUReader(chunk: await cache.fruChunk, logger: context.logger)
        let locators = try await Self.locators(context)
        let devices = try await reader.readAll(
            context.session, locators: locators, known: await cache.fruProgress, logger: context.logger
        ) { outcome, device, chunk in
            await cache.record(outcome, of: device, chunk: chunk)
        }
        await cache.keep(fruDevices: devices, chunk: reader.chunk)
        return FRUMetrics.families(devices)
    }

    /// The FRU device locators of the BMC's SDRs; none when it has no SDRs (device 0 is read all the same).
    static func locators(_ context: CollectorContext) async throws -> [FRUDeviceLocatorRecord] {
        do {
            return try await context.sdr.fruLocators(from: context.session, logger: context.logger)
        } catch is SDRUnavailable {
            return []
        }
    }
}

/// Reads FRU devices with Get FRU Inventory Area Info and Read FRU Data (IPMI v2.0 §34.1-34.2): the common header,
/// then each area it points at, in chunks of ``chunk`` bytes.
struct FRUReader {
    /// The first Read FRU Data count: 32 bytes fit the smallest IPMB message a BMC must accept with room to spare.
    static let initialChunk = 32
    /// The BMC's own address (IPMB slave address 20h): locators of FRU devices behind other controllers need
    /// bridging, which this reader does not do.
    static let bmcAddress: UInt8 = 0x20
    /// The name FreeIPMI's `ipmi-fru` gives device 0 when no locator names it.
    static let defaultName = "Default FRU Device"

    var chunk: Int
    var logger: Logger

    init(chunk: Int = initialChunk, logger: Logger) {
        self.chunk = chunk
        self.logger = logger
    }

    /// The devices to read: device 0, named by its locator if it has one, then each other logical FRU device on
    /// the BMC's LUN 0 in SDR order (as `ipmi-fru` lists them), each ID once.
    static func devices(locators: [FRUDeviceLocatorRecord]) -> [(id: UInt8, name: String)] {
        let onBMC = locators.filter {
            $0.isLogical && ($0.deviceAccessAddress == bmcAddress || $0.deviceAccessAddress == 0) && $0.accessLUN == 0
                && $0.channel == 0
        }
        var devices = [(id: UInt8(0), name: onBMC.first { $0.fruDeviceID == 0 }?.name ?? defaultName)]
        var seen: Set<UInt8> = [0]
        for locator in onBMC where seen.insert(locator.fruDeviceID).inserted {
            devices.append((locator.fruDeviceID, locator.name))
        }
        return devices
    }

    /// Every device of ``devices(locators:)`` the BMC has data for. A device the BMC answers with a completion code
    /// for (not present, busy …) or whose header is corrupt is left out with a log line; if that is every device and
    /// device 0 was refused outright (C1h …), the refusal is thrown, so the collector reports the BMC has no FRU
    /// support. Transport errors are thrown. `known` holds the outcomes of an earlier read that did not finish,
    /// which are not read again; `record` is told each new outcome as soon as it is known.
    mutating func readAll(
        _ session: any IPMIRequester, locators: [FRUDeviceLocatorRecord], known: [UInt8: FRUOutcome] = [:],
        logger: Logger, record: (FRUOutcome, UInt8, Int) async -> Void = { _, _, _ in }
    ) async throws -> [FRUDevice] {
        var devices: [FRUDevice] = []
        var refusal: IPMICommandError?
        for (id, name) in Self.devices(locators: locators) {
            var outcome: FRUOutcome
            if let earlier = known[id] {
                outcome = earlier
            } else {
                outcome = try await read(device: id, name: name, from: session, logger: logger)
                await record(outcome, id, chunk)
            }
            switch outcome {
            case .read(let device): devices.append(device)
            case .refused(let error) where id == 0: refusal = error
            case .refused, .absent: break
            }
        }
        if devices.isEmpty, let refusal { throw refusal }
        return devices
    }

    /// One device's outcome, logged: its inventory (with a warning per corrupt area), or why it is left out.
    mutating func read(
        device id: UInt8, name: String, from session: any IPMIRequester, logger: Logger
    ) async throws -> FRUOutcome {
        do {
            guard let inventory = try await read(device: id, from: session) else {
                logger.debug("FRU device has no data", metadata: ["fru_id": "\(id)", "name": "\(name)"])
                return .absent
            }
            for skipped in inventory.skippedAreas {
                logger.warning(
                    "FRU area corrupt; skipped",
                    metadata: [
                        "fru_id": "\(id)", "name": "\(name)", "area": "\(skipped.area.rawValue)",
                        "reason": "\(skipped.reason)",
                    ])
            }
            return .read(FRUDevice(id: id, name: name, inventory: inventory))
        } catch let error as IPMICommandError {
            logger.info("FRU device not read", metadata: ["fru_id": "\(id)", "name": "\(name)", "error": "\(error)"])
            return error.completionCode.isRefusal ? .refused(error) : .absent
        } catch let error as FRUDecodingError {
            logger.warning(
                "FRU device data corrupt; skipped",
                metadata: ["fru_id": "\(id)", "name": "\(name)", "reason": "\(error)"])
            return .absent
        }
    }

    /// One device's inventory; nil when its inventory area is empty. Only the header and the areas it points at
    /// are read; the decoder is given them at their offsets, zeros elsewhere.
    mutating func read(device: UInt8, from session: any IPMIRequester) async throws -> FRUInventory? {
        let info = try await session.call(GetFRUInventoryAreaInfoRequest(fruDeviceID: device))
        let size = Int(info.areaSize)
        guard size >= FRUInventory.headerSize else { return nil }
        let words = info.accessedByWords
        var image = try await readBytes(device, offset: 0, count: FRUInventory.headerSize, words: words, session)
        let offsets = try FRUInventory.areaOffsets(header: image)
        for offset in [offsets.chassis, offsets.board, offsets.product].compactMap({ $0 }) where offset + 2 <= size {
            let start = try await readBytes(device, offset: offset, count: 2, words: words, session)
            // An area whose first bytes are not an area's is left to the decoder to report.
            let length = min(FRUInventory.areaLength(start: start) ?? 2, size - offset)
            var area = start
            if length > 2 {
                area += try await readBytes(device, offset: offset + 2, count: length - 2, words: words, session)
            }
            if image.count < offset { image += Array(repeating: 0, count: offset - image.count) }
            image.replaceSubrange(offset..<min(image.count, offset + area.count), with: area)
        }
        return try FRUInventory(decoding: image)
    }

    /// `count` bytes from `offset`, ``chunk`` at a time. A BMC that answers C7h (length invalid), C8h (too long) or
    /// CAh (cannot return that many bytes) is asked again for less, down to one byte, and the smaller count is kept
    /// for the rest of the session. A device accessed by words (§34.1) takes offsets and counts in words.
    mutating func readBytes(
        _ device: UInt8, offset: Int, count: Int, words: Bool, _ session: any IPMIRequester
    ) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            var asked = min(chunk, count - bytes.count)
            if words { asked = max(2, asked & ~1) }
            let at = offset + bytes.count
            let request = ReadFRUDataRequest(
                fruDeviceID: device, offset: UInt16(clamping: words ? at / 2 : at),
                count: UInt8(clamping: words ? asked / 2 : asked))
            do {
                let data = try await session.call(request).data
                guard !data.isEmpty else { throw IPMIError.malformed("Read FRU Data returned no bytes") }
                bytes += data.prefix(count - bytes.count)
            } catch let error as IPMICommandError
                where Self.shrinkCodes.contains(error.completionCode) && chunk > 1
            {
                chunk = chunk > 8 ? chunk - 8 : chunk / 2
                logger.debug("Read FRU Data count too large; asking for less", metadata: ["count": "\(chunk)"])
            }
        }
        return bytes
    }

    static let shrinkCodes: Set<CompletionCode> = [
        .requestDataLengthInvalid, .requestDataFieldLengthExceeded, .cannotReturnRequestedBytes,
    ]
}

/// The families of the `fru` collector.
enum FRUMetrics {
    static let infoLabels = [
        "fru_id", "name", "chassis_type", "chassis_part_number", "chassis_serial_number", "board_manufacturer",
        "board_product_name", "board_serial_number", "board_part_number", "product_manufacturer", "product_name",
        "product_part_number", "product_version", "product_serial_number", "product_asset_tag",
    ]

    static func families(_ devices: [FRUDevice]) -> [MetricFamily] {
        var info = MetricFamily(
            name: "ipmi_fru_info",
            help: "FRU inventory of each FRU device: chassis, board and product fields (empty when absent).",
            type: .gauge)
        var date = MetricFamily(
            name: "ipmi_fru_board_manufacturing_date_seconds",
            help: "Board manufacturing date of each FRU device, in seconds since the epoch.", type: .gauge)
        for device in devices {
            let chassis = device.inventory.chassis
            let board = device.inventory.board
            let product = device.inventory.product
            let values = [
                String(device.id), device.name, chassis?.typeName ?? "", chassis?.partNumber ?? "",
                chassis?.serialNumber ?? "", board?.manufacturer ?? "", board?.productName ?? "",
                board?.serialNumber ?? "", board?.partNumber ?? "", product?.manufacturer ?? "", product?.name ?? "",
                product?.partNumber ?? "", product?.version ?? "", product?.serialNumber ?? "",
                product?.assetTag ?? "",
            ]
            info.samples.append(Sample(labels: zip(infoLabels, values).map { Label($0, $1) }, value: 1))
            if let seconds = board?.manufacturingDate {
                date.samples.append(
                    Sample(
                        labels: [Label("fru_id", String(device.id)), Label("name", device.name)], value: Double(seconds)
                    ))
            }
        }
        return [info, date]
    }
}
