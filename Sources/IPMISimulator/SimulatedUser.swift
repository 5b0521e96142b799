import IPMI

/// A user account of a simulated BMC. Simulator passwords are test credentials, yet they are still never
/// printed: the description redacts them.
public struct SimulatedUser: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    var password: [UInt8]
    /// The highest privilege a session of this user may reach (IPMI v2.0 section 6.8, channel/user limits).
    public var maximumPrivilege: PrivilegeLevel

    public init(name: String, password: String, maximumPrivilege: PrivilegeLevel) {
        self.name = name
        self.password = Array(password.utf8.prefix(20))
        self.maximumPrivilege = maximumPrivilege
    }

    /// K_uid: the password zero-padded to 20 bytes (IPMI v2.0 section 13.31).
    var userKey: [UInt8] {
        password + [UInt8](repeating: 0, count: max(0, 20 - password.count))
    }

    public var description: String { "user \"\(name)\" (\(maximumPrivilege)), password <redacted>" }

    /// The documented test credential of every simulated BMC unless configured otherwise.
    public static let defaultAdministrator = SimulatedUser(
        name: "admin", password: "password", maximumPrivilege: .administrator)
}
