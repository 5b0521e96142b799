/// Blowfish (Schneier, 1993) with the expensive key schedule of bcrypt (Provos and Mazières, "A Future-Adaptable
/// Password Scheme", 1999). Only what bcrypt needs: encryption of 64-bit blocks and the salted key expansion.
struct Blowfish {
    /// 18 subkeys followed by four 256-entry S-boxes, in one buffer so the key schedule can walk them in order.
    private var state: [UInt32]

    static let subkeyCount = 18
    static let stateWords = 18 + 4 * 256

    init() {
        state = Self.initialState
    }

    /// EksBlowfishSetup: the state after `2^cost` rounds of alternately mixing in the key and the salt.
    init(expensiveSetupWithCost cost: Int, salt: [UInt8], key: [UInt8]) {
        precondition(salt.count == 16 && !key.isEmpty)
        self.init()
        expandKey(key, salt: salt)
        for _ in 0..<(1 << cost) {
            expandKey(key, salt: nil)
            expandKey(salt, salt: nil)
        }
    }

    /// Encrypts one block, given as its two big-endian halves.
    func encrypt(_ left: inout UInt32, _ right: inout UInt32) {
        state.withUnsafeBufferPointer { Self.encrypt(&left, &right, state: $0) }
    }

    private static func encrypt(_ left: inout UInt32, _ right: inout UInt32, state: UnsafeBufferPointer<UInt32>) {
        var l = left
        var r = right
        var round = 0
        while round < 16 {
            l ^= state[round]
            r ^= feistel(l, state)
            r ^= state[round + 1]
            l ^= feistel(r, state)
            round += 2
        }
        left = r ^ state[17]
        right = l ^ state[16]
    }

    /// F(x) = ((S1[a] + S2[b]) ⊕ S3[c]) + S4[d], with a the most significant byte of x.
    @inline(__always)
    private static func feistel(_ x: UInt32, _ state: UnsafeBufferPointer<UInt32>) -> UInt32 {
        let a = state[18 + Int(x >> 24)]
        let b = state[18 + 256 + Int((x >> 16) & 0xFF)]
        let c = state[18 + 512 + Int((x >> 8) & 0xFF)]
        let d = state[18 + 768 + Int(x & 0xFF)]
        return ((a &+ b) ^ c) &+ d
    }

    /// The Blowfish key schedule, with bcrypt's salt: XOR the key (cycled, big-endian words) into the subkeys,
    /// then replace the whole state, two words at a time, with successive encryptions of a block that is first
    /// XORed with the next 64 bits of the (cycled) salt. Without a salt this is the original key schedule.
    private mutating func expandKey(_ key: [UInt8], salt: [UInt8]?) {
        var keyPosition = 0
        for i in 0..<Self.subkeyCount {
            state[i] ^= Self.word(key, &keyPosition)
        }
        var saltPosition = 0
        var left: UInt32 = 0
        var right: UInt32 = 0
        state.withUnsafeMutableBufferPointer { state in
            var i = 0
            while i < Self.stateWords {
                if let salt {
                    left ^= Self.word(salt, &saltPosition)
                    right ^= Self.word(salt, &saltPosition)
                }
                Self.encrypt(&left, &right, state: UnsafeBufferPointer(state))
                state[i] = left
                state[i + 1] = right
                i += 2
            }
        }
    }

    /// The next four bytes of `bytes` as a big-endian word, wrapping around at its end.
    @inline(__always)
    private static func word(_ bytes: [UInt8], _ position: inout Int) -> UInt32 {
        var word: UInt32 = 0
        for _ in 0..<4 {
            word = word << 8 | UInt32(bytes[position])
            position = position + 1 == bytes.count ? 0 : position + 1
        }
        return word
    }
}
