import COpenSSL
import NIOCore
import WardIdentity

/// An OpenSSL `SSL_CTX` built once from a `TLSConfiguration` and shared by every connection that starts while it
/// is current.
///
/// Building parses nothing per connection: certificates, key and the verification stores are loaded here,
/// because OpenSSL 3 pays heavily for repeated decoding and algorithm fetches. Immutable after `init`, so it is
/// safe to share across event loops.
public final class TLSContext: @unchecked Sendable {
    public let configuration: TLSConfiguration
    let sslContext: OpaquePointer
    /// ALPN protocols in wire format (length-prefixed), for clients and the server's selection.
    private let alpnWire: [UInt8]

    public var role: TLSConfiguration.Role { configuration.role }

    /// The SPIFFE ID this side presents.
    public var localID: SpiffeID { configuration.svid.id }
    /// Chain and SPIFFE verification against the bundles, built once (it holds one X509_STORE per domain).
    private let verifier: SVIDVerifier
    /// Room for this side's largest handshake flight: its certificate chain plus the other messages and record
    /// overhead (under 1 KiB together), so the flight is written into one buffer.
    let handshakeFlightCapacity: Int

    /// Builds the context; throws `tls.context_invalid` naming what is wrong.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard configuration.svid.privateKey != nil else {
            throw TLSError(.contextInvalid, "the SVID for \(configuration.svid.id) has no private key")
        }
        guard configuration.trustBundles.contains(where: { !$0.authorities.isEmpty }) else {
            throw TLSError(.contextInvalid, "the trust bundle holds no authorities")
        }
        ERR_clear_error()
        let method = configuration.role == .server ? TLS_server_method() : TLS_client_method()
        guard let ctx = SSL_CTX_new(method) else {
            throw TLSError(.contextInvalid, OpenSSL.errorText("SSL_CTX_new failed"))
        }
        self.configuration = configuration
        self.sslContext = ctx
        self.verifier = SVIDVerifier(bundles: configuration.trustBundles)
        self.handshakeFlightCapacity = configuration.svid.chain.reduce(1024) { $0 + $1.der.count }
        self.alpnWire = configuration.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        try configure()
    }

    deinit {
        SSL_CTX_free(sslContext)
    }

    private func configure() throws(TLSError) {
        let ctx = sslContext
        let minimum = configuration.allowTLS12 ? TLS1_2_VERSION : TLS1_3_VERSION
        guard ward_SSL_CTX_set_min_proto_version(ctx, minimum) == 1 else {
            throw TLSError(.contextInvalid, OpenSSL.errorText("cannot set the minimum TLS version"))
        }
        if configuration.allowTLS12 {
            // TLS 1.2: forward secrecy and AEAD only.
            let suites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
            guard SSL_CTX_set_cipher_list(ctx, suites) == 1 else {
                throw TLSError(.contextInvalid, OpenSSL.errorText("cannot set TLS 1.2 cipher suites"))
            }
        }
        SSL_CTX_set_options(
            ctx,
            ward_SSL_OP_NO_RENEGOTIATION() | ward_SSL_OP_NO_COMPRESSION() | ward_SSL_OP_NO_TICKET()
                | ward_SSL_OP_CIPHER_SERVER_PREFERENCE())
        // NO_AUTO_CHAIN: the chain is added explicitly below; without it OpenSSL tries, on every handshake, to
        // build one from the context's (empty) certificate store when the SVID has no intermediates.
        _ = ward_SSL_CTX_set_mode(ctx, Int(SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN))
        // Every connection is verified in full: no session resumption, no tickets.
        _ = ward_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        _ = SSL_CTX_set_num_tickets(ctx, 0)

        // This side's identity.
        let chain = configuration.svid.chain
        guard SSL_CTX_use_certificate(ctx, chain[0].pointer) == 1 else {
            throw TLSError(.contextInvalid, OpenSSL.errorText("the certificate was refused"))
        }
        for intermediate in chain.dropFirst() where ward_SSL_CTX_add1_chain_cert(ctx, intermediate.pointer) != 1 {
            throw TLSError(.contextInvalid, OpenSSL.errorText("an intermediate certificate was refused"))
        }
        guard SSL_CTX_use_PrivateKey(ctx, configuration.svid.privateKey?.pointer) == 1,
            SSL_CTX_check_private_key(ctx) == 1
        else {
            _ = OpenSSL.errorText("")
            throw TLSError(.contextInvalid, "the private key does not match the certificate")
        }

        // The peer: always required, verified by Ward's SPIFFE verifier instead of OpenSSL's default.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        SSL_CTX_set_cert_verify_callback(ctx, wardCertVerifyCallback, nil)

        if configuration.role == .server, !alpnWire.isEmpty {
            SSL_CTX_set_alpn_select_cb(ctx, wardALPNSelectCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Sets the client's ALPN offer on a new connection.
    func applyClientALPN(to ssl: OpaquePointer) {
        guard !alpnWire.isEmpty else { return }
        _ = alpnWire.withUnsafeBufferPointer { SSL_set_alpn_protos(ssl, $0.baseAddress, UInt32($0.count)) }
    }

    /// Chooses the server's ALPN protocol: the first of ours the client offered.
    fileprivate func selectALPN(
        _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ outLength: UnsafeMutablePointer<UInt8>?,
        offered: UnsafePointer<UInt8>?, offeredLength: UInt32
    ) -> Int32 {
        guard let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
        let offer = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        for ours in configuration.alpn {
            var index = 0
            while index < offer.count {
                let length = Int(offer[index])
                let start = index + 1
                guard start + length <= offer.count else { break }
                if length == ours.utf8.count, offer[start..<start + length].elementsEqual(ours.utf8) {
                    out.pointee = offered + start
                    outLength.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index = start + length
            }
        }
        return SSL_TLSEXT_ERR_NOACK
    }

    /// Verifies the peer's chain against the bundle of its own trust domain, the SPIFFE leaf rules, and this
    /// side's `PeerRequirement`, in the store context libssl built for the handshake (see
    /// `SVIDVerifier.verifyHandshakePeer`).
    func verifyPeer(in storeContext: OpaquePointer) -> Result<VerifiedPeer, TLSError> {
        let id: SpiffeID
        do {
            id = try verifier.verifyHandshakePeer(in: storeContext)
        } catch {
            return .failure(TLSError(.peerRejected, "peer certificate rejected: \(error.message)"))
        }
        guard configuration.peerRequirement.accepts(id) else {
            return .failure(TLSError(.unexpectedPeer, "peer \(id) is not the expected peer"))
        }
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext),
            let certificates = PeerCertificates(leaf: leaf, untrusted: X509_STORE_CTX_get0_untrusted(storeContext))
        else {
            return .failure(TLSError(.peerRejected, "peer certificate rejected: it could not be read"))
        }
        return .success(VerifiedPeer(spiffeID: id, certificates: certificates))
    }
}

/// OpenSSL's certificate verification hook: replaces its default chain check with `TLSContext.verifyPeer`.
private let wardCertVerifyCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = {
    storeContext, _ in
    guard let storeContext,
        let sslPointer = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let connectionPointer = SSL_get_ex_data(OpaquePointer(sslPointer), 0)
    else { return 0 }
    let connection = Unmanaged<SSLConnection>.fromOpaque(connectionPointer).takeUnretainedValue()
    switch connection.context.verifyPeer(in: storeContext) {
    case .success(let peer):
        connection.verifiedPeer = peer
        return 1
    case .failure(let error):
        connection.verificationError = error
        // One alert for every refusal, whatever the reason (the peer learns nothing about which check failed).
        X509_STORE_CTX_set_error(storeContext, X509_V_ERR_APPLICATION_VERIFICATION)
        return 0
    }
}

private let wardALPNSelectCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, arg in
        guard let arg else { return SSL_TLSEXT_ERR_NOACK }
        let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
        return context.selectALPN(out, outLength, offered: offered, offeredLength: offeredLength)
    }
