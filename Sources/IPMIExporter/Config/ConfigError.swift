/// Where in a config file something was found: the file name and a 1-based line and column.
public struct ConfigLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// A config file that cannot be used: what is wrong and where. Messages never quote secret values.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: ConfigLocation
    public var message: String

    public init(location: ConfigLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Something in a config file that is accepted but worth telling the operator about (a key without effect).
public struct ConfigWarning: Hashable, Sendable, CustomStringConvertible {
    public var location: ConfigLocation
    public var message: String

    public init(location: ConfigLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}
