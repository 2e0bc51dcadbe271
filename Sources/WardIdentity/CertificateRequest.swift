import COpenSSL

/// A PKCS#10 certificate signing request. Ward takes only the public key from it (after checking the request's
/// self-signature proves possession of the private key); identities come from the CA operator, never from names
/// the request asks for.
public final class CertificateRequest: @unchecked Sendable {
    package let pointer: OpaquePointer
    /// The request as DER.
    public let der: [UInt8]

    package init(taking req: OpaquePointer) throws(IdentityError) {
        guard let der = OpenSSL.der(of: req, i2d_X509_REQ) else {
            X509_REQ_free(req)
            throw OpenSSL.failure("encoding a CSR")
        }
        self.der = der
        self.pointer = req
    }

    deinit { X509_REQ_free(pointer) }

    /// Parses a PEM (`-----BEGIN CERTIFICATE REQUEST-----`) or DER request. `source` names the file in errors.
    public convenience init(bytes: [UInt8], source: String = "<csr>") throws(IdentityError) {
        ERR_clear_error()
        let req: OpaquePointer?
        if bytes.first == 0x30 {
            req = bytes.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_X509_REQ(nil, &cursor, buffer.count)
            }
        } else {
            req = OpenSSL.withReadBIO(bytes) { PEM_read_bio_X509_REQ($0, nil, nil, nil) } ?? nil
        }
        guard let req else {
            throw IdentityError(
                .malformedRequest,
                "\(source): expected a PKCS#10 certificate request (PEM \"-----BEGIN CERTIFICATE REQUEST-----\" or DER)")
        }
        try self.init(taking: req)
    }

    /// Loads a request file.
    public convenience init(contentsOfFile path: String) throws(IdentityError) {
        try self.init(bytes: try FileIO.read(path, what: "certificate request"), source: path)
    }

    /// Creates a request signed by `key` (the workload side of `ward ca sign`), with an optional subject
    /// common name. Names in a request are ignored by Ward's CA.
    public convenience init(signedBy key: PrivateKey, commonName: String? = nil) throws(IdentityError) {
        guard let req = X509_REQ_new() else { throw OpenSSL.failure("X509_REQ_new") }
        guard X509_REQ_set_version(req, 0) == 1, X509_REQ_set_pubkey(req, key.pointer) == 1 else {
            X509_REQ_free(req)
            throw OpenSSL.failure("building a CSR")
        }
        if let commonName, let name = X509_REQ_get_subject_name(req) {
            _ = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0)
        }
        guard X509_REQ_sign(req, key.pointer, key.publicKey.signingDigest) > 0 else {
            X509_REQ_free(req)
            throw OpenSSL.failure("signing a CSR")
        }
        try self.init(taking: req)
    }

    /// The requested public key. Throws for unsupported algorithms.
    public var publicKey: PublicKey {
        get throws(IdentityError) {
            guard let pkey = X509_REQ_get_pubkey(pointer) else {
                throw IdentityError(.malformedRequest, "the CSR's public key is unreadable: \(OpenSSL.errorText())")
            }
            return try PublicKey(taking: pkey)
        }
    }

    /// Whether the request's signature verifies with its own public key (proof of possession).
    public var signatureIsValid: Bool {
        guard let pkey = X509_REQ_get0_pubkey(pointer) else { return false }
        ERR_clear_error()
        defer { ERR_clear_error() }
        return X509_REQ_verify(pointer, pkey) == 1
    }

    /// The subject as an RFC 2253 string (informational only).
    public var subject: String { Certificate.nameString(X509_REQ_get_subject_name(pointer)) }

    /// The request as PEM.
    public var pem: String {
        String(decoding: OpenSSL.collect { PEM_write_bio_X509_REQ($0, pointer) == 1 } ?? [], as: UTF8.self)
    }
}
