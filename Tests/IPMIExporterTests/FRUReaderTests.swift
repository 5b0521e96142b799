import IPMI
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import ExporterCollectors
@testable import IPMISensors

/// A BMC with one FRU device whose Read FRU Data (IPMI v2.0 §34.2) returns at most `limit` bytes: more asked is
/// answered with `refusal` (C7h, C8h or CAh). With `words`, the device is accessed by words (§34.1): offsets and
/// counts are in words.
final class FRULimitedBMC: IPMIRequester {
    let image: [UInt8]
    let limit: Int
    let refusal: CompletionCode
    let words: Bool
    private let asked = NIOLockedValueBox<[Int]>([])

    init(image: [UInt8], limit: Int, refusal: CompletionCode, words: Bool = false) {
        self.image = image
        self.limit = limit
        self.refusal = refusal
        self.words = words
    }

    /// The counts of every Read FRU Data, in bytes.
    var counts: [Int] { asked.withLockedValue { $0 } }

    func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
        if GetFRUInventoryAreaInfoRequest.matches(netFn: netFn, command: command) {
            guard data == [0] else { return IPMIResponse(completionCode: .requestedDataNotPresent, data: []) }
            return IPMIResponse(
                completionCode: .normal,
                data: GetFRUInventoryAreaInfoResponse(areaSize: UInt16(image.count), accessedByWords: words).encode())
        }
        guard ReadFRUDataRequest.matches(netFn: netFn, command: command),
            let request = try? ReadFRUDataRequest(decoding: data)
        else { return IPMIResponse(completionCode: .invalidCommand, data: []) }
        let unit = words ? 2 : 1
        let offset = Int(request.offset) * unit
        let count = Int(request.count) * unit
        asked.withLockedValue { $0.append(count) }
        guard count <= limit else { return IPMIResponse(completionCode: refusal, data: []) }
        guard offset < image.count else { return IPMIResponse(completionCode: .parameterOutOfRange, data: []) }
        let bytes = Array(image[offset..<min(image.count, offset + count)])
        return IPMIResponse(completionCode: .normal, data: ReadFRUDataResponse(data: bytes).encode())
    }
}

struct FRUReaderTests {
    /// A board area (§11) with a manufacturer and product name, behind a common header (§8), written by hand.
    static let image: [UInt8] = {
        var board: [UInt8] = [0x01, 0x00, 0x00, 0x10, 0x27, 0x00]
        board += [0xCA] + Array("Board Corp".utf8) + [0xC7] + Array("Gadget1".utf8) + [0xC1]
        while (board.count + 1) % 8 != 0 { board.append(0) }
        board[1] = UInt8((board.count + 1) / 8)
        board.append(0 &- board.reduce(0, &+))
        let header: [UInt8] = [0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xFE]
        return header + board
    }()

    @Test(arguments: [
        CompletionCode.requestDataLengthInvalid, .requestDataFieldLengthExceeded, .cannotReturnRequestedBytes,
    ])
    func aBMCThatReturnsFewerBytesIsAskedForLessAndTheCountIsKept(refusal: CompletionCode) async throws {
        let bmc = FRULimitedBMC(image: Self.image, limit: 10, refusal: refusal)
        var reader = FRUReader(logger: quietLogger)
        let inventory = try #require(try await reader.read(device: 0, from: bmc))
        #expect(inventory.board?.manufacturer == "Board Corp")
        #expect(inventory.board?.productName == "Gadget1")
        // The 30 bytes after the area's first two refused, then 24 and 16; 8 is the count kept for the session.
        #expect(reader.chunk == 8)
        #expect(bmc.counts.filter { $0 > 10 }.count == 3)
        #expect(bmc.counts.allSatisfy { $0 <= 32 })
    }

    @Test func aDeviceAccessedByWordsIsReadInWords() async throws {
        let bmc = FRULimitedBMC(image: Self.image, limit: 64, refusal: .cannotReturnRequestedBytes, words: true)
        var reader = FRUReader(logger: quietLogger)
        let inventory = try #require(try await reader.read(device: 0, from: bmc))
        #expect(inventory.board?.productName == "Gadget1")
        #expect(bmc.counts.allSatisfy { $0 % 2 == 0 })
    }

    @Test func aBMCWithoutFRUSupportFailsTheCollectorWithItsRefusal() async throws {
        final class NoFRU: IPMIRequester {
            func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
                IPMIResponse(completionCode: .invalidCommand, data: [])
            }
        }
        var reader = FRUReader(logger: quietLogger)
        await #expect(throws: IPMICommandError.self) {
            try await reader.readAll(NoFRU(), locators: [], logger: quietLogger)
        }
        // A locator of a device the BMC does not have is left out; device 0 is still read.
        let bmc = FRULimitedBMC(image: Self.image, limit: 32, refusal: .cannotReturnRequestedBytes)
        let locator = FRUDeviceLocatorRecord(
            recordID: 1, deviceAccessAddress: 0x20, fruDeviceID: 5, isLogical: true, accessLUN: 0, channel: 0,
            deviceType: 0x10, deviceTypeModifier: 0, entityID: 0x0A, entityInstance: 1, name: "PSU")
        let devices = try await reader.readAll(bmc, locators: [locator], logger: quietLogger)
        #expect(devices.map(\.id) == [0])
        #expect(devices.map(\.name) == [FRUReader.defaultName])
    }

    /// The inventory and the LAN channels are kept per session: a new session (``SDRCache/sessionOpened()``, as the
    /// session cache and the local device call it) forgets them, so they are read again.
    @Test func aNewSessionForgetsTheInventory() async throws {
        let sdr = SDRCache(metrics: nil)
        let device = FRUDevice(id: 0, name: "Board", inventory: try FRUInventory(decoding: Self.image))
        await sdr.inventory.keep(fruDevices: [device], chunk: 8)
        await sdr.inventory.keep(lanChannels: [1])
        #expect(await sdr.inventory.fruDevices == [device])
        #expect(await sdr.inventory.lanChannels == [1])
        await sdr.sessionOpened()
        #expect(await sdr.inventory.fruDevices == nil)
        #expect(await sdr.inventory.lanChannels == nil)
        #expect(await sdr.inventory.fruChunk == FRUReader.initialChunk)
    }

    /// A read cut short (here: device 1's first answer lost) keeps what it learnt: the next read goes on with
    /// device 1 and does not ask for device 0 again.
    @Test func aReadCutShortGoesOnFromWhereItStopped() async throws {
        final class LosesOneAnswer: IPMIRequester {
            let inner = FRULimitedBMC(image: FRUReaderTests.image, limit: 32, refusal: .cannotReturnRequestedBytes)
            let infoRequests = NIOLockedValueBox<[UInt8]>([])

            func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
                // Both devices hold the same data; device 1's first area info request goes unanswered.
                if GetFRUInventoryAreaInfoRequest.matches(netFn: netFn, command: command), let device = data.first {
                    let earlier = infoRequests.withLockedValue { requests in
                        defer { requests.append(device) }
                        return requests
                    }
                    if device == 1, !earlier.contains(1) { throw CancellationError() }
                }
                var data = data
                if !data.isEmpty { data[0] = 0 }
                return try await inner.request(netFn: netFn, command: command, data: data, lun: lun)
            }
        }
        let bmc = LosesOneAnswer()
        let locator = FRUDeviceLocatorRecord(
            recordID: 1, deviceAccessAddress: 0x20, fruDeviceID: 1, isLogical: true, accessLUN: 0, channel: 0,
            deviceType: 0x10, deviceTypeModifier: 0, entityID: 0x0A, entityInstance: 1, name: "PSU")
        let progress = NIOLockedValueBox<[UInt8: FRUOutcome]>([:])
        var reader = FRUReader(logger: quietLogger)
        await #expect(throws: CancellationError.self) {
            try await reader.readAll(bmc, locators: [locator], logger: quietLogger) { outcome, device, _ in
                progress.withLockedValue { $0[device] = outcome }
            }
        }
        let known = progress.withLockedValue { $0 }
        #expect(known.keys.sorted() == [0])
        let devices = try await reader.readAll(bmc, locators: [locator], known: known, logger: quietLogger)
        #expect(devices.map(\.id) == [0, 1])
        #expect(devices.map(\.name) == [FRUReader.defaultName, "PSU"])
        #expect(bmc.infoRequests.withLockedValue { $0 } == [0, 1, 1])
    }

    /// An SDR download that failed in a cold start is held for the `ipmi` collector of the next scrape; the `fru`
    /// collector fails with it too but leaves it there.
    @Test func aHeldSDRFailureIsLeftForTheIPMICollector() async throws {
        struct Held: Error {}
        final class Refuses: IPMIRequester {
            func request(netFn: NetFn, command: UInt8, data: [UInt8], lun: UInt8) async throws -> IPMIResponse {
                IPMIResponse(completionCode: .invalidCommand, data: [])
            }
        }
        let sdr = SDRCache(metrics: nil)
        await sdr.hold(Held())
        await #expect(throws: Held.self) { try await sdr.fruLocators(from: Refuses(), logger: quietLogger) }
        await #expect(throws: Held.self) { try await sdr.sensors(from: Refuses(), logger: quietLogger) }
        // Taken by the ipmi collector: now the BMC is asked, and it has no SDRs at all.
        await #expect(throws: SDRUnavailable.self) { try await sdr.fruLocators(from: Refuses(), logger: quietLogger) }
    }
}
