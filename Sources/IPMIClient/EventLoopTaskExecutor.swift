import NIOCore
import NIOPosix

/// A task executor that runs jobs on one NIO event loop.
///
/// Code that talks to an ``IPMIClient`` a request at a time can run with this as its task executor preference
/// (`group.addTask(executorPreference: client.taskExecutor)`): the client's actor runs on the same event loop, so
/// each request and its answer then change executors without waking another thread, instead of hopping to the
/// global concurrent executor and back for every response.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop
    /// The loop again when it is the transport's own, which queues jobs without wrapping each in a closure.
    private let datagramLoop: DatagramLoop?

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.datagramLoop = eventLoop as? DatagramLoop
    }

    /// An executor on the event loop running the caller, or nil when the caller is not on an event loop thread
    /// (an embedded loop, in tests, runs queued work only when told to, so it gets none).
    public static var current: EventLoopTaskExecutor? {
        MultiThreadedEventLoopGroup.currentEventLoop.map(EventLoopTaskExecutor.init(eventLoop:))
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        guard let datagramLoop else {
            return eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
        datagramLoop.enqueue(job, preferring: asUnownedTaskExecutor())
    }
}
