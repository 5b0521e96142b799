import NIOConcurrencyHelpers
import NIOCore

/// The open HTTP connections, bounded by `max_connections`. When every slot is taken, a new connection takes the
/// slot of the connection that has waited longest without sending a complete request head (an idle keep-alive
/// connection, a client that connected and sent nothing, or a slowloris trickling its headers); only when every
/// connection is in the middle of a request is the new one refused. Without this, a client opening
/// `max_connections` idle sockets would lock Prometheus out until the idle timeout.
final class ConnectionSlots: Sendable {
    private struct Entry {
        var channel: any Channel
        /// When the connection last started waiting for a request head; nil while a request is being served.
        var idleSince: NIODeadline?
    }

    private let limit: Int
    private let entries = NIOLockedValueBox([ObjectIdentifier: Entry]())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    var count: Int { entries.withLockedValue { $0.count } }

    /// Admits `channel`, returning the idle connection it displaces (for the caller to close); not admitted
    /// when every slot is serving a request.
    func admit(_ channel: any Channel, now: NIODeadline = .now()) -> (admitted: Bool, displaced: (any Channel)?) {
        entries.withLockedValue { entries in
            var displaced: (any Channel)?
            if entries.count >= limit {
                let oldest = entries.compactMap { key, entry in entry.idleSince.map { (key, $0) } }
                    .min { $0.1 < $1.1 }
                guard let (key, _) = oldest else { return (false, nil) }
                displaced = entries.removeValue(forKey: key)?.channel
            }
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: now)
            return (true, displaced)
        }
    }

    /// Marks the connection as serving a request (`true`) or waiting for the next one (`false`).
    func setBusy(_ channel: any Channel, _ busy: Bool, now: NIODeadline = .now()) {
        entries.withLockedValue { entries in
            entries[ObjectIdentifier(channel)]?.idleSince = busy ? nil : now
        }
    }

    func remove(_ channel: any Channel) {
        _ = entries.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
