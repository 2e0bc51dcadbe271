import WardJSON

extension TrustBundle {
    /// The bundle in SPIFFE bundle JSON form: a JWK Set with `spiffe_sequence`, `spiffe_refresh_hint`, and one
    /// `"use": "x509-svid"` key per authority (`x5c` with the DER certificate in base64, plus its public JWK).
    public var spiffeJSON: JSONValue {
        let keys: [JSONValue] = authorities.map { authority in
            var members: [(key: String, value: JSONValue)] = [("use", "x509-svid")]
            if let key = try? authority.publicKey { members += key.jwkMembers }
            members.append(("x5c", .array([.string(OpenSSL.base64(authority.der))])))
            return .object(JSONObject(members))
        }
        return .object(
            JSONObject([
                ("keys", .array(keys)), ("spiffe_sequence", .int(sequence)), ("spiffe_refresh_hint", .int(refreshHint)),
            ]))
    }

    /// The SPIFFE JSON text, pretty-printed, ending in a newline.
    public var spiffeJSONText: String { spiffeJSON.serialized(.pretty) + "\n" }

    /// Reads the X.509 authorities of a SPIFFE bundle. Entries with another `use` (e.g. `jwt-svid`) or unknown
    /// `kty` are skipped, as the format requires; an x509-svid entry must hold exactly one CA certificate whose
    /// key matches the entry's JWK fields.
    static func parseSPIFFE(_ bytes: [UInt8], source: String) throws(IdentityError)
        -> (authorities: [Certificate], sequence: Int64, refreshHint: Int64)
    {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: bytes, source: source)
        } catch {
            throw IdentityError(.malformedBundle, error.description)
        }
        let fail = { (why: String) in IdentityError(.malformedBundle, "\(source): not a SPIFFE bundle: \(why)") }
        guard let object = document.objectValue else { throw fail("expected a JSON object") }
        guard let keys = object["keys"]?.arrayValue else { throw fail("expected a \"keys\" array") }
        let sequence = object["spiffe_sequence"]?.intValue ?? 0
        let refreshHint = object["spiffe_refresh_hint"]?.intValue ?? TrustBundle.defaultRefreshHint
        if let value = object["spiffe_sequence"], value.intValue == nil {
            throw fail("\"spiffe_sequence\" must be an integer")
        }
        var authorities: [Certificate] = []
        for (index, entry) in keys.enumerated() {
            guard let key = entry.objectValue else { throw fail("keys[\(index)] is not an object") }
            guard key["use"]?.stringValue == "x509-svid" else { continue }
            guard ["EC", "RSA", "OKP"].contains(key["kty"]?.stringValue ?? "") else { continue }
            guard let x5c = key["x5c"]?.arrayValue, x5c.count == 1, let encoded = x5c[0].stringValue else {
                throw fail("keys[\(index)].x5c must hold exactly one base64 certificate")
            }
            guard let der = OpenSSL.base64Decode(encoded) else { throw fail("keys[\(index)].x5c[0] is not base64") }
            let certificate = try Certificate(der: der, source: "\(source): keys[\(index)].x5c[0]")
            let expected = (try? certificate.publicKey)?.jwkMembers ?? []
            for (name, value) in expected where key[name] != nil && key[name] != value {
                throw fail("keys[\(index)].\(name) does not match the certificate in x5c")
            }
            authorities.append(certificate)
        }
        return (authorities, sequence, refreshHint)
    }
}
