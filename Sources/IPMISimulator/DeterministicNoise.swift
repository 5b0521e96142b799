/// SplitMix64: a tiny, fast, well-mixed generator. Simulated readings must be a pure function of
/// (seed, BMC index, sensor, time) so that two scrapes of the same BMC agree and two BMCs differ.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in [0, 1) derived from the mixed inputs.
    static func unit(_ inputs: UInt64...) -> Double {
        var generator = SplitMix64(seed: 0x5EED)
        var mixed: UInt64 = 0
        for input in inputs {
            generator.state ^= input &+ mixed
            mixed = generator.next()
        }
        return Double(mixed >> 11) / Double(UInt64(1) << 53)
    }
}
