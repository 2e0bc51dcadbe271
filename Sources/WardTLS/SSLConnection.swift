import COpenSSL
import NIOCore
import WardIdentity

/// One `SSL*` with its `ByteBufferBIO`: ciphertext in through `feed`, out through `drainCiphertext`.
///
/// Owned by exactly one `TLSHandler` and used only on its channel's event loop, so every OpenSSL call on this
/// `SSL*` and the thread's error queue stay together. Retains its `TLSContext`, which must outlive the `SSL*`
/// because OpenSSL's verify callback reaches the context through a raw pointer.
final class SSLConnection {
    let context: TLSContext
    let ssl: OpaquePointer
    private let io: ByteBufferBIO

    /// Set by the verify callback during the handshake: who the peer is, or why it was rejected.
    var verifiedPeer: VerifiedPeer?
    var verificationError: TLSError?

    enum Outcome {
        /// Progress needs more ciphertext from the peer.
        case wantRead
        /// The operation finished.
        case complete
        /// The peer sent close_notify.
        case closed
        /// A fatal error; the connection is unusable.
        case failed(TLSError)
    }

    /// Smallest and largest room reserved for one `SSL_read` (the largest is one full TLS record).
    private static let minimumReadRoom = 256
    private static let maximumReadRoom = 16 * 1024

    init?(context: TLSContext, serverName: String?, allocator: ByteBufferAllocator) {
        guard let ssl = SSL_new(context.sslContext) else { return nil }
        guard let io = ByteBufferBIO(allocator: allocator) else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_bio(ssl, io.bio, io.bio)  // The SSL owns the BIO from here (one reference for both directions).
        io.firstWriteCapacity = context.handshakeFlightCapacity
        self.context = context
        self.ssl = ssl
        self.io = io
        switch context.role {
        case .server: SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName, !serverName.isEmpty { _ = ward_SSL_set_tlsext_host_name(ssl, serverName) }
            context.applyClientALPN(to: ssl)
        }
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_free(ssl)
    }

    /// Hands ciphertext received from the network to OpenSSL.
    func feed(_ buffer: ByteBuffer) {
        io.receive(buffer)
    }

    /// Ciphertext OpenSSL produced for the network, or nil.
    func drainCiphertext() -> ByteBuffer? {
        io.takeOutbound()
    }

    /// Ciphertext produced and not yet drained, in bytes.
    var pendingCiphertext: Int { io.pendingOutput }

    /// Lets go of input OpenSSL has fully consumed (call after each burst of SSL calls).
    func releaseConsumedInput() {
        io.releaseConsumedInput()
    }

    func doHandshake() -> Outcome {
        OpenSSL.clearErrorQueue()
        let rc = SSL_do_handshake(ssl)
        guard rc == 1 else { return outcome(for: rc, during: "handshake") }
        io.firstWriteCapacity = ByteBufferBIO.defaultFirstWriteCapacity
        return .complete
    }

    /// Whether OpenSSL has anything to read: ciphertext not yet handed to it, or records (or part of one) it has
    /// taken but not yet returned. Without either, `SSL_read` can only answer WANT_READ.
    var hasBufferedInput: Bool { io.unreadInput > 0 || SSL_has_pending(ssl) == 1 }

    /// Decrypts as much application data as is available into `buffer`.
    ///
    /// The room reserved is bounded by the ciphertext still unread (plaintext is never longer), so a handshake's
    /// or a small request's read does not allocate a full 16 KiB record buffer that malloc then has to take
    /// from, and give back to, its slow large-chunk path. Stops when nothing is left to read instead of asking
    /// OpenSSL once more (an `SSL_read`, `SSL_get_error` and error-queue look per read burst, and after every
    /// handshake a buffer allocated for nothing).
    func readPlaintext(into buffer: inout ByteBuffer) -> Outcome {
        while hasBufferedInput {
            OpenSSL.clearErrorQueue()
            var rc: Int32 = 0
            let bound = io.unreadInput + Int(SSL_pending(ssl))
            let room = min(max(bound, SSLConnection.minimumReadRoom), SSLConnection.maximumReadRoom)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { bytes in
                rc = SSL_read(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
                return rc > 0 ? Int(rc) : 0
            }
            if rc <= 0 { return outcome(for: rc, during: "read") }
        }
        return .wantRead
    }

    /// Reserves outbound room for the ciphertext of `plaintext` bytes passed to `writes` calls of `writePlaintext`,
    /// so encrypting a whole batch never regrows the buffer.
    func reserveCiphertext(forPlaintext plaintext: Int, writes: Int) {
        guard plaintext > 0 else { return }
        // Each record adds a header and tag (22 bytes in TLS 1.3, up to 29 in 1.2): full records plus one partial
        // record per write.
        io.reserveOutbound(plaintext + (plaintext / 16384 + writes + 1) * 32)
    }

    /// Encrypts `bytes` (all of them: memory BIOs never refuse a write).
    func writePlaintext(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .complete }
        // Each 16 KiB record adds a header and tag (22 bytes in TLS 1.3, up to 29 in 1.2).
        io.reserveOutbound(bytes.count + (bytes.count / 16384 + 1) * 32)
        var offset = 0
        while offset < bytes.count {
            OpenSSL.clearErrorQueue()
            let chunk = Int32(min(bytes.count - offset, Int(Int32.max)))
            let rc = SSL_write(ssl, base + offset, chunk)
            if rc <= 0 { return outcome(for: rc, during: "write") }
            offset += Int(rc)
        }
        return .complete
    }

    /// Queues close_notify.
    func shutdown() {
        OpenSSL.clearErrorQueue()
        _ = SSL_shutdown(ssl)
        OpenSSL.clearErrorQueue()
    }

    private func outcome(for rc: Int32, during operation: String) -> Outcome {
        let error = SSL_get_error(ssl, rc)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantRead
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            if let verificationError {
                ERR_clear_error()
                return .failed(verificationError)
            }
            let reasonCode = ERR_GET_REASON(ERR_peek_error())
            let reason = OpenSSL.errorText("SSL error \(error) during \(operation)")
            if reasonCode == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE {
                return .failed(TLSError(.noPeerCertificate, "the peer did not send a client certificate"))
            }
            let code: TLSError.Code = operation == "handshake" ? .handshakeFailed : .io
            return .failed(TLSError(code, "\(operation) failed: \(reason)"))
        }
    }

    /// The negotiated ALPN protocol, if any.
    var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The SNI name the client sent (server side) or requested (client side).
    var serverName: String? {
        guard let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return nil }
        return String(cString: name)
    }

    /// "TLSv1.3" and the like. The two versions Ward speaks come from string literals (no copy of OpenSSL's name).
    var protocolVersion: String {
        switch SSL_version(ssl) {
        case TLS1_3_VERSION: "TLSv1.3"
        case TLS1_2_VERSION: "TLSv1.2"
        default: String(cString: SSL_get_version(ssl))
        }
    }

    /// OpenSSL's name of the negotiated suite. TLS 1.3's come from string literals: a name over 15 bytes would
    /// otherwise be a heap allocation per handshake.
    var cipher: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "" }
        switch SSL_CIPHER_get_protocol_id(cipher) {
        case 0x1301: return "TLS_AES_128_GCM_SHA256"
        case 0x1302: return "TLS_AES_256_GCM_SHA384"
        case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256"
        default:
            guard let name = SSL_CIPHER_get_name(cipher) else { return "" }
            return String(cString: name)
        }
    }
}
