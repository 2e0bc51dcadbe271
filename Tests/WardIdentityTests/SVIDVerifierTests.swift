import COpenSSL
import Foundation
import Testing

@testable import WardIdentity

/// Every verification failure, with certificates made by Ward (and, below, by the `openssl` CLI).
@Suite("SVID verification")
struct SVIDVerifierTests {
    let td = try! TrustDomain("example.org")
    let now = Date()

    func expectFailure(
        _ code: IdentityError.Code, _ verifier: SVIDVerifier, _ chain: [Certificate], at time: Date = Date(),
        expectedID: SpiffeID? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let verified = try verifier.verify(chain, at: time, expectedID: expectedID)
            Issue.record("verified \(verified.id), expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// A leaf signed by `ca` with arbitrary names and flags (things Ward's CA itself refuses to issue).
    func craftedLeaf(_ ca: CertificateAuthority, uris: [String], isCA: Bool = false) throws -> Certificate {
        let key = try PrivateKey(generating: .ecP256)
        let builder = try CertificateBuilder()
        try builder.setRandomSerial()
        try builder.setSubject([("O", "crafted")])
        try builder.setIssuer(ca.certificate)
        try builder.setValidity(notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(3600))
        try builder.setPublicKey(key.publicKey)
        try builder.addExtension(NID_basic_constraints, isCA ? "critical,CA:TRUE" : "critical,CA:FALSE", issuer: ca.certificate)
        try builder.addExtension(NID_key_usage, isCA ? "critical,keyCertSign" : "critical,digitalSignature", issuer: ca.certificate)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: ca.certificate)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: ca.certificate)
        if !uris.isEmpty { try builder.addSubjectAltNames(uris: uris, dnsNames: [], critical: false) }
        return try builder.sign(with: ca.privateKey)
    }

    @Test func wardMadeFailures() throws {
        let ca = try CertificateAuthority.createRoot(
            trustDomain: td, ttl: TTL(parsing: "24h"), now: now.addingTimeInterval(-10 * 3600))
        let verifier = SVIDVerifier(bundles: [try ca.bundle()])
        let id = try SpiffeID("spiffe://example.org/ns/a")
        let good = try ca.issueSVID(id: id, ttl: TTL(parsing: "1h"))
        #expect(try verifier.verify(good.chain, expectedID: id).id == id)

        let old = try ca.issueSVID(id: id, ttl: TTL(parsing: "1h"), now: now.addingTimeInterval(-3 * 3600))
        expectFailure(.expired, verifier, old.chain)
        expectFailure(.notYetValid, verifier, good.chain, at: now.addingTimeInterval(-3600))
        expectFailure(.expired, verifier, good.chain, at: now.addingTimeInterval(20 * 3600))  // CA expired too

        let stranger = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "24h"))
        expectFailure(.unknownIssuer, SVIDVerifier(bundles: [try stranger.bundle()]), good.chain)

        let other = try CertificateAuthority.createRoot(trustDomain: TrustDomain("other.org"), ttl: TTL(parsing: "24h"))
        expectFailure(.wrongTrustDomain, SVIDVerifier(bundles: [try other.bundle()]), good.chain)
        expectFailure(.wrongTrustDomain, verifier, good.chain, expectedID: try SpiffeID("spiffe://other.org/ns/a"))
        expectFailure(.unexpectedID, verifier, good.chain, expectedID: try SpiffeID("spiffe://example.org/ns/b"))

        expectFailure(.multipleURISANs, verifier, [try craftedLeaf(ca, uris: [id.description, "spiffe://example.org/x"])])
        expectFailure(.noURISAN, verifier, [try craftedLeaf(ca, uris: [])])
        expectFailure(.caAsLeaf, verifier, [ca.certificate])
        expectFailure(.caAsLeaf, verifier, [try craftedLeaf(ca, uris: [id.description], isCA: true)])
        expectFailure(.badLeafSpiffeID, verifier, [try craftedLeaf(ca, uris: ["spiffe://example.org/a/../b"])])
        expectFailure(.badLeafSpiffeID, verifier, [try craftedLeaf(ca, uris: ["https://example.org/a"])])
        expectFailure(.badLeafSpiffeID, verifier, [try craftedLeaf(ca, uris: ["spiffe://example.org"])])
        expectFailure(.emptyChain, verifier, [])

        // An intermediate's SVID without the intermediate in the chain has an unknown issuer.
        let inter = try CertificateAuthority.createIntermediate(
            trustDomain: td, ttl: TTL(parsing: "2h"), upstreamChain: [ca.certificate], upstreamKey: ca.privateKey)
        let viaInter = try inter.issueSVID(id: id, ttl: TTL(parsing: "1h"))
        #expect(try verifier.verify(viaInter.chain).path.count == 3)
        expectFailure(.unknownIssuer, verifier, [viaInter.leaf])
        expectFailure(.caAsLeaf, verifier, [inter.certificate, ca.certificate])
    }

    @Test func openSSLMadeFailures() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let pki = try OpenSSLPKI(dir: dir, days: 30, trustDomain: "example.org")
        let bundle = try TrustBundle.load(contentsOfFile: pki.rootCert)
        #expect(bundle.trustDomain == td)
        let verifier = SVIDVerifier(bundles: [bundle])
        func load(_ path: String) throws -> [Certificate] { try Certificate.chain(contentsOfFile: path) }

        let good = try pki.leaf("good", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/ns/a"]))
        #expect(try verifier.verify(load(good.cert)).id.description == "spiffe://example.org/ns/a")
        expectFailure(.expired, verifier, try load(good.cert), at: now.addingTimeInterval(3 * 86400))
        expectFailure(.notYetValid, verifier, try load(good.cert), at: now.addingTimeInterval(-2 * 86400))

        let stranger = try OpenSSLPKI(dir: dir, days: 30, trustDomain: "example.org", name: "stranger")
        expectFailure(.unknownIssuer, SVIDVerifier(bundles: [try TrustBundle.load(contentsOfFile: stranger.rootCert)]),
            try load(good.cert))

        let outside = try pki.leaf("outside", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://other.org/ns/a"]))
        expectFailure(.wrongTrustDomain, verifier, try load(outside.cert))
        // Even when told the bundle is other.org's, the root's name constraint rejects the leaf.
        let mislabeled = try TrustBundle(trustDomain: TrustDomain("other.org"), authorities: bundle.authorities)
        expectFailure(.wrongTrustDomain, SVIDVerifier(bundles: [mislabeled]), try load(outside.cert))

        let two = try pki.leaf("two", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/a", "spiffe://example.org/b"]))
        expectFailure(.multipleURISANs, verifier, try load(two.cert))
        let caLeaf = try pki.leaf(
            "caleaf", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/a"], ca: true, keyUsage: "critical,keyCertSign"))
        expectFailure(.caAsLeaf, verifier, try load(caLeaf.cert))
        expectFailure(.caAsLeaf, verifier, try load(pki.rootCert))
        let badID = try pki.leaf("badid", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/a/./b"]))
        expectFailure(.badLeafSpiffeID, verifier, try load(badID.cert))
        let crl = try pki.leaf(
            "crl", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/a"], keyUsage: "critical,digitalSignature,cRLSign"))
        expectFailure(.badKeyUsage, verifier, try load(crl.cert))

        // Without trust-domain hints (unconstrained openssl root), the caller's trust domain applies.
        let plain = try OpenSSLPKI(dir: dir, days: 30, name: "plain")
        let plainLeaf = try plain.leaf("plainleaf", extensions: OpenSSLPKI.svidExtensions(uris: ["spiffe://example.org/p"]))
        #expect(throws: IdentityError.self) { try TrustBundle.load(contentsOfFile: plain.rootCert) }
        let plainBundle = try TrustBundle.load(contentsOfFile: plain.rootCert, fallbackTrustDomain: td)
        #expect(try SVIDVerifier(bundles: [plainBundle]).verify(load(plainLeaf.cert)).id.description == "spiffe://example.org/p")
    }

    @Test func leafRulesAloneForTLSCallbacks() throws {
        let ca = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "1h"))
        let svid = try ca.issueSVID(id: SpiffeID("spiffe://example.org/x"), ttl: TTL(parsing: "10m"))
        #expect(try SVIDVerifier.checkLeaf(svid.leaf).description == "spiffe://example.org/x")
        #expect(throws: IdentityError.self) { try SVIDVerifier.checkLeaf(ca.certificate) }
    }
}
