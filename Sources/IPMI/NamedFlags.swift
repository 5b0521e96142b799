/// An option set whose members go by the names a config or command line gives them: FreeIPMI's workaround flags
/// (``SessionWorkarounds``, the sensor flags of IPMISensors) and the simulator's quirks named after them.
public protocol NamedFlags: OptionSet, Sendable where Element == Self {
    /// Each member and its name.
    static var names: [(name: String, flag: Self)] { get }
}

extension NamedFlags {
    /// The members among `names` (lower-case); other names are left to other sets.
    public init(names: some Sequence<String>) {
        self.init()
        for name in names {
            if let entry = Self.names.first(where: { $0.name == name }) { insert(entry.flag) }
        }
    }

    /// The member called `name` (any case), or nil.
    public init?(name: String) {
        guard let entry = Self.names.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = entry.flag
    }
}
