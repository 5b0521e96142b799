/// Faults a simulated BMC can be told to show; all off by default. The fleet applies loss, latency and
/// corruption around the pure ``SimulatedBMC``; slot exhaustion is answered by the BMC itself.
public struct BMCFaults: Sendable, Hashable {
    /// Fraction (0...1) of received datagrams silently dropped.
    public var lossRate: Double
    /// Fraction (0...1) of answers lost on the way back.
    public var answerLossRate: Double = 0
    /// The BMC's own time for every request, on top of its ``serviceTimes`` (a slow BMC); with a ``queueDepth``
    /// it keeps the BMC busy.
    public var latency: Duration
    /// Fraction of answers with one byte flipped (integrity or checksum failures at the console).
    public var corruptionRate: Double
    /// Fraction of answers cut short by a few bytes (wrong-sized responses).
    public var truncationRate: Double
    /// Open Session answers "insufficient resources" as if every session slot were in use.
    public var sessionSlotsExhausted: Bool
    /// How the BMC takes requests. nil (the default): each on its own, answered after ``latency`` plus its
    /// service time however many arrive at once, as the loopback simulator always did. N: one request at a time;
    /// a request that arrives while N others wait behind the one being served is silently dropped (the
    /// drop-beyond-N fault), any other waits its turn. 0 is a single receive buffer (``handlesOneRequestAtATime``).
    public var queueDepth: Int?
    /// The BMC's time per request by kind (a sensor reading, a step of the key exchange, …), added to ``latency``.
    public var serviceTimes: BMCServiceTimes = .zero
    /// Added to every answer after the BMC is done with it: the network's round trip, which, unlike the service
    /// time, does not keep the BMC busy.
    public var roundTripTime: Duration = .zero
    /// A BMC with a single receive buffer: a request that arrives while the previous one is still being
    /// answered (within ``latency`` plus its service time) is silently dropped, as some firmware does with a
    /// second outstanding request. The same as a ``queueDepth`` of 0.
    public var handlesOneRequestAtATime: Bool {
        get { queueDepth == 0 }
        set { queueDepth = newValue ? 0 : nil }
    }
    /// Fraction (0...1) of datagrams duplicated in each direction, as a faulty switch or a bonding
    /// misconfiguration does: such a request is handled twice (each answer with its own session sequence number,
    /// as a BMC answers a repeated request), such an answer is sent twice. The copy comes up to ``maxDelay``
    /// later.
    public var duplicationRate: Double = 0
    /// Fraction (0...1) of datagrams in each direction held back by a random delay of up to ``maxDelay``, so
    /// that they arrive after later ones.
    public var delayRate: Double = 0
    /// The longest delay of a held-back or duplicated datagram.
    public var maxDelay: Duration = .zero
    /// Get SDR answers completion code 00h with no data at all: not even the next record ID that IPMI v2.0
    /// §33.12 puts first in every successful answer (a broken SDR implementation).
    public var emptySDRAnswers = false
    /// A BMC without an SDR repository: Get SDR Repository Info, Reserve SDR Repository and Get SDR answer C1h
    /// (invalid command), and Get Device ID clears "SDR repository device" (IPMI v2.0 §20.1, additional device
    /// support bit 1), as on boards that keep their sensors' SDRs elsewhere.
    public var noSDRRepository = false
    /// The BMC offers its SDRs as device SDRs (Get Device SDR Info, Reserve Device SDR Repository, Get Device SDR,
    /// IPMI v2.0 §35.2–35.4) and says so in Get Device ID ("provides device SDRs", device revision bit 7). Off,
    /// those commands answer C1h.
    public var deviceSDRs = false
    /// In-session commands answered C1h (invalid command), by net function (its raw value) and command: a BMC
    /// without DCMI, say, is `[0x2C: [0x02]]`.
    public var refusedCommands: [UInt8: Set<UInt8>] = [:]
    /// What Get Chassis Status reports besides power on or off (IPMI v2.0 §28.2, table 28-3), byte 1 bits 6:1:
    /// power overload (bit 1), interlock (2), main power fault (3), power control fault (4), the power restore
    /// policy (6:5). The default: no fault, policy "previous".
    public var chassisPowerFlags: UInt8 = 0x20
    /// Get Chassis Status byte 3: intrusion (bit 0), front panel lockout (1), drive fault (2), cooling/fan fault (3).
    public var chassisMiscState: UInt8 = 0
    /// Protocol faults FreeIPMI's workaround flags cope with (``BMCQuirks``).
    public var quirks: BMCQuirks = []

    public init(
        lossRate: Double = 0, answerLossRate: Double = 0, latency: Duration = .zero, corruptionRate: Double = 0,
        truncationRate: Double = 0,
        sessionSlotsExhausted: Bool = false, duplicationRate: Double = 0, delayRate: Double = 0,
        maxDelay: Duration = .zero
    ) {
        self.lossRate = lossRate
        self.answerLossRate = answerLossRate
        self.latency = latency
        self.corruptionRate = corruptionRate
        self.truncationRate = truncationRate
        self.sessionSlotsExhausted = sessionSlotsExhausted
        self.duplicationRate = duplicationRate
        self.delayRate = delayRate
        self.maxDelay = maxDelay
    }

    public static let none = BMCFaults()

    /// A BMC as on a real network (see docs/simulator.md, "The realistic profile"): one request at a time with
    /// ``BMCServiceTimes/realistic``, at most 4 more waiting, and 1 ms of round trip.
    public static let realistic: BMCFaults = {
        var faults = BMCFaults()
        faults.queueDepth = 4
        faults.serviceTimes = .realistic
        faults.roundTripTime = .milliseconds(1)
        return faults
    }()

    /// The profiles `ipmi-exporter simulate --bmc-profile` knows: `loopback` (no faults; the default) and
    /// `realistic`.
    public static let profiles: [(name: String, faults: BMCFaults)] = [("loopback", .none), ("realistic", .realistic)]
}
