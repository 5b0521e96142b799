import NIOConcurrencyHelpers
import NIOCore

/// The exporter-wide bound on cold work: RMCP+ session handshakes and SDR repository downloads.
///
/// A target's first scrape costs a handshake and a read of the whole SDR repository (one Get SDR per record);
/// a warm scrape costs a few dozen packets. When thousands of targets start at once, running all their cold
/// starts together shares the CPU between them so thinly that none finishes before its deadline, and the next
/// interval starts over. Admitting at most ``limit`` at a time lets the admitted ones finish while the rest wait
/// their turn; warm scrapes never pass through here, so they keep their deadline.
///
/// The wait is bounded too: at most ``maxWaiting`` cold starts wait at once, and one beyond that is refused at
/// once (``ColdStartRefused``) instead of queueing behind work that cannot be done before its scrape gives up.
/// Waiters are served by ``Priority`` first, in arrival order within one: a target that answered recently goes
/// ahead of one never tried, which goes ahead of one that never answered, so a fleet of dead addresses cannot keep
/// a live BMC waiting. A full queue makes room for a waiter of higher priority by refusing the newest of the lowest.
public final class ColdStartQueue: Sendable {
    /// Who goes first; higher first.
    public enum Priority: Int, Comparable, Sendable {
        /// Tried before and never answered (a dead or misconfigured address, as far as anyone knows).
        case unanswered = 0
        /// Never tried yet.
        case new = 1
        /// Had a working session recently (its session was lost, or its repository must be read again).
        case answered = 2

        public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One place in the queue, made before waiting so that it can be withdrawn from any thread.
    final class Ticket: Sendable {
        fileprivate let id: UInt64
        let priority: Priority

        fileprivate init(id: UInt64, priority: Priority) {
            self.id = id
            self.priority = priority
        }
    }

    private enum Admission {
        case admitted, withdrawn, refused
    }

    private struct Waiter {
        var ticket: Ticket
        var continuation: CheckedContinuation<Admission, Never>
    }

    private struct State {
        var waiters: [Waiter] = []
        var running = 0
        var peakRunning = 0
        var nextID: UInt64 = 0
        /// Tickets withdrawn before they started waiting.
        var withdrawnEarly: Set<UInt64> = []
        /// Tickets handed out and not yet waiting, admitted, refused or withdrawn.
        var issued: Set<UInt64> = []
    }

    public let limit: Int
    /// Cold starts that may wait for a slot at once; more are refused.
    public let maxWaiting: Int
    private let state = NIOLockedValueBox(State())
    private let metrics: ExporterMetrics?

    public init(limit: Int, maxWaiting: Int = .max, metrics: ExporterMetrics?) {
        self.limit = max(1, limit)
        self.maxWaiting = max(0, maxWaiting)
        self.metrics = metrics
    }

    /// Cold starts waiting for a slot now.
    public var waiting: Int { state.withLockedValue { $0.waiters.count } }
    /// Cold starts running now.
    public var running: Int { state.withLockedValue { $0.running } }
    /// The most that ever ran at once.
    public var peakRunning: Int { state.withLockedValue { $0.peakRunning } }

    func ticket(priority: Priority) -> Ticket {
        state.withLockedValue { state in
            state.nextID += 1
            state.issued.insert(state.nextID)
            return Ticket(id: state.nextID, priority: priority)
        }
    }

    /// Runs `body` once a slot is free. Throws ``ColdStartRefused`` (having run nothing) if the queue is full of
    /// waiters of the same or higher priority, or a later one of higher priority takes this one's place; throws
    /// `CancellationError` (having run nothing) if the caller is cancelled or the ticket withdrawn while it waits.
    /// `admitted` is called when the slot is taken.
    package func run<T: Sendable>(
        priority: Priority = .new, admitted: @Sendable () -> Void = {}, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await run(ticket(priority: priority), admitted: admitted, body)
    }

    func run<T: Sendable>(
        _ ticket: Ticket, admitted: @Sendable () -> Void = {}, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        switch await admission(ticket) {
        case .admitted: break
        case .withdrawn: throw CancellationError()
        case .refused:
            metrics?.coldStartRefused()
            throw state.withLockedValue { ColdStartRefused(waiting: $0.waiters.count, running: $0.running) }
        }
        metrics?.coldStartAdmitted()
        defer { release() }
        admitted()
        return try await body()
    }

    /// Takes `ticket` out of the queue if it is still waiting (or has not started to); true if it was, false if
    /// it already has a slot, was refused or is done.
    @discardableResult
    func withdraw(_ ticket: Ticket) -> Bool {
        let (withdrawn, waiter, counts) = state.withLockedValue { state -> (Bool, Waiter?, (Int, Int)?) in
            if state.issued.remove(ticket.id) != nil {
                state.withdrawnEarly.insert(ticket.id)
                return (true, nil, nil)
            }
            guard let index = state.waiters.firstIndex(where: { $0.ticket === ticket }) else {
                return (false, nil, nil)
            }
            let waiter = state.waiters.remove(at: index)
            return (true, waiter, (state.waiters.count, state.running))
        }
        if let counts { metrics?.setColdStarts(waiting: counts.0, running: counts.1) }
        waiter?.continuation.resume(returning: .withdrawn)
        return withdrawn
    }

    private func admission(_ ticket: Ticket) async -> Admission {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Admission, Never>) in
                let (now, evicted, counts) = state.withLockedValue { state -> (Admission?, Waiter?, (Int, Int)) in
                    let decision = Self.enqueue(
                        Waiter(ticket: ticket, continuation: continuation), in: &state, limit: limit,
                        maxWaiting: maxWaiting)
                    return (decision.now, decision.evicted, (state.waiters.count, state.running))
                }
                metrics?.setColdStarts(waiting: counts.0, running: counts.1)
                evicted?.continuation.resume(returning: .refused)
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            withdraw(ticket)
        }
    }

    /// Admits, queues or refuses one arrival; `now` is its answer unless it waits, `evicted` a waiter whose place
    /// it took.
    private static func enqueue(
        _ arrival: Waiter, in state: inout State, limit: Int, maxWaiting: Int
    ) -> (now: Admission?, evicted: Waiter?) {
        let id = arrival.ticket.id
        state.issued.remove(id)
        if state.withdrawnEarly.remove(id) != nil { return (.withdrawn, nil) }
        if state.running < limit, state.waiters.isEmpty {
            state.running += 1
            state.peakRunning = max(state.peakRunning, state.running)
            return (.admitted, nil)
        }
        var evicted: Waiter?
        if state.waiters.count >= maxWaiting {
            // The newest of the lowest priority makes room, if it is below the arrival's.
            guard
                let lowest = state.waiters.indices.min(by: { a, b in
                    let (pa, pb) = (state.waiters[a].ticket.priority, state.waiters[b].ticket.priority)
                    return pa != pb ? pa < pb : a > b
                }), state.waiters[lowest].ticket.priority < arrival.ticket.priority
            else { return (.refused, nil) }
            evicted = state.waiters.remove(at: lowest)
        }
        state.waiters.append(arrival)
        return (nil, evicted)
    }

    /// Frees a slot, handing it straight to the first waiter of the highest priority if there is one.
    private func release() {
        let (next, counts) = state.withLockedValue { state -> (Waiter?, (Int, Int)) in
            guard
                let index = state.waiters.indices.min(by: { a, b in
                    let (pa, pb) = (state.waiters[a].ticket.priority, state.waiters[b].ticket.priority)
                    return pa != pb ? pa > pb : a < b
                })
            else {
                state.running -= 1
                return (nil, (0, state.running))
            }
            return (state.waiters.remove(at: index), (state.waiters.count, state.running))
        }
        metrics?.setColdStarts(waiting: counts.0, running: counts.1)
        next?.continuation.resume(returning: .admitted)
    }
}

/// A cold start turned away because the queue was full.
package struct ColdStartRefused: Error, CustomStringConvertible {
    package var waiting: Int
    package var running: Int

    package var description: String {
        "the cold-start queue is full (\(waiting) waiting, \(running) running); "
            + "not queued, the next scrape tries again"
    }
}

/// One target's cold start, queued in a ``ColdStartQueue`` or running; see ``SessionCache/coldStart(_:module:logger:)``.
///
/// It lives while a scrape waits for it: once the last waiting scrape has given up, a cold start still in the queue
/// leaves it (a scrape nobody waits for would only hold a place a live target could use); one already running goes
/// on, so the next scrape finds its work done.
package final class ColdStartJob: Sendable {
    private struct Flags {
        var admitted = false
        var finished = false
        var withdrawn = false
        /// Scrapes waiting for this cold start.
        var waiting = 0
    }

    package let task: Task<Void, any Error>
    private let flags: NIOLockedValueBox<Flags>
    private let queue: ColdStartQueue
    private let ticket: ColdStartQueue.Ticket

    package init(
        queue: ColdStartQueue, priority: ColdStartQueue.Priority, work: @escaping @Sendable () async throws -> Void
    ) {
        let flags = NIOLockedValueBox(Flags())
        let ticket = queue.ticket(priority: priority)
        self.flags = flags
        self.queue = queue
        self.ticket = ticket
        task = Task {
            defer { flags.withLockedValue { $0.finished = true } }
            try await queue.run(ticket, admitted: { flags.withLockedValue { $0.admitted = true } }, work)
        }
    }

    /// True once the job has a slot (it is running or done), false while it waits for one.
    package var admitted: Bool { flags.withLockedValue { $0.admitted } }
    /// True once it ended, or left the queue with nobody waiting for it: a scrape then starts a new one.
    package var isFinished: Bool { flags.withLockedValue { $0.finished || $0.withdrawn } }

    /// Counts a scrape as waiting for this cold start; false if it has ended or left the queue.
    package func join() -> Bool {
        flags.withLockedValue { flags in
            guard !flags.finished, !flags.withdrawn else { return false }
            flags.waiting += 1
            return true
        }
    }

    /// A scrape stops waiting; the last one out takes the cold start out of the queue if it is still there.
    package func leave() {
        flags.withLockedValue { flags in
            flags.waiting -= 1
            // Under this lock, so no scrape joins a cold start that is leaving the queue.
            if flags.waiting == 0, !flags.admitted, !flags.finished, queue.withdraw(ticket) { flags.withdrawn = true }
        }
    }
}

extension ExporterSettings {
    /// 8 per CPU core: enough to keep the cores busy while cold starts wait on the network, few enough that each
    /// admitted one finishes in seconds when thousands of targets start at once.
    public static let defaultMaxConcurrentColdStarts = 8 * System.coreCount
    /// 8 waiting per running slot by default: a cold start that takes a second or two then waits at most some
    /// 10–20 s, about a scrape timeout; one further back could not start before its scrape gave up.
    public static let defaultMaxQueuedColdStarts = 8 * defaultMaxConcurrentColdStarts
}
