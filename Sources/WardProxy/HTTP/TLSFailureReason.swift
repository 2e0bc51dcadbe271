import WardTLS

/// Maps TLS failures to the reason label of `ward_tls_handshake_failures_total`.
enum TLSFailureReason {
    static func label(of error: Error) -> String? {
        guard let tlsError = error as? TLSError else { return nil }
        return tlsError.reasonLabel
    }
}
