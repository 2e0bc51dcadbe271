import Foundation
import Testing
import WardJSON

@testable import WardIdentity

@Suite("Trust bundles")
struct TrustBundleTests {
    let td = try! TrustDomain("example.org")

    @Test("SPIFFE JSON round trip with JWK fields", arguments: [KeyType.ecP256, .ecP384, .ed25519, .rsa2048])
    func spiffeJSON(_ type: KeyType) throws {
        let ca = try CertificateAuthority.createRoot(trustDomain: td, keyType: type, ttl: TTL(parsing: "1h"))
        let bundle = try ca.bundle(sequence: 7, refreshHint: 60)
        let json = bundle.spiffeJSON
        #expect(json["spiffe_sequence"] == 7 && json["spiffe_refresh_hint"] == 60)
        let key = try #require(json["keys"]?.arrayValue?.first)
        #expect(key["use"] == "x509-svid" && key["kid"] == nil)
        #expect(key["x5c"]?.arrayValue == [.string(OpenSSL.base64(ca.certificate.der))])
        switch type {
        case .ecP256:
            #expect(key["kty"] == "EC" && key["crv"] == "P-256")
            #expect(key["x"]?.stringValue?.count == 43 && key["y"]?.stringValue?.count == 43)
        case .ecP384:
            #expect(key["crv"] == "P-384" && key["x"]?.stringValue?.count == 64)
        case .ed25519:
            #expect(key["kty"] == "OKP" && key["crv"] == "Ed25519" && key["x"]?.stringValue?.count == 43)
        default:
            #expect(key["kty"] == "RSA" && key["e"] == "AQAB" && key["n"]?.stringValue?.count == 342)
        }
        for value in [key["x"], key["y"], key["n"]].compactMap({ $0?.stringValue }) {
            #expect(!value.contains("=") && !value.contains("+") && !value.contains("/"))
        }
        let parsed = try TrustBundle(bytes: Array(bundle.spiffeJSONText.utf8), source: "b.json")
        #expect(parsed.trustDomain == td && parsed.authorities == [ca.certificate])
        #expect(parsed.sequence == 7 && parsed.refreshHint == 60)
        let pem = try TrustBundle(bytes: Array(bundle.pem.utf8), source: "b.pem")
        #expect(pem.authorities == [ca.certificate])
    }

    @Test func skipsUnknownEntriesAndRejectsMismatches() throws {
        let ca = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "1h"))
        var object = try #require(try ca.bundle().spiffeJSON.objectValue)
        var keys = try #require(object["keys"]?.arrayValue)
        keys.append(["use": "jwt-svid", "kty": "EC", "kid": "abc", "crv": "P-256", "x": "AA", "y": "AA"])
        keys.append(["use": "x509-svid", "kty": "oct", "k": "AA"])
        object["keys"] = .array(keys)
        let parsed = try TrustBundle(bytes: Array(JSONValue.object(object).serialized().utf8), source: "b.json")
        #expect(parsed.authorities.count == 1)

        var tampered = try #require(keys[0].objectValue)
        tampered["x"] = .string(OpenSSL.base64URL([UInt8](repeating: 1, count: 32)))
        object["keys"] = .array([.object(tampered)])
        #expect(throws: IdentityError.self) {
            try TrustBundle(bytes: Array(JSONValue.object(object).serialized().utf8), source: "b.json")
        }
        for bad in ["{", "[]", "{\"keys\": 3}", "{\"keys\": [{\"use\": \"x509-svid\", \"kty\": \"EC\", \"x5c\": [\"!!\"]}]}",
            "{\"keys\": [{\"use\": \"x509-svid\", \"kty\": \"EC\", \"x5c\": []}]}", "not pem"] {
            #expect(throws: IdentityError.self, "\(bad)") { try TrustBundle(bytes: Array(bad.utf8), source: "b", fallbackTrustDomain: td) }
        }
        // An empty keys array is a valid bundle that trusts nothing.
        let empty = try TrustBundle(bytes: Array("{\"keys\": []}".utf8), source: "b", fallbackTrustDomain: td)
        #expect(empty.authorities.isEmpty)
    }

    @Test func base64Helpers() {
        #expect(OpenSSL.base64([0xFB, 0xFF]) == "+/8=")
        #expect(OpenSSL.base64URL([0xFB, 0xFF]) == "-_8")
        #expect(OpenSSL.base64URLDecode("-_8") == [0xFB, 0xFF])
        #expect(OpenSSL.base64Decode("+/8=") == [0xFB, 0xFF])
        #expect(OpenSSL.base64Decode("!!") == nil)
    }
}
