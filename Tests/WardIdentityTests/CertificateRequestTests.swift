import Foundation
import Testing

@testable import WardIdentity

@Suite("CSR signing")
struct CertificateRequestTests {
    let ca = try! CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"))
    let id = try! SpiffeID("spiffe://example.org/ns/prod/sa/api")

    @Test func signsAWardRequestWithItsKey() throws {
        let key = try PrivateKey(generating: .ed25519)
        let request = try CertificateRequest(signedBy: key, commonName: "spiffe://evil.org/admin")
        let parsed = try CertificateRequest(bytes: Array(request.pem.utf8))
        #expect(parsed.signatureIsValid)
        let svid = try ca.sign(parsed, id: id, ttl: TTL(parsing: "1h"))
        #expect(svid.privateKey == nil)
        #expect(key.matches(try svid.leaf.publicKey))
        // The identity comes from the CA operator; names in the request are ignored.
        #expect(svid.leaf.uriSANs == [id.description])
        #expect(svid.leaf.subject.isEmpty)
        try expectSVIDRules(svid.leaf, id: id, issuer: ca.certificate)
    }

    @Test func signsAnOpenSSLRequestAskingForOtherNames() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        try TestSupport.openssl(
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", "w.key",
                "-out", "w.csr", "-subj", "/CN=admin", "-addext", "subjectAltName=URI:spiffe://example.org/admin",
                "-addext", "basicConstraints=critical,CA:TRUE"], in: dir)
        let request = try CertificateRequest(contentsOfFile: "\(dir)/w.csr")
        let svid = try ca.sign(request, id: id, ttl: TTL(parsing: "30m"), dnsNames: ["api.internal"])
        #expect(svid.leaf.uriSANs == [id.description])
        #expect(!svid.leaf.isCA)
        #expect(try PrivateKey(contentsOfFile: "\(dir)/w.key").matches(try svid.leaf.publicKey))
        try expectSVIDRules(svid.leaf, id: id, issuer: ca.certificate, dns: ["api.internal"])
    }

    @Test func refusesARequestWithABadSignature() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        try TestSupport.openssl(
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "w.key",
                "-out", "w.der", "-outform", "DER", "-subj", "/CN=workload"], in: dir)
        var der = try TestSupport.read("\(dir)/w.der")
        // Change one byte of the subject ("workload" -> "workloaD"): still a well-formed CSR, signature now wrong.
        let marker = Array("workload".utf8)
        let at = try #require((0...(der.count - marker.count)).first { Array(der[$0..<$0 + marker.count]) == marker })
        der[at + 7] = UInt8(ascii: "D")
        let request = try CertificateRequest(bytes: der, source: "tampered.der")
        #expect(!request.signatureIsValid)
        do {
            _ = try ca.sign(request, id: id, ttl: TTL(parsing: "1h"))
            Issue.record("signed a tampered CSR")
        } catch {
            #expect(error.code == .badRequestSignature)
        }
        // Ward-made request, tampered the same way.
        let wardDER = try CertificateRequest(signedBy: PrivateKey(generating: .ecP256), commonName: "workload").der
        var tampered = wardDER
        let index = try #require((0...(tampered.count - marker.count)).first { Array(tampered[$0..<$0 + marker.count]) == marker })
        tampered[index] = UInt8(ascii: "W")
        #expect(!(try CertificateRequest(bytes: tampered)).signatureIsValid)
    }

    @Test func rejectsGarbage() {
        for bytes in [Array("not a csr".utf8), [0x30, 0x03, 0x02, 0x01, 0x01], []] {
            #expect(throws: IdentityError.self) { try CertificateRequest(bytes: bytes) }
        }
    }
}
