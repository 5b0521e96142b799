import IPMI

/// Protocol faults of real BMCs that FreeIPMI works around with its workaround flags (ipmi-sensors(8), section
/// WORKAROUNDS): each quirk makes the simulated BMC behave as FreeIPMI describes the broken one, named after the flag
/// that copes with it. All off by default.
public struct BMCQuirks: NamedFlags, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `authcap`: Get Channel Authentication Capabilities misreports the BMC's login status (IPMI v2.0 §22.13, byte
    /// 3): no user names enabled and K_g set, yet "admin" logs in with the user key (Asus, Intel, Sun ELOM boards).
    public static let authcap = BMCQuirks(rawValue: 1 << 0)

    /// `intel20`: RAKP 1 finds the user only when the name is NUL-padded to 16 bytes (which IPMI v2.0 table 13-11
    /// forbids); any other name is refused with status 0Dh (unauthorized name), and RAKP 3 is checked against the
    /// unpadded name and the role without its name-only lookup bit, as on Intel SE7520AF2.
    public static let intel20 = BMCQuirks(rawValue: 1 << 1)

    /// `supermicro20`: RAKP 2 is one byte longer than its contents (a zero after the key exchange code), as on
    /// Supermicro H8QME with Peppercon firmware.
    public static let supermicro20 = BMCQuirks(rawValue: 1 << 2)

    /// `opensesspriv`: the RAKP key exchange codes hash the privilege level of the Open Session request instead of
    /// the one in RAKP 1, so a console that asks for "highest" (0) in Open Session fails its RAKP 2 check.
    public static let opensesspriv = BMCQuirks(rawValue: 1 << 3)

    /// `ignorescanningdisabled`: Get Sensor Reading clears "sensor scanning enabled" (IPMI v2.0 §35.14, byte 2 bit 6)
    /// although the reading is good, so the sensors look unavailable (Dell PowerEdge R610 and kin).
    public static let ignorescanningdisabled = BMCQuirks(rawValue: 1 << 4)

    /// `assumebmcowner`: every sensor record names a management engine (2Ch) as its owner, yet the BMC itself
    /// answers Get Sensor Reading for them (Fujitsu RX300).
    public static let assumebmcowner = BMCQuirks(rawValue: 1 << 5)

    /// `discretereading`: the full records of threshold sensors give event/reading type 07h (generic discrete) while
    /// their readings stay analog (HP ProLiant DL380 G7).
    public static let discretereading = BMCQuirks(rawValue: 1 << 6)

    /// `sun20`: with HMAC-SHA1 authentication RAKP 2 is one byte longer than its contents, and the key exchange
    /// codes hash the Open Session privilege as with `opensesspriv` (Sun Fire 4100 ILOM).
    public static let sun20 = BMCQuirks(rawValue: 1 << 7)

    /// `integritycheckvalue`: with cipher suite 0 (RAKP-none) RAKP 4 carries a 12-byte integrity check value where
    /// IPMI v2.0 §13.28 has none (Supermicro X8DTG).
    public static let integritycheckvalue = BMCQuirks(rawValue: 1 << 8)

    /// `nochecksumcheck`: answers inside a session carry a wrong data checksum (the last byte of the IPMI message,
    /// IPMI v2.0 §13.8), authenticated all the same (Supermicro X9SCM-iiF).
    public static let nochecksumcheck = BMCQuirks(rawValue: 1 << 9)

    /// `assumemaxsdrrecordcount`: the last SDR's "next record ID" is not FFFFh (IPMI v2.0 §33.12) but points back to
    /// the first record, so a walk that follows the chain never ends; only the record count of Get SDR Repository
    /// Info (§33.9) tells where it does (an Inspur board).
    public static let assumemaxsdrrecordcount = BMCQuirks(rawValue: 1 << 10)

    /// `idzero`: IPMI 1.5 answers carry session ID 0 in place of the session's (Tyan S2882 with M3289 BMC).
    public static let idzero = BMCQuirks(rawValue: 1 << 20)

    /// `forcepermsg`: Get Channel Authentication Capabilities says per-message authentication is disabled (IPMI v2.0
    /// §22.13 byte 3 bit 4), yet IPMI 1.5 requests without an AuthCode go unanswered (IBM eServer 325).
    public static let forcepermsg = BMCQuirks(rawValue: 1 << 21)

    /// `unexpectedauth`: says per-message authentication is disabled and takes requests without AuthCode, but
    /// answers them with one (Copper and Intel BMCs).
    public static let unexpectedauth = BMCQuirks(rawValue: 1 << 22)

    /// `endianseq`: IPMI 1.5 answers carry their session sequence numbers big-endian (some Sun ILOM firmware).
    public static let endianseq = BMCQuirks(rawValue: 1 << 23)

    /// `noauthcodecheck`: the AuthCodes of IPMI 1.5 answers are wrong (Xeon S5500BC); the BMC checks the console's.
    public static let noauthcodecheck = BMCQuirks(rawValue: 1 << 24)

    /// Each quirk by the flag name `simulate --quirk` takes.
    public static let names: [(name: String, flag: BMCQuirks)] = [
        ("authcap", .authcap), ("intel20", .intel20), ("supermicro20", .supermicro20), ("opensesspriv", .opensesspriv),
        ("ignorescanningdisabled", .ignorescanningdisabled), ("assumebmcowner", .assumebmcowner),
        ("discretereading", .discretereading), ("sun20", .sun20),
        ("integritycheckvalue", .integritycheckvalue), ("nochecksumcheck", .nochecksumcheck),
        ("assumemaxsdrrecordcount", .assumemaxsdrrecordcount), ("idzero", .idzero), ("forcepermsg", .forcepermsg),
        ("unexpectedauth", .unexpectedauth), ("endianseq", .endianseq), ("noauthcodecheck", .noauthcodecheck),
    ]
}
