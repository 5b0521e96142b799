/// The requests of one session from their submission to their end: those queued until the ``RequestWindow`` has
/// room, those on the wire under an rqSeq, and what each attempt decided. The session keeps the I/O, the timers and
/// the waiting callers; this says which request to send next, which request an answer belongs to, and what becomes of
/// an attempt that timed out.
///
/// A response names its request by rqSeq, netFn and command alone (IPMI v2.0 section 13.8), so an answer is matched on
/// all three; one that matches no request on the wire (late, duplicated, or for another command) is a stray.
/// Times are nanoseconds of one monotonic clock chosen by the caller, as for ``StrayAnswerPolicy``; `deadline` and
/// `start` are carried for the caller only.
package struct RequestBook: Sendable {
    package struct Entry: Sendable {
        package let request: IPMIRequest
        package let deadline: ContinuousClock.Instant?
        package let start: ContinuousClock.Instant
        /// Attempts that timed out so far.
        package fileprivate(set) var attempts = 0
        /// The rqSeq of the attempt on the wire, nil when none is.
        package fileprivate(set) var rqSeq: UInt8?
        /// When the attempt on the wire (or the last one) was sent.
        package fileprivate(set) var sentAt: UInt64 = 0
        /// The window's round the attempt on the wire counts in (``RequestWindow/sent()``).
        fileprivate var windowRound: UInt32?
        /// Holding a window slot: from leaving the queue until the request ends or waits in the queue again.
        fileprivate var isOnWire = false
        /// When the attempt on the wire times out.
        fileprivate var attemptDeadline: UInt64?

        /// Returns true for a retransmission.
        fileprivate mutating func sent(rqSeq: UInt8, round: UInt32?, at now: UInt64, deadline: UInt64) -> Bool {
            self.rqSeq = rqSeq
            windowRound = round
            sentAt = now
            attemptDeadline = deadline
            return attempts > 0
        }

        /// Returns the entry as it is after the timeout.
        fileprivate mutating func timedOut() -> Self {
            rqSeq = nil
            attemptDeadline = nil
            attempts += 1
            return self
        }
    }

    /// What becomes of a request whose attempt timed out.
    package enum AfterTimeout: Equatable {
        /// Every retry is spent: the request ends with a timeout.
        case expired
        /// To be sent again at once.
        case retransmit
        /// The window just narrowed: it waits for a free slot like a new request, ahead of them.
        case requeued
    }

    package private(set) var window: RequestWindow
    package private(set) var retransmission: RetransmissionTimer
    /// Attempts after the first before a request times out.
    package let retries: Int
    private var entries: [Int: Entry] = [:]
    /// Tokens waiting for window room, first at `queueHead`.
    private var queue: [Int] = []
    private var queueHead = 0
    /// The token of the request on the wire under each rqSeq.
    private var bySequence = RqSeqTable<Int>()
    /// Requests holding a window slot.
    package private(set) var onWire = 0
    private var lastToken = 0

    package init(maximumOutstanding: Int, retries: Int, requestTimeout: Duration, minimumRetransmitTimeout: Duration) {
        window = RequestWindow(maximum: maximumOutstanding)
        retransmission = RetransmissionTimer(ceiling: requestTimeout, floor: minimumRetransmitTimeout)
        self.retries = retries
    }

    package var isEmpty: Bool { entries.isEmpty }
    package var hasQueued: Bool { queueHead < queue.count }
    package var tokens: [Int] { Array(entries.keys) }
    package subscript(token: Int) -> Entry? { entries[token] }

    /// A new session with the same BMC keeps what the window and the round-trip times have learnt.
    package mutating func sessionStarted() { window.sessionStarted() }

    /// A token for a request about to be submitted, so that its caller can name it (to cancel it) before it is.
    package mutating func makeToken() -> Int {
        lastToken &+= 1
        return lastToken
    }

    package mutating func reserveCapacity(_ additional: Int) {
        entries.reserveCapacity(entries.count + additional)
    }

    /// Queues a request behind those already waiting.
    package mutating func submit(
        _ token: Int, _ request: IPMIRequest, deadline: ContinuousClock.Instant?, start: ContinuousClock.Instant
    ) {
        entries[token] = Entry(request: request, deadline: deadline, start: start)
        queue.append(token)
    }

    /// Takes the first queued request into a window slot, nil when the window is full or nothing waits.
    package mutating func startNext() -> (token: Int, entry: Entry)? {
        while onWire < window.width, queueHead < queue.count {
            let token = queue[queueHead]
            queueHead += 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            } else if queueHead >= 64, queueHead * 2 >= queue.count {
                // Requests submitted while others wait would otherwise grow the array for as long as the queue is
                // never empty.
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            // A request that ended while queued (cancelled) leaves its token behind.
            guard let index = entries.index(forKey: token) else { continue }
            entries.values[index].isOnWire = true
            onWire += 1
            return (token, entries.values[index])
        }
        return nil
    }

    /// How long the next attempt of a request waits for its answer.
    package func attemptWait(_ entry: Entry) -> Duration {
        retransmission.timeout(attempt: entry.attempts, isLast: entry.attempts >= retries)
    }

    /// An attempt of `token` went on the wire under `rqSeq` at `now`, to time out at `deadline`; true when it is a
    /// retransmission.
    package mutating func sent(_ token: Int, rqSeq: UInt8, now: UInt64, deadline: UInt64) -> Bool {
        guard let index = entries.index(forKey: token) else { return false }
        bySequence[rqSeq] = token
        let round = window.sent()
        return entries.values[index].sent(rqSeq: rqSeq, round: round, at: now, deadline: deadline)
    }

    /// Back at the head of the queue, giving up its slot (no rqSeq was free for it).
    package mutating func requeue(_ token: Int) {
        guard entries[token]?.isOnWire == true else { return }
        entries[token]?.isOnWire = false
        onWire -= 1
        if queueHead > 0 {
            queueHead -= 1
            queue[queueHead] = token
        } else {
            queue.insert(token, at: 0)
        }
    }

    /// The request on the wire that an answer under `rqSeq` for `netFn` and `command` belongs to; nil for a stray.
    package func match(rqSeq: UInt8, netFn: NetFn, command: UInt8) -> Int? {
        guard let token = bySequence[rqSeq], let entry = entries[token], entry.request.netFn == netFn,
            entry.request.command == command
        else { return nil }
        return token
    }

    /// The requests whose attempt has timed out by `now`, oldest first.
    package func dueAttempts(now: UInt64) -> [Int] {
        entries.compactMap { token, entry in entry.attemptDeadline.flatMap { $0 <= now ? token : nil } }.sorted()
    }

    /// When the next attempt on the wire times out, nil when none is on the wire.
    package var nextAttemptDeadline: UInt64? { entries.values.compactMap(\.attemptDeadline).min() }

    /// The attempt of `token` on the wire timed out: the window learns it, and the request is retried or expires.
    /// Returns the request as it is now, with the rqSeq of that attempt, which is free again (the attempt was sent at
    /// the entry's `sentAt`). An expired request stays booked until ``finish(_:answered:now:)``.
    package mutating func attemptTimedOut(_ token: Int) -> (entry: Entry, rqSeq: UInt8, then: AfterTimeout)? {
        guard let index = entries.index(forKey: token), let rqSeq = entries.values[index].rqSeq else { return nil }
        let entry = entries.values[index].timedOut()
        bySequence[rqSeq] = nil
        window.timedOut(entry.windowRound)
        if entry.attempts > retries { return (entry, rqSeq, .expired) }
        if onWire > window.width {
            requeue(token)
            return (entry, rqSeq, .requeued)
        }
        return (entry, rqSeq, .retransmit)
    }

    /// Ends a request, answered or given up on (cancelled, failed, session gone), and frees its window slot. Returns
    /// it, nil when it had already ended; its `rqSeq` is that of the attempt still on the wire, if any. An answer to a
    /// request sent once measures the round trip.
    package mutating func finish(_ token: Int, answered: Bool, now: UInt64) -> Entry? {
        guard let entry = entries.removeValue(forKey: token) else { return nil }
        if let rqSeq = entry.rqSeq {
            bySequence[rqSeq] = nil
            if !answered {
                // Given up before its answer or timeout: it tells nothing of the width.
                window.abandoned(entry.windowRound)
            } else {
                window.answered(entry.windowRound)
                if entry.attempts == 0, now >= entry.sentAt {
                    retransmission.measured(.nanoseconds(Int64(clamping: now - entry.sentAt)))
                }
            }
        }
        if entry.isOnWire { onWire -= 1 }
        if entries.isEmpty, !hasQueued {
            // A batch grows both tables to its size; between scrapes an exporter keeps thousands of idle clients.
            entries = [:]
            if queue.capacity > 16 { queue = [] }
            queueHead = 0
        }
        return entry
    }

    /// Forgets the queue (the session is gone); the requests it held stay booked until each is finished.
    package mutating func dropQueue() {
        queue = []
        queueHead = 0
    }
}
