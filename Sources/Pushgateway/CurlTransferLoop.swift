import CCurl
import Foundation
import NIOConcurrencyHelpers

/// Runs libcurl transfers with the multi interface on one dedicated thread, so that any number of
/// concurrent pushes cost one thread and never block a SwiftNIO event loop or the Swift concurrency
/// pool. Tasks submit requests and await their continuation; the loop thread owns every easy handle.
final class CurlTransferLoop: @unchecked Sendable {
    /// Thrown to waiting tasks when the loop is shut down under them.
    struct ShutDownError: Error, Sendable {}

    // Shared between submitting tasks and the loop thread, guarded by `lock`.
    private let lock = NIOLock()
    private var submitted: [CurlTransfer] = []
    private var stopRequested = false
    private var closed = false

    // Loop thread only.
    private let multi: UnsafeMutableRawPointer
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// Starts the loop thread; returns nil when libcurl cannot be initialised.
    init?(name: String = "pushgateway-curl") {
        guard CurlGlobal.ensureInitialised(), let multi = curl_multi_init() else { return nil }
        self.multi = multi
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Performs one request; throws `CurlTransportError` when no HTTP response arrived,
    /// `CancellationError` when the task was cancelled, `ShutDownError` after `shutdown()`.
    func perform(_ request: CurlRequest) async throws -> CurlResponse {
        // Created before the handler so that a cancellation arriving at any point is seen: before the
        // transfer is submitted (the loop then never starts it) or while it runs.
        let cancellation = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let transfer = CurlTransfer(request: request, cancellation: cancellation, continuation: continuation)
                let accepted = lock.withLock {
                    guard !closed, !stopRequested else { return false }
                    submitted.append(transfer)
                    // Inside the lock: the loop frees the multi handle only after setting `closed`.
                    curl_multi_wakeup(multi)
                    return true
                }
                if !accepted { transfer.complete(.failure(ShutDownError())) }
            }
        } onCancel: {
            cancellation.raise()
            lock.withLock {
                if !closed { curl_multi_wakeup(multi) }
            }
        }
    }

    /// Stops the loop: transfers still running fail with `ShutDownError`. Returns at once.
    func shutdown() {
        lock.withLock {
            guard !closed else { return }
            stopRequested = true
            curl_multi_wakeup(multi)
        }
    }

    private func run() {
        while true {
            let (incoming, stopping) = lock.withLock {
                defer { submitted.removeAll() }
                if stopRequested { closed = true }
                return (submitted, stopRequested)
            }
            if stopping {
                for transfer in incoming { transfer.complete(.failure(ShutDownError())) }
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi, easy)
                    transfer.complete(.failure(ShutDownError()))
                }
                active.removeAll()
                curl_multi_cleanup(multi)
                return
            }
            for transfer in incoming { start(transfer) }
            for (easy, transfer) in active where transfer.cancellation.isRaised {
                curl_multi_remove_handle(multi, easy)
                active[easy] = nil
                transfer.complete(.failure(CancellationError()))
            }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            collectFinished()
            // Sleeps until a socket is ready, libcurl's next timer is due, or `curl_multi_wakeup`.
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.cancellation.isRaised {
            transfer.complete(.failure(CancellationError()))
            return
        }
        switch transfer.makeHandle() {
        case .success(let easy):
            let code = curl_multi_add_handle(multi, easy)
            if code == CURLM_OK {
                active[easy] = transfer
            } else {
                let message = String(cString: curl_multi_strerror(code))
                transfer.complete(.failure(CurlTransportError(code: Int(CURLE_FAILED_INIT.rawValue), message: message)))
            }
        case .failure(let error):
            transfer.complete(.failure(error))
        }
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            if let transfer = active.removeValue(forKey: easy) {
                transfer.complete(transfer.outcome(code: code))
            }
        }
    }
}
