/// Faults a simulated BMC can be told to show; all off by default. The fleet applies loss, latency and
/// corruption around the pure ``SimulatedBMC``; slot exhaustion is answered by the BMC itself.
public struct BMCFaults: Sendable, Hashable {
    /// Fraction (0...1) of received datagrams silently dropped.
    public var lossRate: Double
    /// Fraction (0...1) of answers lost on the way back.
    public var answerLossRate: Double = 0
    /// Added to every answer (a slow BMC).
    public var latency: Duration
    /// Fraction of answers with one byte flipped (integrity or checksum failures at the console).
    public var corruptionRate: Double
    /// Fraction of answers cut short by a few bytes (wrong-sized responses).
    public var truncationRate: Double
    /// Open Session answers "insufficient resources" as if every session slot were in use.
    public var sessionSlotsExhausted: Bool
    /// A BMC with a single receive buffer: a request that arrives while the previous one is still being
    /// answered (within ``latency``) is silently dropped, as some firmware does with a second outstanding
    /// request.
    public var handlesOneRequestAtATime = false
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
}
