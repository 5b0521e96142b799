/// The FreeIPMI command-line options of ipmi_exporter's `custom_args` that have a native equivalent here, read from
/// one collector's argument list. Every other argument is reported as ``Option/other(_:)`` so the loader can warn
/// that it has no effect.
struct FreeIPMIArguments {
    enum Option: Hashable {
        /// `-W LIST`, `-WLIST`, `--workaround-flags LIST`, `--workaround-flags=LIST` (comma-separated names).
        case workaroundFlags([String])
        /// `-b`, `--bridge-sensors`.
        case bridgeSensors
        /// `--entity-sensor-names`.
        case entitySensorNames
        /// `-I N`, `-IN`, `--cipher-suite-id N`, `--cipher-suite-id=N`: the text after the option, unchecked.
        case cipherSuite(String)
        /// `-D NAME`, `-DNAME`, `--driver-type NAME`, `--driver-type=NAME`: the text after the option, unchecked.
        case driverType(String)
        /// `-a TYPE`, `--authentication-type TYPE` (IPMI 1.5 only): the text after the option, unchecked.
        case authenticationType(String)
        /// Anything else, left to FreeIPMI's tools which this exporter does not run.
        case other(String)
    }

    /// An option and the index of the argument that carries its value (or of the option itself).
    struct Item: Hashable {
        var option: Option
        var index: Int
    }

    /// Why the arguments cannot be read.
    enum Failure: Error, Hashable {
        /// The option at this index is the last argument, with no value after it.
        case missingValue(index: Int, option: String)

        var index: Int {
            switch self {
            case .missingValue(let index, _): index
            }
        }
        var message: String {
            switch self {
            case .missingValue(_, let option): "\(option) needs a value"
            }
        }
    }

    static func parse(_ arguments: [String]) -> Result<[Item], Failure> {
        var items: [Item] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            // Long options take their value after "=" or as the next argument; short ones glued on or next.
            let valued: [(prefix: String, make: (String) -> Option)] = [
                ("--workaround-flags", { .workaroundFlags(Self.flagList($0)) }),
                ("-W", { .workaroundFlags(Self.flagList($0)) }),
                ("--cipher-suite-id", { .cipherSuite($0) }), ("-I", { .cipherSuite($0) }),
                ("--driver-type", { .driverType($0) }), ("-D", { .driverType($0) }),
                ("--authentication-type", { .authenticationType($0) }), ("-a", { .authenticationType($0) }),
            ]
            if let match = valued.first(where: { argument == $0.prefix || Self.glued(argument, to: $0.prefix) != nil })
            {
                if let value = Self.glued(argument, to: match.prefix) {
                    items.append(Item(option: match.make(value), index: index))
                } else {
                    guard index + 1 < arguments.count else {
                        return .failure(.missingValue(index: index, option: argument))
                    }
                    index += 1
                    items.append(Item(option: match.make(arguments[index]), index: index))
                }
            } else if argument == "-b" || argument == "--bridge-sensors" {
                items.append(Item(option: .bridgeSensors, index: index))
            } else if argument == "--entity-sensor-names" {
                items.append(Item(option: .entitySensorNames, index: index))
            } else {
                items.append(Item(option: .other(argument), index: index))
            }
            index += 1
        }
        return .success(items)
    }

    /// The value glued to `prefix` (`-W` + `authcap`, `--workaround-flags` + `=authcap`), or nil.
    private static func glued(_ argument: String, to prefix: String) -> String? {
        guard argument.hasPrefix(prefix), argument != prefix else { return nil }
        let rest = argument.dropFirst(prefix.count)
        if prefix.hasPrefix("--") { return rest.hasPrefix("=") ? String(rest.dropFirst()) : nil }
        return String(rest)
    }

    private static func flagList(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.filter { $0 != " " }).lowercased() }.filter { !$0.isEmpty }
    }
}
