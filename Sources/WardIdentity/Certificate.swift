import COpenSSL
import Foundation

/// An immutable X.509 certificate, parsed once by OpenSSL and kept with its original DER bytes.
///
/// Field accessors (in `Certificate+Fields.swift`) read the parsed structure; nothing re-parses. Safe to share
/// across threads: OpenSSL's extension cache is filled at construction and never written afterwards.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The owned `X509*`. For the TLS module only (SSL_CTX_use_certificate, X509_STORE_add_cert).
    package let pointer: OpaquePointer
    /// The certificate exactly as encoded.
    public let der: [UInt8]

    /// Takes ownership of `x509`.
    package init(taking x509: OpaquePointer) throws(IdentityError) {
        guard let der = OpenSSL.der(of: x509, i2d_X509) else {
            X509_free(x509)
            throw OpenSSL.failure("encoding a certificate")
        }
        self.der = der
        self.pointer = x509
        // Fill OpenSSL's cached extension flags now, so later reads from several threads never write.
        _ = X509_check_purpose(x509, -1, 0)
    }

    deinit { X509_free(pointer) }

    /// Parses one DER certificate. `source` names the file in errors.
    public convenience init(der: [UInt8], source: String = "<certificate>") throws(IdentityError) {
        ERR_clear_error()
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 else {
            throw IdentityError(
                .malformedCertificate, "\(source): not a DER X.509 certificate (\(OpenSSL.errorText()))")
        }
        try self.init(taking: x509)
    }

    /// Parses the first certificate of a PEM text.
    public convenience init(pem: [UInt8], source: String = "<certificate>") throws(IdentityError) {
        let chain = try Certificate.chain(pem: pem, source: source)
        let first = chain[0]
        guard X509_up_ref(first.pointer) == 1 else { throw OpenSSL.failure("X509_up_ref") }
        try self.init(taking: first.pointer)
    }

    /// Parses every certificate of a PEM text, in order (a chain: leaf first). Throws when there is none or
    /// when any block is malformed.
    public static func chain(pem: [UInt8], source: String = "<certificate>") throws(IdentityError) -> [Certificate] {
        ERR_clear_error()
        var parsed: [OpaquePointer] = []
        let ok = OpenSSL.withReadBIO(pem) { bio -> Bool in
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                parsed.append(x509)
            }
            // The loop ends at end of input ("no start line") or at a broken block.
            let clean = OpenSSL.lastErrorIsNoStartLine()
            if clean { ERR_clear_error() }
            return clean
        } ?? false
        guard ok, !parsed.isEmpty else {
            let detail = OpenSSL.errorText()
            parsed.forEach { X509_free($0) }
            if parsed.isEmpty && ok || !String(decoding: pem.prefix(1 << 20), as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") {
                throw IdentityError(
                    .malformedCertificate, "\(source): expected a PEM certificate (\"-----BEGIN CERTIFICATE-----\")")
            }
            throw IdentityError(.malformedCertificate, "\(source): malformed PEM certificate (\(detail))")
        }
        var certificates: [Certificate] = []
        for (index, x509) in parsed.enumerated() {
            do {
                certificates.append(try Certificate(taking: x509))
            } catch {
                parsed[(index + 1)...].forEach { X509_free($0) }
                throw error
            }
        }
        return certificates
    }

    /// Loads every certificate in a PEM file (or the single certificate of a DER file).
    public static func chain(contentsOfFile path: String) throws(IdentityError) -> [Certificate] {
        let bytes = try FileIO.read(path, what: "certificate")
        if let first = bytes.first, first == 0x30 {
            return [try Certificate(der: bytes, source: path)]
        }
        return try chain(pem: bytes, source: path)
    }

    /// The certificate as one PEM block.
    public var pem: String {
        let bytes = OpenSSL.collect { PEM_write_bio_X509($0, pointer) == 1 } ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    /// PEM blocks of several certificates, concatenated in order.
    public static func pem(_ certificates: [Certificate]) -> String {
        certificates.map(\.pem).joined()
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.der == rhs.der }
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    public var description: String { "certificate \(subject) (serial \(serialHex))" }
}
