/// Checked conversions between numbers from outside (an HTTP header, a command-line flag, a config file) and times.
///
/// `Int64(someDouble)` and `Int(seconds) * 1000` trap when the value does not fit, and a trap ends the whole process:
/// a scrape-timeout header of `1e16`, a `--timeout 1e300` or an `http_idle_timeout: 999999999h` must never get that
/// far. Every such number becomes a `Duration`, and every `Duration` becomes a count of nanoseconds or milliseconds,
/// only through this type, which rejects or clamps instead of trapping.
///
/// It lives in the IPMI target because that is the one target every place that turns such a number into a time
/// depends on: the HTTP server and config loader (IPMIExporter), the client's timers (IPMIClient), the simulator and
/// the command-line tools. Keeping it here, with no clock and no event loop, keeps IPMI a pure protocol layer.
public enum TimeBounds {
    /// `seconds` as a duration, or nil when it is NaN, infinite or outside `range` (so a flag or config value can be
    /// refused with a reason).
    public static func duration(seconds: Double, in range: ClosedRange<Duration>) -> Duration? {
        guard seconds.isFinite, seconds >= Self.seconds(range.lowerBound), seconds <= Self.seconds(range.upperBound)
        else { return nil }
        return min(max(.nanoseconds(nanoseconds(seconds: seconds)), range.lowerBound), range.upperBound)
    }

    /// `seconds` as a duration moved into `range` (+∞ and anything above it give its upper bound, −∞ and anything
    /// below its lower bound); nil only for NaN, which has no place to go. For values an outsider sends that are
    /// capped anyway, like the scrape timeout Prometheus announces.
    public static func duration(clampingSeconds seconds: Double, to range: ClosedRange<Duration>) -> Duration? {
        guard !seconds.isNaN else { return nil }
        if seconds >= Self.seconds(range.upperBound) { return range.upperBound }
        if seconds <= Self.seconds(range.lowerBound) { return range.lowerBound }
        return min(max(.nanoseconds(nanoseconds(seconds: seconds)), range.lowerBound), range.upperBound)
    }

    /// Whole nanoseconds of `duration` (rounded towards zero), saturating at `Int64.min` and `Int64.max`
    /// (about ±292 years), as NIO's `TimeAmount` and timers take them.
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        count(duration, unitsPerSecond: 1_000_000_000)
    }

    /// Whole milliseconds of `duration` (rounded towards zero), saturating at `Int64.min` and `Int64.max`.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        count(duration, unitsPerSecond: 1000)
    }

    /// `duration` in seconds, for comparisons with a `Double` (exact to well below a nanosecond for any bound
    /// that makes sense as a timeout).
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Nanoseconds of a finite number of seconds, saturating instead of trapping: `Int64(Double)` traps at 2⁶³,
    /// which is exactly `Double(Int64.max)` (that value rounds up), so the bound is checked before converting.
    private static func nanoseconds(seconds: Double) -> Int64 {
        let nanoseconds = (seconds * 1e9).rounded(.towardZero)
        if nanoseconds >= 0x1p63 { return .max }
        if nanoseconds <= -0x1p63 { return .min }
        return Int64(nanoseconds)
    }

    private static func count(_ duration: Duration, unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let saturated: Int64 = duration < .zero ? .min : .max
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        let fraction = attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond)
        let (total, overflowAgain) = whole.addingReportingOverflow(fraction)
        return overflow || overflowAgain ? saturated : total
    }
}
