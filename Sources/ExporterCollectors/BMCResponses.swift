import IPMI

// The collectors decode with the typed codecs of `IPMI` (Sources/IPMI/Commands), which the simulator encodes with
// too; an answer too short or malformed throws there, so odd BMC data becomes `ipmi_up 0`, never a crash. These
// are the names the metric builders (BMCMetrics) take.

typealias DeviceID = GetDeviceIDResponse
typealias ChassisStatus = GetChassisStatusResponse
typealias DCMIPowerReading = DCMIGetPowerReadingResponse
typealias SELInfo = GetSELInfoResponse
typealias WatchdogTimer = GetWatchdogTimerResponse

/// The watchdog's fields as the exporter reports them, with the names FreeIPMI's bmc-watchdog prints.
extension GetWatchdogTimerResponse {
    /// In the order of the use codes 1…5 (IPMI v2.0 table 27-7; 0 and 6-7 are reserved).
    static let timerUses = ["BIOS FRB2", "BIOS POST", "OS LOAD", "SMS/OS", "OEM"]
    static let timeoutActions = ["None", "Hard Reset", "Power Down", "Power Cycle"]
    static let pretimeoutInterrupts = ["None", "SMI", "NMI / Diagnostic Interrupt", "Messaging Interrupt"]

    /// The spec's bit is "don't log"; the exporter reports the logging flag the other way round.
    var loggingEnabled: Bool { !dontLog }
    var pretimeoutIntervalSeconds: Double { Double(pretimeoutInterval) }

    var timerUseName: String? {
        (1...5).contains(timerUse) ? Self.timerUses[Int(timerUse) - 1] : nil
    }
    var timeoutActionName: String? {
        Int(timeoutAction) < Self.timeoutActions.count ? Self.timeoutActions[Int(timeoutAction)] : nil
    }
    var pretimeoutInterruptName: String? {
        Int(pretimeoutInterrupt) < Self.pretimeoutInterrupts.count
            ? Self.pretimeoutInterrupts[Int(pretimeoutInterrupt)] : nil
    }
}
