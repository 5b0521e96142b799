/// FreeIPMI's workaround flags for IPMI 2.0 and IPMI 1.5 LAN sessions (ipmi-sensors(8), bmc-info(8), section
/// WORKAROUNDS), by the name a config gives them. They are read once when a session is set up; none lets
/// unauthenticated data into a session except `noauthcodecheck`, which exists to do just that for a BMC whose
/// IPMI 1.5 AuthCodes are wrong.
public struct SessionWorkarounds: NamedFlags, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `authcap`: Get Channel Authentication Capabilities is advisory. A BMC that says it has no IPMI v2.0 (RMCP+)
    /// support while it does is still asked to open a session.
    public static let authenticationCapabilities = SessionWorkarounds(rawValue: 1 << 0)

    /// `intel20`: the user name goes NUL-padded to 16 bytes into RAKP 1 and the key exchange codes, and with
    /// HMAC-MD5 authentication a password longer than 16 bytes is cut to 16 (Intel SE7520AF2 and kin).
    public static let intel20 = SessionWorkarounds(rawValue: 1 << 1)

    /// `supermicro20`: a RAKP 2 one byte longer than its contents (Supermicro H8QME with Peppercon firmware) is
    /// read without that byte; the key exchange code is checked in full all the same.
    public static let supermicro20 = SessionWorkarounds(rawValue: 1 << 2)

    /// `sun20`: with HMAC-SHA1 authentication, a RAKP 2 one byte longer than its contents is read without that byte
    /// (Sun Fire 4100/4200/4500 ILOM); it includes `opensesspriv`, which this client always does.
    public static let sun20 = SessionWorkarounds(rawValue: 1 << 3)

    /// `integritycheckvalue`: with cipher suite 0 a RAKP 4 that carries an integrity check value, which should be
    /// empty, is accepted (Supermicro X8DTG, Intel S5500WBV).
    public static let integrityCheckValue = SessionWorkarounds(rawValue: 1 << 5)

    /// `nochecksumcheck`: the two IPMI message checksums of answers inside the session are not verified (Supermicro
    /// X9 boards). The session's integrity check (HMAC) still authenticates every answer of a suite that has one.
    public static let noChecksumCheck = SessionWorkarounds(rawValue: 1 << 6)

    /// `opensesspriv`: Open Session asks for the configured privilege level rather than "highest". This client
    /// always does so (as ipmitool does), so the flag is accepted and changes nothing.
    public static let openSessionPrivilege = SessionWorkarounds(rawValue: 1 << 4)

    /// `idzero`: IPMI 1.5 answers that carry session ID 0 instead of the session's are taken (Tyan S2882 with M3289
    /// BMC). AuthCodes and sequence numbers are still checked.
    public static let acceptSessionIDZero = SessionWorkarounds(rawValue: 1 << 7)

    /// `forcepermsg`: IPMI 1.5 requests carry an AuthCode although Get Channel Authentication Capabilities says
    /// per-message authentication is disabled (IBM eServer 325), which such a BMC then requires.
    public static let forcePerMessageAuthentication = SessionWorkarounds(rawValue: 1 << 8)

    /// `unexpectedauth`: an IPMI 1.5 answer with an AuthCode where none is expected (per-message authentication
    /// disabled) is checked as though one were expected, instead of being dropped (Copper and Intel BMCs).
    public static let checkUnexpectedAuthCode = SessionWorkarounds(rawValue: 1 << 9)

    /// `endianseq`: the IPMI 1.5 session sequence numbers of answers are byte-swapped before they are checked (some
    /// Sun ILOM 1.0/2.0 firmware writes them big-endian).
    public static let bigEndianSequence = SessionWorkarounds(rawValue: 1 << 10)

    /// `noauthcodecheck`: the AuthCodes of IPMI 1.5 answers are not verified (Xeon S5500BC). The only flag that
    /// lets unauthenticated answers into a session: use it only for a BMC that needs it.
    public static let noAuthCodeCheck = SessionWorkarounds(rawValue: 1 << 11)

    /// Each flag and its FreeIPMI name.
    public static let names: [(name: String, flag: SessionWorkarounds)] = [
        ("authcap", .authenticationCapabilities), ("intel20", .intel20), ("supermicro20", .supermicro20),
        ("sun20", .sun20), ("opensesspriv", .openSessionPrivilege), ("integritycheckvalue", .integrityCheckValue),
        ("nochecksumcheck", .noChecksumCheck), ("idzero", .acceptSessionIDZero),
        ("forcepermsg", .forcePerMessageAuthentication), ("unexpectedauth", .checkUnexpectedAuthCode),
        ("endianseq", .bigEndianSequence), ("noauthcodecheck", .noAuthCodeCheck),
    ]

    /// The text a failure adds when one of `flags` not already in `active` might help: the log line names the flags
    /// to try, in the form the config takes.
    public static func hint(_ flags: SessionWorkarounds, unless active: SessionWorkarounds) -> String {
        let candidates = names.filter { flags.contains($0.flag) && !active.contains($0.flag) }.map(\.name)
        guard !candidates.isEmpty else { return "" }
        let tries = candidates.map { "workaround_flags: [\($0)]" }.joined(separator: " or ")
        return "; if FreeIPMI needs -W \(candidates.joined(separator: "/")) for this BMC, try \(tries)"
    }
}
