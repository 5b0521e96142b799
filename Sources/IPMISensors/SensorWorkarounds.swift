import IPMI

/// FreeIPMI's workaround flags for reading sensors (ipmi-sensors(8), section WORKAROUNDS), by the name a config gives
/// them. They change how readings are interpreted and where an SDR walk ends, never how the session is spoken.
public struct SensorWorkarounds: NamedFlags, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `discretereading`: a sensor whose SDR gives a discrete event/reading type but has conversion factors (a full
    /// record) gets its analog reading too, as on HP ProLiant DL380 G7 fans.
    public static let discreteReading = SensorWorkarounds(rawValue: 1 << 0)
    /// `ignorescanningdisabled`: a reading whose "sensor scanning disabled" bit (IPMI v2.0 §35.14, byte 2 bit 6) is
    /// set is used all the same, for BMCs that set it wrongly (Dell PowerEdge 2900/2950/R410/R610).
    public static let ignoreScanningDisabled = SensorWorkarounds(rawValue: 1 << 1)
    /// `assumebmcowner`: a sensor whose SDR names another controller as owner is read from the BMC, for BMCs that
    /// report a wrong owner (Fujitsu RX300).
    public static let assumeBMCOwner = SensorWorkarounds(rawValue: 1 << 2)
    /// `assumemaxsdrrecordcount`: an SDR walk stops once it has read as many records as Get SDR Repository Info
    /// (IPMI v2.0 §33.9) counts, for BMCs whose last record's "next record ID" is not FFFFh (an Inspur board).
    public static let assumeMaxSDRRecordCount = SensorWorkarounds(rawValue: 1 << 3)

    /// Each flag and its FreeIPMI name.
    public static let names: [(name: String, flag: SensorWorkarounds)] = [
        ("discretereading", .discreteReading), ("ignorescanningdisabled", .ignoreScanningDisabled),
        ("assumebmcowner", .assumeBMCOwner), ("assumemaxsdrrecordcount", .assumeMaxSDRRecordCount),
    ]
}
