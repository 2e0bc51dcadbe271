import COpenSSL

/// An OpenSSL `X509_STORE` holding one trust domain's authorities, built once per bundle and shared by every
/// verification (OpenSSL 3 makes rebuilding stores expensive). For the TLS module: `SSL_CTX_set1_verify_cert_store`
/// or `X509_STORE_CTX_init` take `pointer`.
package final class TrustStore: @unchecked Sendable {
    package let pointer: OpaquePointer

    init(authorities: [Certificate]) throws(IdentityError) {
        guard let store = X509_STORE_new() else { throw OpenSSL.failure("X509_STORE_new") }
        for certificate in authorities {
            guard X509_STORE_add_cert(store, certificate.pointer) == 1 else {
                X509_STORE_free(store)
                throw OpenSSL.failure("X509_STORE_add_cert")
            }
        }
        self.pointer = store
    }

    deinit { X509_STORE_free(pointer) }
}
