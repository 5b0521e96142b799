import IPMI
import IPMIExporter
import Logging
import PrometheusText

/// The `lan` collector: the BMC's address on each of its LAN channels, from Get LAN Configuration Parameters (IPMI
/// v2.0 §23.2), with the texts `ipmitool lan print` shows. Which channels are LAN channels (Get Channel Info, §22.24,
/// medium 802.3) is asked once per session; the parameters at every scrape, as DHCP may change them.
struct LANCollector: Collector {
    var name: CollectorName { .lan }

    /// Channels 1-0Bh are the ones a BMC may give any medium (table 6-1); 0Eh is "this channel", 0Fh the system
    /// interface.
    static let candidateChannels: ClosedRange<UInt8> = 1...0x0B

    func collect(_ context: CollectorContext) async throws -> [MetricFamily] {
        let cache = context.sdr.inventory
        let channels: [UInt8]
        if let known = await cache.lanChannels {
            channels = known
        } else {
            channels = try await Self.lanChannels(context.session, logger: context.logger)
            await cache.keep(lanChannels: channels)
        }
        var samples: [Sample] = []
        for channel in channels {
            samples.append(try await Self.read(channel: channel, from: context.session))
        }
        return [
            MetricFamily(
                name: "ipmi_bmc_lan_info",
                help: "LAN configuration of each BMC LAN channel, as ipmitool lan print shows it.", type: .gauge,
                samples: samples)
        ]
    }

    /// The channels whose medium is 802.3 LAN. A BMC that answers none of them so (no Get Channel Info, say) is
    /// taken to have its LAN on channel 1, where nearly every BMC has it.
    static func lanChannels(_ session: any IPMIRequester, logger: Logger) async throws -> [UInt8] {
        let requests = candidateChannels.map {
            IPMIRequest(
                netFn: GetChannelInfoRequest.netFn, command: GetChannelInfoRequest.command,
                data: GetChannelInfoRequest(channel: $0).encode())
        }
        let results = await session.requests(requests)
        var channels: [UInt8] = []
        for (channel, result) in zip(candidateChannels, results) {
            let response = try result.get()
            // A channel that does not exist answers with a completion code (CCh, CBh); that is not a failure.
            guard
                let data = try? response.requireSuccess(
                    netFn: GetChannelInfoRequest.netFn, command: GetChannelInfoRequest.command),
                let info = try? GetChannelInfoResponse(decoding: data)
            else { continue }
            if info.isLAN { channels.append(channel) }
        }
        if channels.isEmpty {
            logger.debug("no channel answers as an 802.3 LAN; reading channel 1")
            return [1]
        }
        return channels
    }

    /// The parameters of one channel as one sample. A parameter the BMC does not support (80h) or answers
    /// malformed is an empty label; a channel whose every parameter fails fails the collector.
    static func read(channel: UInt8, from session: any IPMIRequester) async throws -> Sample {
        let parameters: [LANConfigurationParameter] = [
            .ipAddress, .ipAddressSource, .subnetMask, .defaultGatewayAddress, .macAddress, .vlanID,
        ]
        let requests = parameters.map {
            IPMIRequest(
                netFn: GetLANConfigurationParametersRequest.netFn,
                command: GetLANConfigurationParametersRequest.command,
                data: GetLANConfigurationParametersRequest(channel: channel, parameter: $0).encode())
        }
        var answers: [LANConfigurationParameter: ParameterResponse] = [:]
        var firstError: IPMICommandError?
        let results = await session.requests(requests)
        for (parameter, result) in zip(parameters, results) {
            let response = try result.get()
            guard response.completionCode == .normal else {
                firstError =
                    firstError
                    ?? IPMICommandError(
                        netFn: GetLANConfigurationParametersRequest.netFn,
                        command: GetLANConfigurationParametersRequest.command, completionCode: response.completionCode)
                continue
            }
            answers[parameter] = try? ParameterResponse(decoding: response.data)
        }
        if answers.isEmpty, let firstError { throw firstError }
        return LANMetrics.sample(channel: channel, answers)
    }
}

/// The sample of the `lan` collector for one channel, from its parameters' answers.
enum LANMetrics {
    static func sample(channel: UInt8, _ answers: [LANConfigurationParameter: ParameterResponse]) -> Sample {
        func text(_ parameter: LANConfigurationParameter, _ decode: (ParameterResponse) throws -> String) -> String {
            answers[parameter].flatMap { try? decode($0) } ?? ""
        }
        return Sample(
            labels: [
                Label("channel", String(channel)),
                Label("ip_address", text(.ipAddress) { try $0.ipv4Address().description }),
                Label("ip_address_source", text(.ipAddressSource) { try $0.ipAddressSource().description }),
                Label("subnet_mask", text(.subnetMask) { try $0.ipv4Address().description }),
                Label("default_gateway", text(.defaultGatewayAddress) { try $0.ipv4Address().description }),
                Label("mac_address", text(.macAddress) { try $0.macAddress().description }),
                // ipmitool shows "Disabled" for a VLAN ID that is not enabled.
                Label("vlan_id", text(.vlanID) { try $0.vlanID().label }),
            ], value: 1)
    }
}

extension VLANID {
    /// The 802.1q VLAN ID line of `ipmitool lan print`: the ID, or "Disabled".
    var label: String { enabled ? String(id) : "Disabled" }
}
