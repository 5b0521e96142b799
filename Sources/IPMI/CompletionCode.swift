/// An IPMI completion code (IPMI v2.0 section 5.2, table 5-2).
public struct CompletionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let normal = CompletionCode(rawValue: 0x00)
    public static let nodeBusy = CompletionCode(rawValue: 0xC0)
    public static let invalidCommand = CompletionCode(rawValue: 0xC1)
    public static let invalidCommandForLUN = CompletionCode(rawValue: 0xC2)
    public static let timeout = CompletionCode(rawValue: 0xC3)
    public static let outOfSpace = CompletionCode(rawValue: 0xC4)
    public static let reservationCancelled = CompletionCode(rawValue: 0xC5)
    public static let requestDataTruncated = CompletionCode(rawValue: 0xC6)
    public static let requestDataLengthInvalid = CompletionCode(rawValue: 0xC7)
    public static let requestDataFieldLengthExceeded = CompletionCode(rawValue: 0xC8)
    public static let parameterOutOfRange = CompletionCode(rawValue: 0xC9)
    public static let cannotReturnRequestedBytes = CompletionCode(rawValue: 0xCA)
    public static let requestedDataNotPresent = CompletionCode(rawValue: 0xCB)
    public static let invalidDataField = CompletionCode(rawValue: 0xCC)
    public static let commandIllegalForSensor = CompletionCode(rawValue: 0xCD)
    public static let responseNotProvided = CompletionCode(rawValue: 0xCE)
    public static let duplicatedRequest = CompletionCode(rawValue: 0xCF)
    public static let sdrRepositoryInUpdateMode = CompletionCode(rawValue: 0xD0)
    public static let firmwareUpdateMode = CompletionCode(rawValue: 0xD1)
    public static let bmcInitializing = CompletionCode(rawValue: 0xD2)
    public static let destinationUnavailable = CompletionCode(rawValue: 0xD3)
    public static let insufficientPrivilege = CompletionCode(rawValue: 0xD4)
    public static let notSupportedInPresentState = CompletionCode(rawValue: 0xD5)
    public static let subFunctionDisabled = CompletionCode(rawValue: 0xD6)
    public static let unspecified = CompletionCode(rawValue: 0xFF)

    /// The spec's name for the code, lower case, as used in error messages.
    public var name: String {
        switch rawValue {
        case 0x00: "command completed normally"
        case 0xC0: "node busy"
        case 0xC1: "invalid command"
        case 0xC2: "command invalid for given LUN"
        case 0xC3: "timeout while processing command"
        case 0xC4: "out of space"
        case 0xC5: "reservation cancelled or invalid reservation ID"
        case 0xC6: "request data truncated"
        case 0xC7: "request data length invalid"
        case 0xC8: "request data field length limit exceeded"
        case 0xC9: "parameter out of range"
        case 0xCA: "cannot return number of requested data bytes"
        case 0xCB: "requested sensor, data, or record not present"
        case 0xCC: "invalid data field in request"
        case 0xCD: "command illegal for specified sensor or record type"
        case 0xCE: "command response could not be provided"
        case 0xCF: "cannot execute duplicated request"
        case 0xD0: "SDR repository in update mode"
        case 0xD1: "device in firmware update mode"
        case 0xD2: "BMC initialization in progress"
        case 0xD3: "destination unavailable"
        case 0xD4: "insufficient privilege level"
        case 0xD5: "command not supported in present state"
        case 0xD6: "command sub-function disabled or unavailable"
        case 0xFF: "unspecified error"
        case 0x01...0x7E: "OEM completion code"
        case 0x80...0xBE: "command-specific completion code"
        default: "reserved completion code"
        }
    }

    /// The BMC refuses the command itself rather than failing this one request: it does not implement it (C1h,
    /// C2h), rejects its fields (C9h, CCh), needs a higher privilege than the session has (D4h), or cannot do it in
    /// its present state or configuration (D5h, D6h) (IPMI v2.0 §5.2, table 5-2). Asking again in the same session
    /// gets the same answer, so callers remember it instead of retrying on every scrape.
    public var isRefusal: Bool {
        switch rawValue {
        case 0xC1, 0xC2, 0xC9, 0xCC, 0xD4, 0xD5, 0xD6: true
        default: false
        }
    }

    public var description: String {
        "completion code 0x" + hex2(rawValue) + " (" + name + ")"
    }
}

@inline(__always)
func hex2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
