import Testing

@testable import IPMI

@Suite("Request book")
struct RequestBookTests {
    private let millisecond: UInt64 = 1_000_000
    private let start = ContinuousClock.now

    private func book(maximum: Int = 4, retries: Int = 2) -> RequestBook {
        RequestBook(
            maximumOutstanding: maximum, retries: retries, requestTimeout: .seconds(1),
            minimumRetransmitTimeout: .milliseconds(50))
    }

    /// Submits one Get Device ID-like request (netFn App, `command`) and returns its token.
    private func submit(_ book: inout RequestBook, command: UInt8 = 0x01) -> Int {
        let token = book.makeToken()
        book.submit(token, IPMIRequest(netFn: .app, command: command), deadline: nil, start: start)
        return token
    }

    /// Takes the next request off the queue and records it as sent under `rqSeq` at `now`, due at `now + wait`.
    private func sendNext(
        _ book: inout RequestBook, rqSeq: UInt8, now: UInt64 = 0, wait: UInt64 = 1_000_000_000
    )
        -> Int?
    {
        guard let (token, _) = book.startNext() else { return nil }
        _ = book.sent(token, rqSeq: rqSeq, now: now, deadline: now + wait)
        return token
    }

    @Test("requests leave the queue in submission order, each under the rqSeq it was sent with")
    func assignAndMatch() throws {
        var book = book()
        let tokens = (0..<3).map { _ in submit(&book) }
        #expect(Set(tokens).count == 3)
        #expect(book.hasQueued)
        for (index, token) in tokens.enumerated() {
            #expect(sendNext(&book, rqSeq: UInt8(10 + index)) == token)
            #expect(book[token]?.rqSeq == UInt8(10 + index))
        }
        #expect(!book.hasQueued)
        #expect(book.onWire == 3)
        #expect(book.match(rqSeq: 11, netFn: .app, command: 0x01) == tokens[1])
        #expect(book.match(rqSeq: 12, netFn: .app, command: 0x01) == tokens[2])
    }

    @Test("an answer for another command, another netFn or an rqSeq with nothing on the wire is a stray")
    func strays() throws {
        var book = book()
        let token = submit(&book, command: 0x2D)
        #expect(sendNext(&book, rqSeq: 5) == token)
        #expect(book.match(rqSeq: 5, netFn: .sensorEvent, command: 0x2D) == nil)
        #expect(book.match(rqSeq: 5, netFn: .app, command: 0x2E) == nil)
        #expect(book.match(rqSeq: 6, netFn: .app, command: 0x2D) == nil)
        #expect(book.match(rqSeq: 5, netFn: .app, command: 0x2D) == token)
    }

    @Test("a second answer to a request that was answered matches nothing, and ending it again does nothing")
    func duplicateAnswer() throws {
        var book = book()
        let token = submit(&book)
        #expect(sendNext(&book, rqSeq: 7) == token)
        let endedOutcome = book.finish(token, answered: true, now: 40 * millisecond)
        let ended = try #require(endedOutcome)
        #expect(ended.rqSeq == 7)
        #expect(book.match(rqSeq: 7, netFn: .app, command: 0x01) == nil)
        #expect(book.finish(token, answered: true, now: 41 * millisecond) == nil)
        #expect(book.isEmpty)
        #expect(book.onWire == 0)
    }

    @Test("no more requests go on the wire than the window is wide; an ended one makes room for the next")
    func windowRoom() throws {
        var book = book(maximum: 2)
        #expect(book.window.width == 2)
        let tokens = (0..<4).map { _ in submit(&book) }
        #expect(sendNext(&book, rqSeq: 1) == tokens[0])
        #expect(sendNext(&book, rqSeq: 2) == tokens[1])
        #expect(book.startNext() == nil)
        #expect(book.onWire == 2)
        _ = book.finish(tokens[0], answered: true, now: 10 * millisecond)
        #expect(sendNext(&book, rqSeq: 3) == tokens[2])
        #expect(book.startNext() == nil)
    }

    @Test("a request put back (no rqSeq free) goes ahead of the others and gives up its slot")
    func requeueFirst() throws {
        var book = book(maximum: 1)
        let (first, second) = (submit(&book), submit(&book))
        let takenOutcome = book.startNext()
        let taken = try #require(takenOutcome)
        #expect(taken.token == first)
        book.requeue(first)
        #expect(book.onWire == 0)
        #expect(book.startNext()?.token == first)
        _ = book.finish(first, answered: false, now: 0)
        #expect(book.startNext()?.token == second)
    }

    @Test("a request cancelled while queued is skipped, and frees no slot it did not hold")
    func cancelledWhileQueued() throws {
        var book = book(maximum: 1)
        let (first, second, third) = (submit(&book), submit(&book), submit(&book))
        #expect(sendNext(&book, rqSeq: 1) == first)
        let cancelledOutcome = book.finish(second, answered: false, now: 0)
        let cancelled = try #require(cancelledOutcome)
        #expect(cancelled.rqSeq == nil)
        #expect(book.onWire == 1)
        #expect(book.startNext() == nil)
        _ = book.finish(first, answered: true, now: 0)
        #expect(book.startNext()?.token == third)
    }

    @Test("the sweep picks the attempts due by now, oldest request first, and knows when the next one is due")
    func dueAttempts() throws {
        var book = book()
        let tokens = (0..<3).map { _ in submit(&book) }
        // Sent out of order: the third first, with the earliest deadline.
        for (token, rqSeq, deadline) in [(tokens[2], 3, 10), (tokens[0], 1, 20), (tokens[1], 2, 30)] {
            #expect(book.startNext() != nil)
            _ = book.sent(token, rqSeq: UInt8(rqSeq), now: 0, deadline: UInt64(deadline) * millisecond)
        }
        #expect(book.nextAttemptDeadline == 10 * millisecond)
        #expect(book.dueAttempts(now: 9 * millisecond).isEmpty)
        #expect(book.dueAttempts(now: 20 * millisecond) == [tokens[0], tokens[2]])
        #expect(book.dueAttempts(now: 31 * millisecond) == tokens)
    }

    @Test("a timed-out attempt frees its rqSeq and is retransmitted until the retries are spent, then expires")
    func retransmitThenExpire() throws {
        var book = book(retries: 1)
        let token = submit(&book)
        #expect(sendNext(&book, rqSeq: 9, now: 5 * millisecond) == token)
        let firstOutcome = book.attemptTimedOut(token)
        let first = try #require(firstOutcome)
        #expect(first.then == .retransmit)
        #expect(first.rqSeq == 9)
        #expect(first.entry.sentAt == 5 * millisecond)
        #expect(first.entry.attempts == 1)
        #expect(book.match(rqSeq: 9, netFn: .app, command: 0x01) == nil)
        #expect(book.nextAttemptDeadline == nil)
        // Sent again: a retransmission, due no sooner than the first attempt was.
        #expect(book.sent(token, rqSeq: 10, now: 2000 * millisecond, deadline: 3000 * millisecond) == true)
        #expect(book.match(rqSeq: 10, netFn: .app, command: 0x01) == token)
        let secondOutcome = book.attemptTimedOut(token)
        let second = try #require(secondOutcome)
        #expect(second.then == .expired)
        #expect(second.rqSeq == 10)
        // Expired, the request is still booked until it is finished, and finishing it frees nothing more.
        #expect(book.attemptTimedOut(token) == nil)
        let endedOutcome = book.finish(token, answered: false, now: 3000 * millisecond)
        let ended = try #require(endedOutcome)
        #expect(ended.rqSeq == nil)
        #expect(book.onWire == 0)
    }

    @Test("a timeout that narrows the window puts its request back in the queue instead of sending it again")
    func narrowedWindowRequeues() throws {
        var book = book(maximum: 4, retries: 3)
        #expect(book.window.width == 4)
        let tokens = (0..<4).map { _ in submit(&book) }
        for (index, token) in tokens.enumerated() { #expect(sendNext(&book, rqSeq: UInt8(index + 1)) == token) }
        // Half the first round lost: the BMC cannot take four at once.
        #expect(book.attemptTimedOut(tokens[0])?.then == .retransmit)
        #expect(book.attemptTimedOut(tokens[1])?.then == .requeued)
        #expect(book.window.width < 4)
        #expect(book.onWire == 3)
        #expect(book.hasQueued)
        #expect(book.startNext() == nil)
    }

    @Test("a request given up on the wire returns its rqSeq for holding and its slot to the queue")
    func abandon() throws {
        var book = book(maximum: 1)
        let (first, second) = (submit(&book), submit(&book))
        #expect(sendNext(&book, rqSeq: 4, now: 7 * millisecond) == first)
        let endedOutcome = book.finish(first, answered: false, now: 9 * millisecond)
        let ended = try #require(endedOutcome)
        #expect(ended.rqSeq == 4)
        #expect(ended.sentAt == 7 * millisecond)
        #expect(book.match(rqSeq: 4, netFn: .app, command: 0x01) == nil)
        #expect(book.onWire == 0)
        #expect(sendNext(&book, rqSeq: 5) == second)
    }

    @Test("only an answer to a request sent once measures the round trip")
    func roundTrip() throws {
        var book = book()
        let once = submit(&book)
        let twice = submit(&book)
        #expect(sendNext(&book, rqSeq: 1) == once)
        #expect(sendNext(&book, rqSeq: 2) == twice)
        _ = book.attemptTimedOut(twice)
        _ = book.sent(twice, rqSeq: 3, now: 0, deadline: 1000 * millisecond)
        _ = book.finish(twice, answered: true, now: 20 * millisecond)
        // Nothing measured yet: a first attempt waits the whole request timeout.
        let waiting = try #require(book[once])
        #expect(book.attemptWait(waiting) == .seconds(1))
        _ = book.finish(once, answered: true, now: 100 * millisecond)
        // RFC 6298: 100 ms smoothed, 50 ms variation, so 100 + 4 × 50 ms.
        let next = submit(&book)
        let entry = try #require(book[next])
        #expect(book.attemptWait(entry) == .milliseconds(300))
    }

    @Test("once every request ended, the book is empty; a dropped queue leaves the requests booked")
    func dropQueue() throws {
        var book = book(maximum: 1)
        let (first, second) = (submit(&book), submit(&book))
        #expect(sendNext(&book, rqSeq: 1) == first)
        book.dropQueue()
        #expect(!book.hasQueued)
        #expect(Set(book.tokens) == [first, second])
        for token in book.tokens { _ = book.finish(token, answered: false, now: 0) }
        #expect(book.isEmpty)
        #expect(book.onWire == 0)
    }
}
