import Foundation
import Testing

@testable import WardIdentity

/// Checks every X.509-SVID rule of spiffe.md on an issued leaf.
func expectSVIDRules(_ leaf: Certificate, id: SpiffeID, issuer: Certificate, dns: [String] = []) throws {
    #expect(leaf.uriSANs == [id.description])
    #expect(leaf.dnsSANs == dns)
    #expect(!leaf.isCA)
    #expect(leaf.keyUsage == [.digitalSignature])
    #expect(leaf.keyUsageIsCritical)
    #expect(leaf.extendedKeyUsage == [.serverAuth, .clientAuth])
    #expect(leaf.subject.isEmpty && leaf.subjectAltNameIsCritical)
    #expect(leaf.subjectKeyIdentifier != nil)
    #expect(leaf.authorityKeyIdentifier == issuer.subjectKeyIdentifier)
    #expect(leaf.serialNumber.count == 16 && leaf.serialNumber[0] & 0x80 == 0)
    #expect(leaf.notAfter <= issuer.notAfter)
    #expect(leaf.notBefore < Date() && leaf.notBefore >= issuer.notBefore)
    #expect(leaf.issuer == issuer.subject)
}

@Suite("Certificate authority")
struct CertificateAuthorityTests {
    let td = try! TrustDomain("example.org")

    @Test("root CA and SVID for every key type", arguments: KeyType.allCases)
    func rootAndIssue(_ type: KeyType) throws {
        // RSA key generation is slow: RSA CAs issue EC leaves, and only one RSA leaf is made (under the EC CA).
        let caType: KeyType = type == .rsa3072 ? .ecP256 : type
        let ca = try CertificateAuthority.createRoot(trustDomain: td, keyType: caType, ttl: TTL(parsing: "24h"))
        let root = ca.certificate
        #expect(root.isCA && root.isSelfSigned)
        #expect(root.keyUsage == [.keyCertSign, .cRLSign] && root.keyUsageIsCritical)
        #expect(root.permittedURIDomains == ["example.org"])
        #expect(root.uriSANs == ["spiffe://example.org"])
        #expect(root.subject.contains("CN=example.org") && root.subject.contains("serialNumber="))
        #expect(root.serialNumber.count == 16)
        #expect(root.subjectKeyIdentifier != nil)
        #expect(ca.isRoot && ca.chain.isEmpty && ca.authorities == [root])

        let leafType: KeyType = type == .rsa2048 ? .ecP384 : type
        let id = try SpiffeID("spiffe://example.org/ns/prod/sa/web")
        let svid = try ca.issueSVID(id: id, keyType: leafType, ttl: TTL(parsing: "1h"), dnsNames: ["web.example.org"])
        #expect(svid.id == id)
        #expect(svid.chain.count == 1)
        #expect(svid.leaf.keyAlgorithm?.keyType == leafType)
        try expectSVIDRules(svid.leaf, id: id, issuer: root, dns: ["web.example.org"])
        let verified = try SVIDVerifier(bundles: [ca.bundle()]).verify(svid.chain)
        #expect(verified.id == id)
        #expect(verified.path.last == root)
        // openssl agrees, in strict mode.
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        try TestSupport.write(root.pem, "\(dir)/root.pem")
        try TestSupport.write(svid.chainPEM, "\(dir)/svid.pem")
        let out = try TestSupport.openssl(["verify", "-x509_strict", "-CAfile", "root.pem", "svid.pem"], in: dir)
        #expect(out.contains("svid.pem: OK"))
    }

    @Test func serialsAreRandom() throws {
        let ca = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "1h"))
        let key = try PrivateKey(generating: .ecP256)
        let id = try SpiffeID("spiffe://example.org/a")
        var serials = Set<String>()
        for _ in 0..<50 { serials.insert(try ca.issue(id: id, publicKey: key.publicKey, ttl: TTL(parsing: "1m"))[0].serialHex) }
        #expect(serials.count == 50)
    }

    @Test func refusesBadRequests() throws {
        let ca = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "2h"))
        let cases: [(String, String, [String], IdentityError.Code)] = [
            ("spiffe://other.org/x", "1h", [], .invalidSpiffeID),
            ("spiffe://example.org", "1h", [], .invalidSpiffeID),
            ("spiffe://example.org/x", "3h", [], .ttlExceedsCA),
            ("spiffe://example.org/x", "1h", ["bad_name.example"], .invalidDNSName),
            ("spiffe://example.org/x", "1h", ["a..b"], .invalidDNSName),
        ]
        for (id, ttl, dns, code) in cases {
            do {
                _ = try ca.issueSVID(id: try SpiffeID(id), ttl: try TTL(parsing: ttl), dnsNames: dns)
                Issue.record("issued \(id) \(ttl) \(dns)")
            } catch let error as IdentityError {
                #expect(error.code == code, "\(id): \(error.message)")
            }
        }
    }

    @Test func intermediateUnderWardRoot() throws {
        let root = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "48h"))
        let ca = try CertificateAuthority.createIntermediate(
            trustDomain: td, ttl: TTL(parsing: "24h"), upstreamChain: [root.certificate], upstreamKey: root.privateKey)
        #expect(!ca.isRoot)
        #expect(ca.chain == [ca.certificate])
        #expect(ca.authorities == [root.certificate])
        #expect(ca.certificate.pathLength == 0)
        #expect(ca.certificate.authorityKeyIdentifier == root.certificate.subjectKeyIdentifier)
        let id = try SpiffeID("spiffe://example.org/ns/x")
        let svid = try ca.issueSVID(id: id, ttl: TTL(parsing: "1h"))
        #expect(svid.chain == [svid.leaf, ca.certificate])
        try expectSVIDRules(svid.leaf, id: id, issuer: ca.certificate)
        #expect(try SVIDVerifier(bundles: [ca.bundle()]).verify(svid.chain).path.count == 3)
        // An intermediate cannot outlive its upstream.
        #expect(throws: IdentityError.self) {
            try CertificateAuthority.createIntermediate(
                trustDomain: td, ttl: TTL(parsing: "49h"), upstreamChain: [root.certificate], upstreamKey: root.privateKey)
        }
        // Nor be made for a trust domain the upstream's name constraint excludes, or with a key that does not match.
        #expect(throws: IdentityError.self) {
            try CertificateAuthority.createIntermediate(
                trustDomain: TrustDomain("other.org"), ttl: TTL(parsing: "1h"), upstreamChain: [root.certificate],
                upstreamKey: root.privateKey)
        }
        #expect(throws: IdentityError.self) {
            try CertificateAuthority.createIntermediate(
                trustDomain: td, ttl: TTL(parsing: "1h"), upstreamChain: [root.certificate],
                upstreamKey: PrivateKey(generating: .ecP256))
        }
    }

    @Test func intermediateUnderOpenSSLRoot() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let pki = try OpenSSLPKI(dir: dir, days: 10)
        let upstream = try Certificate.chain(contentsOfFile: pki.rootCert)
        let ca = try CertificateAuthority.createIntermediate(
            trustDomain: td, ttl: TTL(parsing: "24h"), upstreamChain: upstream,
            upstreamKey: PrivateKey(contentsOfFile: pki.rootKey))
        #expect(ca.authorities == upstream)
        let id = try SpiffeID("spiffe://example.org/ns/y")
        let svid = try ca.issueSVID(id: id, ttl: TTL(parsing: "1h"))
        try expectSVIDRules(svid.leaf, id: id, issuer: ca.certificate)
        // The bundle (the openssl root) names no trust domain: the caller supplies it.
        let bundle = try TrustBundle.load(contentsOfFile: pki.rootCert, fallbackTrustDomain: td)
        #expect(try SVIDVerifier(bundles: [bundle]).verify(svid.chain).id == id)
        // openssl itself accepts the chain.
        try TestSupport.write(Certificate.pem(svid.chain), "\(dir)/svid.pem")
        try TestSupport.write(ca.certificate.pem, "\(dir)/inter.pem")
        let out = try TestSupport.openssl(
            ["verify", "-x509_strict", "-CAfile", pki.rootCert, "-untrusted", "inter.pem", "svid.pem"], in: dir)
        #expect(out.contains("svid.pem: OK"))
    }

    @Test func intermediateUnderAnOpenSSLIntermediateAndRoot() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let pki = try OpenSSLPKI(dir: dir, days: 10)
        let upstream = try pki.leaf(
            "upstream", extensions: [
                "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash",
                "authorityKeyIdentifier=keyid:always",
            ], days: 5)
        let upstreamChain = try Certificate.chain(contentsOfFile: upstream.cert) + Certificate.chain(contentsOfFile: pki.rootCert)
        let ca = try CertificateAuthority.createIntermediate(
            trustDomain: td, ttl: TTL(parsing: "24h"), upstreamChain: upstreamChain,
            upstreamKey: PrivateKey(contentsOfFile: upstream.key))
        #expect(ca.chain == [ca.certificate, upstreamChain[0]])
        #expect(ca.authorities == [upstreamChain[1]])
        let svid = try ca.issueSVID(id: SpiffeID("spiffe://example.org/deep"), ttl: TTL(parsing: "1h"))
        #expect(svid.chain.count == 3)
        #expect(try SVIDVerifier(bundles: [ca.bundle()]).verify(svid.chain).path.count == 4)
        // A chain that does not end in a self-signed root is refused.
        #expect(throws: IdentityError.self) {
            try CertificateAuthority.createIntermediate(
                trustDomain: td, ttl: TTL(parsing: "1h"), upstreamChain: [upstreamChain[0]],
                upstreamKey: PrivateKey(contentsOfFile: upstream.key))
        }
    }

    @Test func saveAndLoad() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let ca = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "24h"))
        let bundle = try ca.save(directory: dir)
        #expect(bundle.sequence == 1)
        let layout = CALayout(directory: dir)
        let mode = try FileManager.default.attributesOfItem(atPath: layout.keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let loaded = try CertificateAuthority.load(directory: dir)
        #expect(loaded.certificate == ca.certificate && loaded.trustDomain == td)
        #expect(loaded.privateKey.matches(try ca.certificate.publicKey))
        do {
            try ca.save(directory: dir)
            Issue.record("overwrote a CA")
        } catch {
            #expect(error.code == .caExists)
        }
        let second = try CertificateAuthority.createRoot(trustDomain: td, ttl: TTL(parsing: "24h"))
        #expect(try second.save(directory: dir, force: true).sequence == 2)
        #expect(second.certificate.subject != ca.certificate.subject)
        // A key that does not match its certificate is refused, naming the key file.
        try ca.privateKey.write(toFile: layout.keyFile)
        do {
            _ = try CertificateAuthority.load(directory: dir)
            Issue.record("loaded a mismatched CA")
        } catch {
            #expect(error.code == .keyMismatch && error.message.contains(layout.keyFile))
        }
        #expect(throws: IdentityError(.missingCA, "\(dir)/nope: no such CA directory (expected \(dir)/nope/ca/ca.pem)")) {
            try CertificateAuthority.load(directory: "\(dir)/nope")
        }
    }
}
