import CDatagram
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An event loop of the transport's own: one thread that waits in `epoll` on a lane's UDP sockets, runs the
/// tasks and timers of the sessions on that lane, and reads datagrams with `recvmmsg` straight into the routing code.
///
/// A warm scrape is some fifty request/answer exchanges, and on NIO's datagram channel each answer cost an `epoll`
/// round, a channel read (an envelope with the sender's address turned into text, a pooled buffer, the pipeline) and a
/// timer through `timerfd`; with this loop the same answer is an `epoll_pwait2` return and a slot of one `recvmmsg`. It
/// conforms to NIO's `EventLoop` (and is the serial executor of the ``IPMIClient`` actors on its lane), so futures,
/// promises and `scheduleTask` work on it as on any loop. HTTP stays on NIO.
///
/// A socket can be paused for a moment (``pauseReading(_:for:)``): its answers then collect in the socket buffer and
/// are read with one call instead of one wake-up each.
///
/// Stopping, the loop stops its sockets (their owners' `onStop` closes them) and fails every timer and submitted task
/// not run yet, and any handed in later, with `EventLoopError.shutdown`; then its thread returns. Other work handed in
/// after that (futures' callbacks, actor jobs) runs on the thread that hands it in, one piece at a time as on the
/// loop: nothing handed to a stopped loop is dropped, and nothing waits on it forever.
public final class DatagramLoop: EventLoop, NIOSerialEventLoopExecutor, @unchecked Sendable {
    /// One piece of work for the loop. Jobs of Swift concurrency are queued as they are, not wrapped in a closure:
    /// a warm scrape runs a hundred or so on the lane, and a closure is a heap allocation each.
    private enum Work {
        case closure(@Sendable () -> Void)
        /// A job of an actor whose serial executor is this loop.
        case job(UnownedJob)
        /// A job of a task whose executor preference is this loop (``EventLoopTaskExecutor``).
        case taskJob(UnownedJob, UnownedTaskExecutor)
    }

    /// Work handed in from other threads, and whether the loop has been woken for it already.
    private struct Incoming {
        var tasks: [Work] = []
        var wakePending = false
        var stopping = false
        /// The thread has returned: whoever hands in work runs it (``runLate(_:)``).
        var ended = false
    }

    /// A socket the loop waits on, and what it calls when datagrams are there and when the loop stops.
    private struct Watched {
        let descriptor: CInt
        let onReadable: () -> Void
        let onStop: () -> Void
        /// Not polled for reading before this moment.
        var pausedUntil: NIODeadline?
        /// Whether epoll reports the socket readable; not while it is paused, nor while it is read after a pause.
        var armed = true
    }

    /// A timer in the heap; its body lives in `timerBodies` until it runs or is cancelled.
    private struct Timer {
        let deadline: NIODeadline
        let id: Int
    }

    /// What a timer does when it is due, and how its promise fails if the loop stops first.
    private struct TimerBody {
        let run: () -> Void
        let abandon: () -> Void

        init<T>(_ promise: EventLoopPromise<T>, _ task: @escaping @Sendable () throws -> T) {
            run = {
                do {
                    promise.assumeIsolated().succeed(try task())
                } catch {
                    promise.fail(error)
                }
            }
            abandon = { promise.fail(EventLoopError.shutdown) }
        }
    }

    // NIO's pthread locks rather than `Mutex`: ThreadSanitizer sees them (see `make tsan`).
    private let incoming = NIOLockedValueBox(Incoming())
    /// Held while work handed in after the thread returned runs, so that it still runs one piece at a time.
    private let lateWork = NIOLock()
    /// The thread, until it has been joined (the lock is held while it is).
    private let threadHandle = NIOLockedValueBox<pthread_t?>(nil)
    private let wakeDescriptor: CInt
    private let poller: CInt
    /// The thread that is the loop now: its own, or after it returned the one running late work; 0 otherwise.
    private let thread = Atomic<UInt>(0)
    private let nextTimerID = Atomic<Int>(0)
    let name: String

    // Confined to the loop's thread (after it returned, to whoever holds `lateWork`).
    /// True once the loop has begun to stop: timers and submitted tasks then fail instead of running.
    private var exiting = false
    private var tasks: [Work] = []
    private var running: [Work] = []
    private var timers: [Timer] = []
    private var timerBodies: [Int: TimerBody] = [:]
    private var watched: [Watched] = []
    /// Outboxes to flush before the loop waits again, and a spare array to swap in while they run.
    private var flushes: [LaneOutbox] = []
    private var flushing: [LaneOutbox] = []
    /// Sockets whose pause is over, being read; kept to reuse its storage.
    private var pauseEnded: [CInt] = []
    private var ready = [CInt](repeating: 0, count: 16)

    /// Starts the loop's thread.
    public init(name: String = "IPMI-lane") {
        wakeDescriptor = cdatagram_wake_descriptor()
        precondition(wakeDescriptor >= 0, "eventfd failed: errno \(errno)")
        poller = cdatagram_poller_create()
        precondition(poller >= 0, "epoll_create1 failed: errno \(errno)")
        precondition(cdatagram_poller_watch(poller, wakeDescriptor, 1, 1) == 0, "epoll_ctl failed: errno \(errno)")
        self.name = name
        let retained = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let created = pthread_create(
            &handle, nil,
            { argument in
                let loop = Unmanaged<DatagramLoop>.fromOpaque(argument!).takeRetainedValue()
                loop.run()
                return nil
            }, retained)
        precondition(created == 0, "pthread_create failed: \(created)")
        threadHandle.withLockedValue { $0 = handle }
        // The thread records its own identity first thing; wait so that inEventLoop is right from the start.
        while thread.load(ordering: .acquiring) == 0 { sched_yield() }
    }

    deinit {
        // Nobody can join the thread any more; it has returned or is about to (it held the last reference).
        if let handle = threadHandle.withLockedValue({ $0 }) { pthread_detach(handle) }
        Glibc.close(poller)
        Glibc.close(wakeDescriptor)
    }

    public var inEventLoop: Bool {
        thread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    public func execute(_ task: @escaping @Sendable () -> Void) {
        submit(.closure(task))
    }

    /// Runs the jobs of actors whose executor is this loop (NIO's default would wrap each in a closure).
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs a job of a task that prefers this loop as its task executor.
    func enqueue(_ job: UnownedJob, preferring executor: UnownedTaskExecutor) {
        submit(.taskJob(job, executor))
    }

    private func submit(_ work: Work) {
        if inEventLoop {
            tasks.append(work)
            return
        }
        let (wake, ended) = incoming.withLockedValue { state -> (Bool, Bool) in
            guard !state.ended else { return (false, true) }
            state.tasks.append(work)
            guard !state.wakePending else { return (false, false) }
            state.wakePending = true
            return (true, false)
        }
        if ended { return runLate(work) }
        // The descriptor stays open while anyone can call this (it is closed when the loop is freed).
        if wake { signal() }
    }

    /// Runs work handed in after the thread returned, on the caller's thread, which is the loop meanwhile.
    private func runLate(_ work: Work) {
        lateWork.withLock {
            thread.store(UInt(pthread_self()), ordering: .releasing)
            tasks.append(work)
            runQueuedTasks()
            thread.store(0, ordering: .releasing)
        }
    }

    /// Runs a submitted task, or fails its promise once the loop is stopping.
    public func submit<T>(_ task: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let promise: EventLoopPromise<T> = makePromise()
        execute {
            guard !self.exiting else { return promise.fail(EventLoopError.shutdown) }
            do {
                promise.assumeIsolated().succeed(try task())
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// Runs `body` on the loop; throws `EventLoopError.shutdown` once the loop is stopping. Through an actor, not a
    /// future: ThreadSanitizer (this toolchain) misses the order of a continuation resumed before its task suspends,
    /// as `submit(_:).get()` often is, and reports a race on the task's memory.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Hop(loop: self).run(body)
    }

    /// An actor on the loop, for ``run(_:)``.
    private actor Hop {
        let loop: DatagramLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
        init(loop: DatagramLoop) { self.loop = loop }

        func run<T: Sendable>(_ body: @Sendable () throws -> T) throws -> T {
            guard !loop.exiting else { throw EventLoopError.shutdown }
            return try body()
        }
    }

    private func perform(_ work: Work) {
        switch work {
        case .closure(let task): task()
        case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
        case .taskJob(let job, let executor): job.runSynchronously(on: executor)
        }
    }

    public func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let id = nextTimerID.wrappingAdd(1, ordering: .relaxed).newValue
        if inEventLoop {
            addTimer(Timer(deadline: deadline, id: id), TimerBody(promise, task))
        } else {
            execute { self.addTimer(Timer(deadline: deadline, id: id), TimerBody(promise, task)) }
        }
        return Scheduled(promise: promise) { [self] in
            if inEventLoop {
                cancelTimer(id, promise)
            } else {
                execute { self.cancelTimer(id, promise) }
            }
        }
    }

    /// Drops a timer that has not run yet and fails its promise; one that ran or was cancelled already is left be.
    private func cancelTimer<T>(_ id: Int, _ promise: EventLoopPromise<T>) {
        if timerBodies.removeValue(forKey: id) != nil { promise.fail(EventLoopError.cancelled) }
    }

    public func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    /// Stops the loop and calls back once its thread has returned.
    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        stop()
        // Joined on a thread of Dispatch's: the caller may be this loop's thread, which has to return first.
        DispatchQueue.global().async {
            self.join()
            queue.async { callback(nil) }
        }
    }

    /// Stops the loop (see the type's comment); returns at once.
    public func stop() {
        incoming.withLockedValue { $0.stopping = true }
        signal()
    }

    /// Waits until the loop's thread has returned (after ``stop()``). Not on the loop.
    func join() {
        threadHandle.withLockedValue { handle in
            guard let joined = handle else { return }
            pthread_join(joined, nil)
            handle = nil
        }
    }

    // MARK: - Sockets

    /// Calls `onReadable` on this loop whenever `descriptor` has datagrams to read, and `onStop` when the loop stops
    /// (the owner then closes it). Only on the loop.
    package func watch(_ descriptor: CInt, onReadable: @escaping () -> Void, onStop: @escaping () -> Void) throws {
        preconditionInEventLoop()
        guard cdatagram_poller_watch(poller, descriptor, 1, 1) == 0 else {
            throw IOError(errnoCode: errno, reason: "epoll_ctl")
        }
        watched.append(Watched(descriptor: descriptor, onReadable: onReadable, onStop: onStop, pausedUntil: nil))
    }

    /// Stops watching `descriptor` (before it is closed). Only on the loop.
    package func unwatch(_ descriptor: CInt) {
        preconditionInEventLoop()
        guard watched.contains(where: { $0.descriptor == descriptor }) else { return }
        _ = cdatagram_poller_forget(poller, descriptor)
        watched.removeAll { $0.descriptor == descriptor }
    }

    /// Leaves `descriptor` unread for `delay` (if it is not paused already), so that the answers to a burst of
    /// requests are read together. Only on the loop.
    func pauseReading(_ descriptor: CInt, for delay: TimeAmount) {
        guard let index = watched.firstIndex(where: { $0.descriptor == descriptor }),
            watched[index].pausedUntil == nil
        else { return }
        if watched[index].armed {
            guard cdatagram_poller_watch(poller, descriptor, 0, 0) == 0 else { return }
            watched[index].armed = false
        }
        watched[index].pausedUntil = .now() + delay
    }

    /// Reads the sockets whose pause is over; the earliest pause still running.
    ///
    /// The answers to the burst that started a pause are most likely waiting when it ends, so the socket is read
    /// straight away, before epoll is asked: a read that sends the next burst pauses the socket again, which then
    /// stays out of epoll and costs no `epoll_ctl` either way. Only a socket left unpaused is handed back to epoll.
    private func resumePausedSockets(at now: NIODeadline) -> NIODeadline? {
        for index in watched.indices {
            guard let resume = watched[index].pausedUntil, resume <= now else { continue }
            watched[index].pausedUntil = nil
            pauseEnded.append(watched[index].descriptor)
        }
        for descriptor in pauseEnded {
            // Looked up again each time: a read may stop watching a socket.
            watched.first { $0.descriptor == descriptor }?.onReadable()
            guard let index = watched.firstIndex(where: { $0.descriptor == descriptor }),
                watched[index].pausedUntil == nil, !watched[index].armed
            else { continue }
            _ = cdatagram_poller_watch(poller, descriptor, 1, 0)
            watched[index].armed = true
        }
        pauseEnded.removeAll(keepingCapacity: true)
        return watched.lazy.compactMap(\.pausedUntil).min()
    }

    /// Has `outbox` send what it holds once the work running now is done, before the loop waits. Only on the loop.
    func beforeWaiting(_ outbox: LaneOutbox) {
        flushes.append(outbox)
    }

    private func runFlushes() {
        while !flushes.isEmpty {
            swap(&flushes, &flushing)
            for outbox in flushing { outbox.flushBeforeWaiting() }
            flushing.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - The loop

    private func signal() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    private func addTimer(_ timer: Timer, _ body: TimerBody) {
        guard !exiting else { return body.abandon() }
        timerBodies[timer.id] = body
        timers.append(timer)
        var child = timers.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard timers[child].deadline < timers[parent].deadline else { break }
            timers.swapAt(child, parent)
            child = parent
        }
    }

    private func popTimer() -> Timer {
        let top = timers[0]
        let last = timers.removeLast()
        if !timers.isEmpty {
            timers[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < timers.count, timers[left].deadline < timers[smallest].deadline { smallest = left }
                if right < timers.count, timers[right].deadline < timers[smallest].deadline { smallest = right }
                if smallest == parent { break }
                timers.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }

    /// The earliest live timer's deadline; cancelled timers on top are dropped on the way.
    private func nextTimerDeadline() -> NIODeadline? {
        while let top = timers.first {
            if timerBodies[top.id] != nil { return top.deadline }
            _ = popTimer()
        }
        return nil
    }

    private func runDueTimers() {
        let now = NIODeadline.now()
        while let deadline = nextTimerDeadline(), deadline <= now {
            let timer = popTimer()
            timerBodies.removeValue(forKey: timer.id)?.run()
        }
        runFlushes()
    }

    /// Runs the tasks queued (a bounded number of rounds, so that I/O is not starved); true when stopping instead.
    private func runTasks() -> Bool {
        let stopping = incoming.withLockedValue { state -> Bool in
            // What is queued then is left to finish(), which fails submitted tasks and timers rather than run them.
            guard !state.stopping else { return true }
            if !state.tasks.isEmpty {
                tasks.append(contentsOf: state.tasks)
                state.tasks.removeAll(keepingCapacity: true)
            }
            state.wakePending = false
            return false
        }
        if stopping { return true }
        runQueuedTasks(rounds: 16)
        return false
    }

    private func run() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
        cdatagram_name_thread(name)
        while true {
            if runTasks() { break }
            runDueTimers()
            let now = NIODeadline.now()
            var next = nextTimerDeadline()
            if let resume = resumePausedSockets(at: now) { next = next.map { min($0, resume) } ?? resume }
            // Work left (or sends held by a read above) means a look at the sockets without waiting, then another turn.
            let timeout: Int64 =
                !tasks.isEmpty || !flushes.isEmpty ? 0 : next.map { max(0, ($0 - now).nanoseconds) } ?? -1
            let count = ready.withUnsafeMutableBufferPointer { ready in
                cdatagram_poller_wait(poller, ready.baseAddress, CInt(ready.count), timeout)
            }
            guard count > 0 else { continue }
            for index in 0..<Int(count) {
                let descriptor = ready[index]
                if descriptor == wakeDescriptor {
                    var value: UInt64 = 0
                    _ = read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
                } else {
                    // Looked up again: an earlier handler in this round may have stopped watching it.
                    watched.first { $0.descriptor == descriptor }?.onReadable()
                }
            }
        }
        finish()
    }

    /// The loop's last steps on its thread (see the type's comment).
    private func finish() {
        exiting = true
        // Sockets first: nothing is read or sent on them from here on, so closing them races with nothing.
        let stopped = watched
        watched.removeAll()
        for socket in stopped {
            _ = cdatagram_poller_forget(poller, socket.descriptor)
            socket.onStop()
        }
        // Whoever waits on a timer learns that it will not run (still on the loop, so the promises fail here).
        let abandoned = timerBodies.values
        timerBodies.removeAll()
        timers.removeAll()
        for body in abandoned { body.abandon() }
        // The work handed in so far runs here; from `ended` on, its callers run it. A later thread may get this
        // thread's ID, so the loop's thread passes for the loop no longer (cleared together with `ended`).
        while true {
            runQueuedTasks()
            let more = incoming.withLockedValue { state -> Bool in
                guard state.tasks.isEmpty else {
                    tasks.append(contentsOf: state.tasks)
                    state.tasks.removeAll()
                    return true
                }
                state.ended = true
                thread.store(0, ordering: .releasing)
                return false
            }
            if !more { break }
        }
    }

    /// Runs the tasks queued and those they queue (for at most `rounds` rounds), then the flushes they asked for.
    private func runQueuedTasks(rounds: Int = .max) {
        var round = 0
        while !tasks.isEmpty, round < rounds {
            swap(&tasks, &running)
            for work in running { perform(work) }
            running.removeAll(keepingCapacity: true)
            round += 1
        }
        runFlushes()
    }
}

/// A group of ``DatagramLoop``s, handed out in turn.
public final class DatagramLoopGroup: EventLoopGroup, Sendable {
    /// One loop per core, started on first use and kept for the life of the process.
    public static let singleton = DatagramLoopGroup(loops: System.coreCount)

    private let loops: [DatagramLoop]
    private let nextIndex = Atomic<Int>(0)

    public init(loops count: Int) {
        loops = (0..<max(1, count)).map { DatagramLoop(name: "IPMI-lane-\($0)") }
    }

    public func next() -> any EventLoop { nextLoop() }

    /// The next loop in turn.
    public func nextLoop() -> DatagramLoop {
        loops[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    public func makeIterator() -> EventLoopIterator {
        EventLoopIterator(loops)
    }

    /// Stops every loop and calls back once all their threads have returned.
    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        for loop in loops { loop.stop() }
        DispatchQueue.global().async {
            for loop in self.loops { loop.join() }
            queue.async { callback(nil) }
        }
    }
}
