import COpenSSL

/// Small helpers around OpenSSL's error queue, DER encoding and memory BIOs. Nothing here is public; the TLS
/// module shares the error-queue reader (`package`).
package enum OpenSSL {
    /// Drains the calling thread's error queue into one line (most recent reason last), or `fallback`.
    package static func errorText(_ fallback: String = "unknown OpenSSL error") -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0480006C:PEM routines::no start line" -> "PEM routines::no start line"
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            reasons.append(parts.count == 3 ? String(parts[2]) : text)
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }

    /// Empties this thread's OpenSSL error queue before a call whose errors are read afterwards. The queue is
    /// almost always empty already, and `ERR_clear_error` rewrites all sixteen slots regardless (~400
    /// instructions, about 20 times per TLS handshake); looking first costs a tenth of that.
    @inline(__always)
    package static func clearErrorQueue() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// The DER encoding of an OpenSSL object by its `i2d_*` function, or nil when encoding fails.
    package static func der(
        of object: OpaquePointer,
        _ encode: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        let length = encode(object, &out)
        guard length > 0, let out else { return nil }
        defer { ward_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// An `IdentityError(.openssl)` for a failed call, draining the error queue.
    static func failure(_ what: String) -> IdentityError {
        IdentityError(.openssl, "\(what) failed: \(errorText())")
    }

    /// Runs `body` with a read-only memory BIO over `bytes`.
    static func withReadBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) -> T) -> T? {
        bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// Runs `body` with an empty writable memory BIO and returns what it wrote, or nil when `body` fails.
    static func collect(_ body: (OpaquePointer) -> Bool) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = ward_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// Whether the last error is "no PEM start line" (the normal end of a PEM sequence).
    static func lastErrorIsNoStartLine() -> Bool {
        let code = ERR_peek_last_error()
        return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE
    }

    /// Lowercase hex of `bytes`, optionally separated (`ab:cd`).
    ///
    /// Written straight into the string's storage: one allocation (none up to 15 characters), where building a
    /// digit table and a byte array first cost two more and ~6 k instructions for a 32-byte digest.
    static func hex(_ bytes: some Collection<UInt8>, separator: String = "") -> String {
        let count = bytes.count
        guard count > 0 else { return "" }
        let gap = separator.utf8.count
        return String(unsafeUninitializedCapacity: count * 2 + (count - 1) * gap) { text in
            var at = 0
            for byte in bytes {
                if at > 0, gap > 0 {
                    for character in separator.utf8 {
                        text[at] = character
                        at += 1
                    }
                }
                text[at] = hexDigit(byte >> 4)
                text[at + 1] = hexDigit(byte & 0x0F)
                at += 2
            }
            return at
        }
    }

    /// The ASCII lowercase hex digit for `value` (0-15).
    @inline(__always)
    static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

    /// Standard base64 (with padding, no newlines) by OpenSSL's `EVP_EncodeBlock`.
    static func base64(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        var output = [UInt8](repeating: 0, count: 4 * ((bytes.count + 2) / 3) + 1)
        let length = EVP_EncodeBlock(&output, bytes, Int32(bytes.count))
        return String(decoding: output.prefix(Int(length)), as: UTF8.self)
    }

    /// base64url without padding (RFC 7515 §2, as JWK requires), derived from OpenSSL's base64.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = base64(bytes)
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// Decodes standard base64 with OpenSSL's decoder (which handles padding and rejects bad input); nil if
    /// invalid.
    static func base64Decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard let ctx = EVP_ENCODE_CTX_new() else { return nil }
        defer { EVP_ENCODE_CTX_free(ctx) }
        EVP_DecodeInit(ctx)
        var output = [UInt8](repeating: 0, count: input.count / 4 * 3 + 3 + 80)
        var written: Int32 = 0
        var tail: Int32 = 0
        let status = EVP_DecodeUpdate(ctx, &output, &written, input, Int32(input.count))
        guard status >= 0 else { return nil }
        let finalStatus = output.withUnsafeMutableBufferPointer { buffer in
            EVP_DecodeFinal(ctx, buffer.baseAddress! + Int(written), &tail)
        }
        guard finalStatus == 1 else { return nil }
        return Array(output.prefix(Int(written + tail)))
    }

    /// Decodes base64url (no padding) by mapping it back to standard base64 for OpenSSL's decoder.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        guard !text.contains("+"), !text.contains("/"), !text.contains("=") else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        return base64Decode(standard)
    }
}
