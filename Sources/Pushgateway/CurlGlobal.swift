import CCurl

/// libcurl's process-wide initialisation. `curl_global_init` is not thread-safe and must run
/// once before any other libcurl call; a global `let` is initialised lazily exactly once.
enum CurlGlobal {
    private static let initResult: CURLcode = ipmi_curl_global_init_all()

    /// Initialises libcurl on first use; returns whether libcurl is usable.
    static func ensureInitialised() -> Bool {
        initResult == CURLE_OK
    }

    /// A human-readable name for a libcurl result code.
    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }
}
