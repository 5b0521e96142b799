/// Bounds on what one BMC's SDR repository may make a reader hold. A repository is data from the BMC: one that
/// chains 65,534 records of 15 shared sensors each would otherwise take hundreds of megabytes and minutes to read.
/// The defaults are far above real servers (a few dozen to a few hundred records; large blade chassis stay below a
/// thousand or two), so only a broken or hostile BMC meets them.
public struct SDRLimits: Sendable, Hashable {
    /// Records read from one repository at most (record IDs are 16-bit, so a repository can never exceed 65,535).
    public static let defaultMaximumRecords = 4096
    /// Sensors one repository may describe once shared compact records are expanded (§43.2: up to 15 per record).
    public static let defaultMaximumSensors = 8192

    public var maximumRecords: Int
    public var maximumSensors: Int

    public init(
        maximumRecords: Int = SDRLimits.defaultMaximumRecords, maximumSensors: Int = SDRLimits.defaultMaximumSensors
    ) {
        self.maximumRecords = maximumRecords
        self.maximumSensors = maximumSensors
    }
}
