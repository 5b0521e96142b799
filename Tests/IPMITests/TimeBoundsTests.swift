import IPMI
import Testing

/// The one checked conversion from outside numbers to times: never a trap, whatever the number.
@Suite struct TimeBoundsTests {
    static let hostile: [Double] = [
        .nan, -.nan, .infinity, -.infinity, -1, -1e308, 1e300, 1e308, 1e16, .greatestFiniteMagnitude,
        Double(Int64.max), Double(UInt64.max), 0x1p63, -0x1p63, .leastNonzeroMagnitude,
    ]
    static let range: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3600))

    @Test func rejectsEverythingOutsideTheRange() {
        for value in Self.hostile {
            #expect(TimeBounds.duration(seconds: value, in: Self.range) == nil, "\(value)")
        }
        #expect(TimeBounds.duration(seconds: 0.000_999, in: Self.range) == nil)
        #expect(TimeBounds.duration(seconds: 3600.001, in: Self.range) == nil)
    }

    @Test func acceptsTheRangeItself() {
        #expect(TimeBounds.duration(seconds: 0.001, in: Self.range) == .milliseconds(1))
        #expect(TimeBounds.duration(seconds: 3600, in: Self.range) == .seconds(3600))
        #expect(TimeBounds.duration(seconds: 1.5, in: Self.range) == .milliseconds(1500))
        #expect(TimeBounds.duration(seconds: 0.05, in: .milliseconds(50)...(.seconds(60))) == .milliseconds(50))
    }

    @Test func clampsIntoTheRange() {
        let range: ClosedRange<Duration> = .zero...(.seconds(86_400))
        #expect(TimeBounds.duration(clampingSeconds: .nan, to: range) == nil)
        #expect(TimeBounds.duration(clampingSeconds: -.nan, to: range) == nil)
        for value in [Double.infinity, 1e300, 1e308, 1e16, Double(Int64.max), Double(UInt64.max), 86_400.5] {
            #expect(TimeBounds.duration(clampingSeconds: value, to: range) == .seconds(86_400), "\(value)")
        }
        for value in [-Double.infinity, -1e308, -1, -0.0] {
            #expect(TimeBounds.duration(clampingSeconds: value, to: range) == .zero, "\(value)")
        }
        #expect(TimeBounds.duration(clampingSeconds: 2.25, to: range) == .milliseconds(2250))
    }

    @Test func countsSaturateInsteadOfOverflowing() {
        #expect(TimeBounds.nanoseconds(.seconds(Int64.max)) == .max)
        #expect(TimeBounds.nanoseconds(.seconds(Int64.min)) == .min)
        #expect(TimeBounds.milliseconds(.seconds(Int64.max)) == .max)
        #expect(TimeBounds.milliseconds(.seconds(Int64.min)) == .min)
        #expect(TimeBounds.nanoseconds(.seconds(9_223_372_037)) == .max)  // 2⁶³ ns is 9,223,372,036.85 s
        #expect(TimeBounds.nanoseconds(.seconds(9_223_372_036)) == 9_223_372_036_000_000_000)
        #expect(TimeBounds.nanoseconds(.microseconds(3_600_000_000 * 999_999_999)) == .max)  // `999999999h`
        #expect(TimeBounds.nanoseconds(.milliseconds(1500)) == 1_500_000_000)
        #expect(TimeBounds.nanoseconds(.nanoseconds(-7)) == -7)
        #expect(TimeBounds.milliseconds(.microseconds(2_999)) == 2)
        #expect(TimeBounds.milliseconds(.zero) == 0)
        #expect(TimeBounds.seconds(.milliseconds(1500)) == 1.5)
    }
}
