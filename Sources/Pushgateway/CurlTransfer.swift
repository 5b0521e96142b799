import CCurl
import Synchronization

/// One request in flight on the transfer loop: its easy handle, the C memory libcurl points into,
/// and the continuation of the task waiting for it.
///
/// Ownership: the awaiting task creates it and hands it to the loop; from then on only the loop
/// thread touches it, so the class needs no lock of its own.
final class CurlTransfer: @unchecked Sendable {
    let request: CurlRequest
    /// Set by the waiting task's cancellation handler, from any thread; the loop polls it.
    let cancellation: CancellationFlag
    private var continuation: CheckedContinuation<CurlResponse, any Error>?
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var responseBody: [UInt8] = []
    /// libcurl writes a detailed message here; it must outlive the transfer.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(
        request: CurlRequest, cancellation: CancellationFlag,
        continuation: CheckedContinuation<CurlResponse, any Error>
    ) {
        self.request = request
        self.cancellation = cancellation
        self.continuation = continuation
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        releaseHandle()
        errorBuffer.deallocate()
    }

    /// Creates and configures the easy handle; returns it, or the error that prevents the transfer.
    func makeHandle() -> Result<UnsafeMutableRawPointer, CurlTransportError> {
        guard let easy = curl_easy_init() else {
            return .failure(CurlTransportError(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed"))
        }
        self.easy = easy
        let code = configure(easy)
        guard code == CURLE_OK else {
            return .failure(CurlTransportError(code: Int(code.rawValue), message: CurlGlobal.describe(code)))
        }
        return .success(easy)
    }

    private func configure(_ easy: UnsafeMutableRawPointer) -> CURLcode {
        var result = CURLE_OK
        func apply(_ code: CURLcode) {
            if result == CURLE_OK { result = code }
        }
        func set(_ option: CURLoption, _ value: String?) {
            guard let value else { return }
            apply(value.withCString { ipmi_curl_setopt_string(easy, option, $0) })
        }
        func set(_ option: CURLoption, _ value: Int) {
            apply(ipmi_curl_setopt_long(easy, option, value))
        }

        // Signals are not safe in a multi-threaded process; timeouts still work without them.
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_URL, request.url)
        set(CURLOPT_CUSTOMREQUEST, request.method)
        if let body = request.body {
            // The size first, so that COPYPOSTFIELDS copies exactly the body (libcurl keeps its own copy).
            set(CURLOPT_POSTFIELDSIZE, body.utf8.count)
            set(CURLOPT_COPYPOSTFIELDS, body)
        }
        set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        set(CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        if let username = request.username {
            apply(ipmi_curl_setopt_basic_auth(easy))
            set(CURLOPT_USERNAME, username)
            set(CURLOPT_PASSWORD, request.password ?? "")
        }
        set(CURLOPT_CAINFO, request.caFile)
        set(CURLOPT_SSLCERT, request.certFile)
        set(CURLOPT_SSLKEY, request.keyFile)

        for line in request.headers {
            guard let appended = line.withCString({ curl_slist_append(headerList, $0) }) else {
                return CURLE_OUT_OF_MEMORY
            }
            headerList = appended
        }
        if let headerList {
            apply(ipmi_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        }

        apply(ipmi_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        apply(ipmi_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()))
        apply(
            ipmi_curl_setopt_write_function(easy) { data, size, count, context in
                let total = size * count
                guard let data, let context else { return total }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                transfer.appendResponse(UnsafeRawBufferPointer(start: data, count: total))
                return total
            })
        return result
    }

    private func appendResponse(_ bytes: UnsafeRawBufferPointer) {
        let room = request.responseBodyLimit - responseBody.count
        if room > 0 { responseBody.append(contentsOf: bytes.prefix(room)) }
    }

    /// Builds the outcome once libcurl reports the transfer done with `code`.
    func outcome(code: CURLcode) -> Result<CurlResponse, any Error> {
        guard code == CURLE_OK, let easy else {
            var message = CurlGlobal.describe(code)
            let detail = String(cString: errorBuffer)
            if !detail.isEmpty { message += " (\(detail))" }
            return .failure(CurlTransportError(code: Int(code.rawValue), message: message))
        }
        var status = 0
        _ = ipmi_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let body = String(decoding: responseBody, as: UTF8.self)
        return .success(CurlResponse(statusCode: status, body: body))
    }

    /// Resumes the waiting task exactly once and frees the handle.
    func complete(_ result: Result<CurlResponse, any Error>) {
        releaseHandle()
        continuation?.resume(with: result)
        continuation = nil
    }

    private func releaseHandle() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }
}

/// A one-way flag a task's cancellation handler raises for the transfer loop to see.
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .releasing) }

    var isRaised: Bool { raised.load(ordering: .acquiring) }
}
