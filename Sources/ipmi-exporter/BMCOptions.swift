import ArgumentParser
import Foundation
import IPMI
import IPMIClient
import IPMIExporter
import IPMILocalDevice
import Logging

/// The options that name a BMC and how to log in, shared by the operator commands (`raw`, `sensors`). With `-H` they
/// talk RMCP+ to a BMC on the network; without it, to this machine's own BMC through the kernel's IPMI device, as
/// ipmitool and FreeIPMI do.
struct BMCOptions: ParsableArguments {
    @Option(
        name: .customShort("H"),
        help: ArgumentHelp(
            "The BMC on the network, as HOST, HOST:PORT or [IPv6]:PORT (default port 623). Without it, this "
                + "machine's BMC through the kernel's IPMI device.",
            valueName: "host"))
    var host: String?

    @Option(
        help: ArgumentHelp(
            "The local IPMI device, without -H (default: the first of "
                + OpenIPMIDevice.standardPaths.joined(separator: ", ") + ").",
            valueName: "path"))
    var device: String?

    @Option(name: .customShort("U"), help: ArgumentHelp("User name (with -H).", valueName: "user"))
    var user: String?

    @Option(
        name: .customShort("I"),
        help: ArgumentHelp(
            "Cipher suite ID (1-3, 6-8, 11, 12, 15-17); the strongest both sides support when omitted.",
            valueName: "suite"))
    var cipherSuite: UInt8?

    @Option(
        name: .customShort("L"),
        help: ArgumentHelp(
            "Privilege level: user, operator or administrator (default administrator).", valueName: "level"))
    var privilege: String?

    @Option(name: .customLong("password-file"), help: "A file whose first line is the password.")
    var passwordFile: String?

    @Option(
        name: .customShort("P"),
        help: ArgumentHelp(
            "The password (visible to other users in process listings: prefer --password-file or IPMI_PASSWORD).",
            valueName: "password"))
    var password: String?

    @Option(
        name: .customShort("b"),
        help: ArgumentHelp("Bridge: the channel of the target controller (with -t).", valueName: "channel"))
    var bridgeChannel: UInt8?

    @Option(
        name: .customShort("t"),
        help: ArgumentHelp("Bridge: the IPMB address of the target controller, e.g. 0x30.", valueName: "address"))
    var bridgeTarget: String?

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for each answer before sending again (0.05 to 60; default 1 over the network, 5 "
                + "through the local device)."))
    var timeout: Double?

    @Option(help: "How many times to send a request again after a timeout (default 2 over the network, 1 locally).")
    var retries: Int?

    @Flag(help: "Log the negotiated session and every packet (hex) to standard error.")
    var debug = false

    /// The answer timeouts `--timeout` accepts: shorter than 50 ms is below a BMC's processing time, longer than a
    /// minute is a dead BMC.
    static let answerTimeouts: ClosedRange<Duration> = .milliseconds(50)...(.seconds(60))

    func validate() throws {
        _ = try requestTimeout()
        if host == nil {
            let networkOnly = [
                ("-U", user != nil), ("-I", cipherSuite != nil), ("-L", privilege != nil), ("-P", password != nil),
                ("--password-file", passwordFile != nil),
            ]
            if let (flag, _) = networkOnly.first(where: { $0.1 }) {
                throw ValidationError("\(flag) is for a BMC on the network (-H); without -H the local device is used")
            }
        } else {
            guard device == nil else { throw ValidationError("--device is for the local BMC: leave out -H") }
            guard user != nil else { throw ValidationError("Missing expected argument '-U <user>' (with -H)") }
        }
    }

    /// `--timeout` checked by ``TimeBounds``: NaN, infinite or out-of-range seconds are a usage error, not a trap.
    /// Nil when not given.
    func requestTimeout() throws -> Duration? {
        guard let timeout else { return nil }
        guard let duration = TimeBounds.duration(seconds: timeout, in: Self.answerTimeouts) else {
            throw ValidationError("--timeout must be between 0.05 and 60 seconds, got \(timeout)")
        }
        return duration
    }

    /// Opens the BMC (an RMCP+ session with `-H`, else the local device), runs `body` with it and closes it, also
    /// when `body` throws.
    func withBMC<T>(logger: Logger, _ body: (any IPMIRequester) async throws -> T) async throws -> T {
        let requester: any IPMIRequester
        let connect: () async throws -> Void
        let close: () async -> Void
        if host == nil {
            let device = try await openDevice(logger: logger)
            (requester, connect, close) = (device, {}, { await device.close() })
        } else {
            let client = try makeClient(logger: logger)
            (requester, connect, close) = (client, { try await client.connect() }, { await client.close() })
        }
        do {
            try await connect()
            let result = try await body(requester)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// The local device: `--device`, or the first standard path that exists.
    func openDevice(logger: Logger) async throws -> OpenIPMIDevice {
        var options = LocalDeviceOptions()
        if let timeout = try requestTimeout() { options.requestTimeout = timeout }
        if let retries { options.retries = max(0, retries) }
        return try await OpenIPMIDevice.open(path: device, bridge: try bridge(), options: options, logger: logger)
    }

    /// `-b` and `-t` together, or neither.
    private func bridge() throws -> BridgeTarget? {
        guard bridgeChannel != nil || bridgeTarget != nil else { return nil }
        guard let bridgeChannel, let bridgeTarget, let address = Self.parseByte(bridgeTarget) else {
            throw ValidationError("bridging needs both -b CHANNEL and -t ADDRESS (e.g. -b 0 -t 0x30)")
        }
        return BridgeTarget(channel: bridgeChannel, address: address)
    }

    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = debug ? .debug : .error
        return logger
    }

    /// A client for the BMC, with credentials checked and the password read from where the user put it.
    func makeClient(logger: Logger) throws -> IPMIClient {
        guard let host, let user else { throw ValidationError("-H and -U name a BMC on the network") }
        // The same parser as the exporter's ?target=: host, host:port, [v6] or [v6]:port, default port 623.
        let target: ScrapeTarget
        do {
            target = try ScrapeTarget(parsing: host)
        } catch {
            throw ValidationError("-H \(host): \(error)")
        }
        let (hostName, port) = (target.host, target.port)
        let level: IPMI.PrivilegeLevel
        switch (privilege ?? "administrator").lowercased() {
        case "user": level = .user
        case "operator": level = .operator
        case "administrator", "admin": level = .administrator
        default: throw ValidationError("unknown privilege level '\(privilege ?? "")' (user, operator or administrator)")
        }
        var suite: CipherSuite?
        if let cipherSuite {
            guard let known = CipherSuite(id: cipherSuite) else {
                throw ValidationError("unsupported cipher suite \(cipherSuite)")
            }
            suite = known
            if cipherSuite == 0 {
                logger.warning(
                    "cipher suite 0: the session is unauthenticated (no authentication, integrity or confidentiality)")
            }
        }
        var options = ClientOptions()
        if let timeout = try requestTimeout() { options.requestTimeout = timeout }
        if let retries { options.retries = max(0, retries) }
        return try IPMIClient(
            host: hostName, port: port, username: user, password: try readPassword(), cipherSuite: suite,
            privilege: level, bridge: try bridge(), allowUnauthenticated: suite?.id == 0, options: options,
            logger: logger)
    }

    private func readPassword() throws -> String {
        if let passwordFile {
            let contents = try String(contentsOfFile: passwordFile, encoding: .utf8)
            return String(contents.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        if let password {
            // Like ipmitool: blank the value in the process's own argument memory, which is what
            // /proc/PID/cmdline and ps show, as soon as it has been read.
            CommandLineScrubber.blankValues(of: ["-P"])
            return password
        }
        if let password = ProcessInfo.processInfo.environment["IPMI_PASSWORD"] {
            return password
        }
        throw ValidationError("no password: use --password-file FILE or the IPMI_PASSWORD environment variable")
    }

    /// "0x30", "30h" or "48".
    static func parseByte(_ text: String) -> UInt8? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt8(lower.dropFirst(2), radix: 16) }
        if lower.hasSuffix("h") { return UInt8(lower.dropLast(), radix: 16) }
        return UInt8(lower)
    }
}

/// Overwrites option values in the original argv memory (what /proc/PID/cmdline reads), keeping their length.
/// ArgumentParser has already copied the arguments, so parsing is unaffected.
enum CommandLineScrubber {
    static func blankValues(of flags: Set<String>) {
        let argv = CommandLine.unsafeArgv
        var index = 1
        while index < Int(CommandLine.argc) {
            defer { index += 1 }
            guard let argument = argv[index] else { continue }
            let text = String(cString: argument)
            if flags.contains(text), index + 1 < Int(CommandLine.argc), let value = argv[index + 1] {
                blank(value, from: 0)
                index += 1
            } else if let flag = flags.first(where: { text.hasPrefix($0) && text.count > $0.count }) {
                blank(argument, from: flag.utf8.count)  // -Psecret or -P=secret
            }
        }
    }

    private static func blank(_ pointer: UnsafeMutablePointer<CChar>, from offset: Int) {
        var position = offset
        while pointer[position] != 0 {
            pointer[position] = CChar(UInt8(ascii: "x"))
            position += 1
        }
    }
}

/// Prints one clear line for an error and exits 1; usage errors keep ArgumentParser's own message.
func reportAndExit(_ command: String, _ error: any Error) throws -> Never {
    if error is ValidationError || error is ExitCode { throw error }
    FileHandle.standardError.write(Data("ipmi-exporter \(command): \(error)\n".utf8))
    throw ExitCode.failure
}
