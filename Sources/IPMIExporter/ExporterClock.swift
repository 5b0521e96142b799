import NIOCore
import NIOPosix

/// Where the exporter's bookkeeping reads the time and waits for deadlines: session keep-alives and idle close, the
/// cold-start priority, the rate limit, and every wait for a scrape's deadline (the coordinator's, the cold-start
/// wait's). ``RealClock`` in the exporter; tests pass a clock they move by hand, so what depends on time passing is
/// tested without sleeping.
///
/// The instants are `ContinuousClock`'s, as deadlines are everywhere else (``ScrapeRequest/deadline``, the IPMI
/// client's `IPMIDeadline`). What bounds IPMI requests on the network is the client's deadline on the real clock,
/// not this one.
public protocol ExporterClock: Sendable {
    var now: ContinuousClock.Instant { get }

    /// Runs `action` once at `deadline` (soon if it has passed), unless the returned timer is cancelled first.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> DeadlineTimer

    /// Returns at `deadline`; throws `CancellationError` if the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// A pending ``ExporterClock/schedule(at:_:)``.
public struct DeadlineTimer: Sendable {
    private let scheduled: Scheduled<Void>?
    private let cancelBody: (@Sendable () -> Void)?

    /// An event-loop timer (``RealClock``): no closure to allocate on every scrape.
    init(_ scheduled: Scheduled<Void>) {
        self.scheduled = scheduled
        self.cancelBody = nil
    }

    /// Any other clock's timer, cancelled by `cancel`.
    public init(cancel: @escaping @Sendable () -> Void) {
        self.scheduled = nil
        self.cancelBody = cancel
    }

    public func cancel() {
        scheduled?.cancel()
        cancelBody?()
    }
}

/// The time as it passes: `ContinuousClock`, with deadlines on event-loop timers.
public struct RealClock: ExporterClock {
    public init() {}

    public var now: ContinuousClock.Instant { .now }

    /// An event-loop timer, on this thread's loop when it is one: a sleeping task would cost a task, a timer of the
    /// global executor and two thread switches for every scrape, though the deadline almost never comes.
    public func schedule(
        at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void
    )
        -> DeadlineTimer
    {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        return DeadlineTimer(loop.scheduleTask(in: TimeAmount(ContinuousClock.now.duration(to: deadline)), action))
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
