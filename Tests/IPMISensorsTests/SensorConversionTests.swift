import Testing

@testable import IPMISensors

// Expected values are the spec arithmetic y = L[(M·x + B·10^Bexp)·10^Rexp] (IPMI v2.0 §36.3) worked by hand.
@Suite struct SensorConversionTests {
    func conversion(
        m: Int = 1, b: Int = 0, bExp: Int = 0, rExp: Int = 0, format: AnalogDataFormat = .unsigned,
        linearization: Linearization = .linear
    ) -> SensorConversion {
        SensorConversion(m: m, b: b, bExponent: bExp, rExponent: rExp, format: format, linearization: linearization)
    }

    func expectClose(_ actual: Double?, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let actual else {
            Issue.record("no value, expected \(expected)", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(actual - expected) <= 1e-9 * max(1, abs(expected)), sourceLocation: sourceLocation)
    }

    @Test func unsignedWithResultExponent() {
        // 63 · 190 = 11970, · 10^-3 = 11.97
        expectClose(conversion(m: 63, rExp: -3).value(raw: 190), 11.97)
        // 26 · 192 = 4992 → 4.992
        expectClose(conversion(m: 26, rExp: -3).value(raw: 192), 4.992)
    }

    @Test func twosComplement() {
        // F6h = -10
        expectClose(conversion(format: .twosComplement).value(raw: 0xF6), -10)
        expectClose(conversion(format: .twosComplement).value(raw: 0x80), -128)
        expectClose(conversion(format: .twosComplement).value(raw: 0x7F), 127)
    }

    @Test func onesComplement() {
        // F0h = ~0Fh = -15; · 10^-2 = -0.15
        expectClose(conversion(rExp: -2, format: .onesComplement).value(raw: 0xF0), -0.15)
        // FFh is negative zero; 80h = -127.
        expectClose(conversion(format: .onesComplement).value(raw: 0xFF), 0)
        expectClose(conversion(format: .onesComplement).value(raw: 0x80), -127)
        expectClose(conversion(format: .onesComplement).value(raw: 0x05), 5)
    }

    @Test func nonAnalogHasNoValue() {
        #expect(conversion(format: .nonAnalog).value(raw: 10) == nil)
        #expect(!conversion(format: .nonAnalog).isConvertible)
    }

    @Test func tenBitFactorsFromRecordBytes() {
        var record = [UInt8](repeating: 0, count: 48)
        // Byte 25/26: M = 12Ch = 300 (LS 2Ch, MS bits 01b in byte 26 bits 7:6); byte 30: Rexp = -4 (Ch).
        record[24] = 0x2C
        record[25] = 0x40
        record[29] = 0xC0
        let c = SensorConversion(record: record)
        #expect(c.m == 300)
        expectClose(c.value(raw: 40), 1.2)
        // M = 3C1h = -63 (10-bit two's complement), B = 140h = 320, Bexp = -1 (Fh), Rexp = -3 (Dh).
        record[24] = 0xC1
        record[25] = 0xC0
        record[26] = 0x40
        record[27] = 0x40
        record[29] = 0xDF
        let d = SensorConversion(record: record)
        #expect(d.m == -63)
        #expect(d.b == 320)
        #expect(d.bExponent == -1)
        #expect(d.rExponent == -3)
        // (-63 · 10 + 320 · 0.1) · 0.001 = (-630 + 32) / 1000 = -0.598
        expectClose(d.value(raw: 10), -0.598)
        // Extremes of the 10-bit range: 1FFh = 511, 200h = -512.
        record[24] = 0xFF
        record[25] = 0x40
        record[26] = 0x00
        record[27] = 0x80
        record[29] = 0x00
        let e = SensorConversion(record: record)
        #expect(e.m == 511)
        #expect(e.b == -512)
    }

    @Test func offsetWithExponent() {
        // x + (-4)·10^1 at x = 65 → 25
        expectClose(conversion(b: -4, bExp: 1).value(raw: 65), 25)
        // (18·25 + 320)·10^-1 = 77 (degrees F from a Celsius raw value)
        expectClose(conversion(m: 18, b: 320, rExp: -1).value(raw: 25), 77)
        // (2·100 + 5·10^2)·10^-3 = 0.7
        expectClose(conversion(m: 2, b: 5, bExp: 2, rExp: -3).value(raw: 100), 0.7)
    }

    @Test func zeroMultiplierGivesTheOffset() {
        // (0·x + 15·10^-1) = 1.5 whatever the raw value
        for raw: UInt8 in [0, 99, 255] {
            expectClose(conversion(m: 0, b: 15, bExp: -1).value(raw: raw), 1.5)
        }
    }

    @Test func negativeMultiplier() {
        // -63 · 190 · 10^-3 = -11.97
        expectClose(conversion(m: -63, rExp: -3).value(raw: 190), -11.97)
    }

    @Test func everyLinearization() {
        expectClose(conversion(linearization: .linear).value(raw: 7), 7)
        // ln(1) = 0 with x = 100 · 10^-2
        expectClose(conversion(rExp: -2, linearization: .ln).value(raw: 100), 0)
        expectClose(conversion(linearization: .log10).value(raw: 100), 2)
        expectClose(conversion(linearization: .log2).value(raw: 64), 6)
        // e^0 = 1; e^1
        expectClose(conversion(linearization: .e).value(raw: 0), 1)
        expectClose(conversion(linearization: .e).value(raw: 1), 2.718281828459045)
        expectClose(conversion(linearization: .exp10).value(raw: 3), 1000)
        expectClose(conversion(linearization: .exp2).value(raw: 10), 1024)
        // 1 / (8 · 10^-1) = 1.25
        expectClose(conversion(rExp: -1, linearization: .inverse).value(raw: 8), 1.25)
        expectClose(conversion(linearization: .square).value(raw: 12), 144)
        expectClose(conversion(linearization: .cube).value(raw: 3), 27)
        expectClose(conversion(linearization: .squareRoot).value(raw: 144), 12)
        expectClose(conversion(linearization: .cubeRoot).value(raw: 27), 3)
        // 1/x of zero stays zero, as FreeIPMI and ipmitool leave it.
        expectClose(conversion(linearization: .inverse).value(raw: 0), 0)
    }

    @Test func linearizationCodes() {
        let expected: [(UInt8, Linearization)] = [
            (0x00, .linear), (0x01, .ln), (0x02, .log10), (0x03, .log2), (0x04, .e), (0x05, .exp10),
            (0x06, .exp2), (0x07, .inverse), (0x08, .square), (0x09, .cube), (0x0A, .squareRoot),
            (0x0B, .cubeRoot), (0x70, .nonLinear(0x70)), (0x7F, .nonLinear(0x7F)), (0x0C, .reserved(0x0C)),
        ]
        for (code, linearization) in expected {
            #expect(Linearization(code: code) == linearization)
        }
    }

    @Test func nonLinearIsReportedNotGuessed() {
        let c = conversion(linearization: .nonLinear(0x70))
        #expect(c.value(raw: 50) == nil)
        #expect(!c.isConvertible)
        #expect(conversion(linearization: .reserved(0x20)).value(raw: 1) == nil)
    }
}
