import IPMI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Failures of the local OpenIPMI device (``OpenIPMIDevice``), each described in one line that says what to do.
public struct LocalDeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case noDevice(paths: [String])
        case permissionDenied(path: String, access: String)
        case cannotOpen(path: String, reason: String)
        case timeout(path: String, seconds: Double, command: String)
        case sendFailed(path: String, reason: String, command: String)
        case readFailed(path: String, reason: String)
        case malformed(path: String, reason: String)
        case closed(path: String)
    }

    private let kind: Kind

    /// None of `paths` exists, or the kernel has no IPMI interface behind it.
    public static func noDevice(_ paths: [String]) -> LocalDeviceError { .init(kind: .noDevice(paths: paths)) }
    /// `access` describes the device's owner, group and mode, e.g. "owner root, group root, mode crw-------".
    public static func permissionDenied(_ path: String, access: String) -> LocalDeviceError {
        .init(kind: .permissionDenied(path: path, access: access))
    }
    public static func cannotOpen(_ path: String, errno code: CInt) -> LocalDeviceError {
        .init(kind: .cannotOpen(path: path, reason: Self.text(code)))
    }
    public static func timeout(
        _ path: String, after duration: Duration, netFn: NetFn, command: UInt8
    )
        -> LocalDeviceError
    {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return .init(
            kind: .timeout(
                path: path, seconds: seconds, command: CommandName.describe(netFn: netFn, command: command)))
    }
    public static func sendFailed(_ path: String, errno code: CInt, netFn: NetFn, command: UInt8) -> LocalDeviceError {
        .init(
            kind: .sendFailed(
                path: path, reason: Self.text(code), command: CommandName.describe(netFn: netFn, command: command)))
    }
    public static func readFailed(_ path: String, errno code: CInt) -> LocalDeviceError {
        .init(kind: .readFailed(path: path, reason: Self.text(code)))
    }
    public static func malformed(_ path: String, _ reason: String) -> LocalDeviceError {
        .init(kind: .malformed(path: path, reason: reason))
    }
    public static func closed(_ path: String) -> LocalDeviceError { .init(kind: .closed(path: path)) }

    /// True when the BMC did not answer in time.
    public var isTimeout: Bool {
        if case .timeout = kind { return true }
        return false
    }

    /// True when no device exists (the kernel modules are not loaded, or the machine has no BMC).
    public var isNoDevice: Bool {
        if case .noDevice = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .noDevice(let paths):
            "no IPMI device (\(paths.joined(separator: ", ")) not found): load the kernel modules ipmi_si and "
                + "ipmi_devintf (modprobe ipmi_si ipmi_devintf), or give --device PATH"
        case .permissionDenied(let path, let access):
            "permission denied opening \(path) (\(access)): run as its owner or a member of its group, or give "
                + "this user read-write access to it"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .timeout(let path, let seconds, let command):
            "timeout after \((seconds * 10).rounded() / 10) s waiting for the BMC to answer \(command) through \(path)"
        case .sendFailed(let path, let reason, let command): "cannot send \(command) through \(path): \(reason)"
        case .readFailed(let path, let reason): "cannot read from \(path): \(reason)"
        case .malformed(let path, let reason): "malformed answer from \(path): \(reason)"
        case .closed(let path): "\(path) was closed"
        }
    }

    private static func text(_ code: CInt) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message) + " (errno \(code))"
    }
}
