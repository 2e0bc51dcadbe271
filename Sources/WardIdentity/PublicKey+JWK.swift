import COpenSSL
import WardJSON

extension PublicKey {
    /// The public key as JWK members (RFC 7517/7518/8037): EC `kty`,`crv`,`x`,`y`; RSA `kty`,`n`,`e`; Ed25519
    /// `kty: OKP`,`crv`,`x`. Values are base64url without padding, derived from OpenSSL's base64 encoder.
    public var jwkMembers: [(key: String, value: JSONValue)] {
        // Legacy (EC_KEY) keys do not answer every provider parameter query: read a provider copy instead.
        if EVP_PKEY_get0_provider(pointer) == nil, let copy = try? providerCopy(), copy !== self {
            return copy.jwkMembers
        }
        switch algorithm {
        case .ec(let curve):
            let size = curve == "P-521" ? 66 : curve == "P-384" ? 48 : 32
            return [
                ("kty", "EC"), ("crv", .string(curve)),
                ("x", .string(OpenSSL.base64URL(bignum(OSSL_PKEY_PARAM_EC_PUB_X, padTo: size)))),
                ("y", .string(OpenSSL.base64URL(bignum(OSSL_PKEY_PARAM_EC_PUB_Y, padTo: size)))),
            ]
        case .rsa:
            return [
                ("kty", "RSA"),
                ("n", .string(OpenSSL.base64URL(bignum(OSSL_PKEY_PARAM_RSA_N, padTo: 0)))),
                ("e", .string(OpenSSL.base64URL(bignum(OSSL_PKEY_PARAM_RSA_E, padTo: 0)))),
            ]
        case .ed25519:
            var length = 0
            _ = EVP_PKEY_get_raw_public_key(pointer, nil, &length)
            var raw = [UInt8](repeating: 0, count: length)
            _ = EVP_PKEY_get_raw_public_key(pointer, &raw, &length)
            return [("kty", "OKP"), ("crv", "Ed25519"), ("x", .string(OpenSSL.base64URL(Array(raw.prefix(length)))))]
        }
    }

    /// The same public key decoded from its DER SubjectPublicKeyInfo (a provider key).
    private func providerCopy() throws(IdentityError) -> PublicKey {
        let der = derSubjectPublicKeyInfo
        let pkey: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let pkey, EVP_PKEY_get0_provider(pkey) != nil else {
            if let pkey { EVP_PKEY_free(pkey) }
            throw OpenSSL.failure("decoding a public key")
        }
        return try PublicKey(taking: pkey)
    }

    /// A big-endian integer parameter, left-padded with zeros to `padTo` bytes (0: minimal length).
    private func bignum(_ name: String, padTo size: Int) -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else { return [] }
        defer { BN_free(bn) }
        let length = max(size, Int((BN_num_bits(bn) + 7) / 8))
        var bytes = [UInt8](repeating: 0, count: length)
        _ = BN_bn2binpad(bn, &bytes, Int32(length))
        return bytes
    }
}
