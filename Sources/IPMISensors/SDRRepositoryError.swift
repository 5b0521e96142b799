/// A failure that stops reading the repository (as opposed to a single bad record, which is skipped).
public struct SDRRepositoryError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
