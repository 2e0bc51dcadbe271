import COpenSSL
import Foundation

/// Verification inside a TLS handshake: the same checks as `SVIDVerifier.verify` (SPIFFE leaf rules, RFC 5280 path
/// validation in strict mode against the bundle of the leaf's own trust domain, at the current time), run in the
/// `X509_STORE_CTX` libssl has already built for the peer's chain instead of a second one of Ward's own.
///
/// libssl creates, initialises and frees one store context per handshake whether or not the application verifies
/// in it; building another (with its parameters, untrusted stack and store lookups under the store's lock) was
/// Ward's extra cost over nginx. The peer's certificates are read where libssl parsed them: nothing is wrapped,
/// re-encoded or hashed here.
extension SVIDVerifier {
    /// Verifies the chain in libssl's store context (leaf from `X509_STORE_CTX_get0_cert`, the rest of what the
    /// peer sent from `X509_STORE_CTX_get0_untrusted`) and returns the leaf's SPIFFE ID. Errors carry the same codes
    /// and messages as `verify(_:at:expectedID:)`.
    ///
    /// The context's parameters are replaced wholesale by Ward's (`handshakeParameters`), so nothing libssl put
    /// there for a generic TLS peer (the `ssl_client`/`ssl_server` purpose and trust, the security level as an
    /// auth level) makes this check weaker or different from the offline one; its trusted certificates become
    /// the leaf's trust domain's authorities (never a merged set).
    package func verifyHandshakePeer(in storeContext: OpaquePointer) throws(IdentityError) -> SpiffeID {
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext) else {
            throw IdentityError(.emptyChain, "no certificate to verify")
        }
        let id = try SVIDVerifier.checkLeaf(x509: leaf)
        guard let anchors = anchorStacks[id.trustDomain] else { throw unknownTrustDomain(id) }
        guard let parameters = SVIDVerifier.handshakeParameters,
            let contextParameters = X509_STORE_CTX_get0_param(storeContext),
            X509_VERIFY_PARAM_set1(contextParameters, parameters) == 1
        else { throw OpenSSL.failure("X509_VERIFY_PARAM_set1") }
        X509_STORE_CTX_set0_trusted_stack(storeContext, anchors.pointer)
        OpenSSL.clearErrorQueue()
        let result = X509_verify_cert(storeContext)
        OpenSSL.clearErrorQueue()
        guard result == 1 else {
            let time = Date()
            let chain = SVIDVerifier.sentChain(leaf: leaf, untrusted: X509_STORE_CTX_get0_untrusted(storeContext))
            throw SVIDVerifier.describe(
                error: X509_STORE_CTX_get_error(storeContext), depth: X509_STORE_CTX_get_error_depth(storeContext),
                chain: chain, time: time)
        }
        return id
    }

    /// Ward's verification parameters, set over libssl's with `X509_VP_FLAG_OVERWRITE | X509_VP_FLAG_RESET_FLAGS`
    /// so every field is Ward's: exactly what `X509_STORE_CTX_init` gives a store context without parameters
    /// (OpenSSL's "default" table entry: trusted-first, depth 100, no purpose, default trust, no auth level)
    /// plus strict X.509 checking. No check time: OpenSSL then checks validity at the current time. Built once and
    /// only read afterwards (`X509_VERIFY_PARAM_inherit` writes nothing to its source).
    nonisolated(unsafe) static let handshakeParameters: OpaquePointer? = {
        guard let parameters = X509_VERIFY_PARAM_new() else { return nil }
        _ = X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_X509_STRICT))
        X509_VERIFY_PARAM_set_depth(parameters, 100)
        _ = X509_VERIFY_PARAM_set_inh_flags(parameters, UInt32(X509_VP_FLAG_OVERWRITE | X509_VP_FLAG_RESET_FLAGS))
        return parameters
    }()

    /// The peer's chain as sent, wrapped (for error messages only: the failure path).
    static func sentChain(leaf: OpaquePointer, untrusted: OpaquePointer?) -> [Certificate] {
        var chain: [Certificate] = []
        func append(_ x509: OpaquePointer) {
            guard X509_up_ref(x509) == 1, let certificate = try? Certificate(taking: x509) else { return }
            chain.append(certificate)
        }
        append(leaf)
        if let untrusted {
            for index in 0..<ward_sk_X509_num(untrusted) {
                if let x509 = ward_sk_X509_value(untrusted, index), x509 != leaf { append(x509) }
            }
        }
        return chain
    }

    /// Each bundle's authorities as an OpenSSL stack, for `X509_STORE_CTX_set0_trusted_stack`.
    static func makeAnchorStacks(_ bundles: [TrustDomain: TrustBundle]) -> [TrustDomain: AnchorStack] {
        var stacks: [TrustDomain: AnchorStack] = [:]
        for (domain, bundle) in bundles {
            if let stack = AnchorStack(bundle.authorities) { stacks[domain] = stack }
        }
        return stacks
    }
}

/// One trust domain's authorities as a `STACK_OF(X509)` holding a reference to each, built once per verifier and
/// only read by the handshakes that use it (`X509_STORE_CTX_set0_trusted_stack` borrows it).
final class AnchorStack: @unchecked Sendable {
    let pointer: OpaquePointer

    init?(_ authorities: [Certificate]) {
        guard let stack = ward_sk_X509_new_null() else { return nil }
        for certificate in authorities {
            guard X509_up_ref(certificate.pointer) == 1 else { continue }
            if ward_sk_X509_push(stack, certificate.pointer) == 0 { X509_free(certificate.pointer) }
        }
        pointer = stack
    }

    deinit { ward_sk_X509_pop_free(pointer) }
}
