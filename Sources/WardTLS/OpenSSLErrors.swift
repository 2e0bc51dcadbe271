import COpenSSL

/// Reads and clears the calling thread's OpenSSL error queue.
enum OpenSSLErrors {
    /// The reason strings of every queued error, oldest first, joined; `fallback` when the queue is empty.
    static func drain(fallback: String) -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                reasons.append("error \(code)")
            }
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }

    /// Whether the queue's first error has reason `reason` (e.g. `SSL_R_UNEXPECTED_EOF_WHILE_READING`).
    static func peekReason() -> Int32 {
        ERR_GET_REASON(ERR_peek_error())
    }
}
