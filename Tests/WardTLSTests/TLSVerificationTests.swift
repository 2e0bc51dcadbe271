import Foundation
import Testing
import WardIdentity
import WardTLS
import WardTestSupport

/// The handshake verifies peers in libssl's own store context (not one of Ward's): these pin that it is still the
/// offline verifier's check, neither the generic TLS-client one libssl prepares nor a merged trust store, and that
/// the peer's DER and hash, now derived on demand, are the certificate's.
@Suite("TLS peer verification in the handshake", .serialized)
struct TLSVerificationTests {
    let fx = TLSFixtures.shared

    private func sClient(_ port: Int, cert: String, key: String) throws {
        try TestProcess.run(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", fx.path("bundle.pem"), "-cert", cert, "-key", key],
            stdin: Data("ping\n".utf8), timeout: 10)
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try TestProcess.run("openssl", arguments)
        if result.status != 0 { throw FixtureError(message: result.stderr) }
    }

    /// A root made by the openssl CLI with no name constraints, and a leaf for `id` signed by it.
    private func plainRootAndLeaf(name: String, id: String) throws -> (root: Certificate, cert: String, key: String) {
        let rootKey = fx.path("\(name)-root.key"), rootCert = fx.path("\(name)-root.pem")
        try openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", rootKey,
             "-out", rootCert, "-subj", "/O=\(name) root", "-days", "1",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        let key = fx.path("\(name).key"), csr = fx.path("\(name).csr"), cert = fx.path("\(name).pem")
        let ext = fx.path("\(name).ext")
        try """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth,clientAuth
            subjectAltName=URI:\(id)
            """.write(toFile: ext, atomically: true, encoding: .utf8)
        try openssl(
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
             "-subj", "/O=test"])
        try openssl(
            ["x509", "-req", "-in", csr, "-CA", rootCert, "-CAkey", rootKey, "-set_serial", "77", "-days", "1",
             "-extfile", ext, "-out", cert])
        return (try Certificate.chain(contentsOfFile: rootCert)[0], cert, key)
    }

    @Test("a client SVID without clientAuth is accepted, as the offline verifier accepts it (libssl's TLS-client purpose is not applied)")
    func noClientAuthPurpose() async throws {
        let made = try fx.opensslSVID(
            name: "server-auth-only",
            extensions: """
                basicConstraints=critical,CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=serverAuth
                subjectAltName=URI:spiffe://example.org/ns/test/sa/eku
                """)
        let chain = try Certificate.chain(contentsOfFile: made.cert)
        #expect(try SVIDVerifier(bundles: [fx.bundle]).verify(chain).id.description == "spiffe://example.org/ns/test/sa/eku")

        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        try sClient(server.port, cert: made.cert, key: made.key)
        #expect(server.recorder.errors.isEmpty, "\(server.recorder.errors)")
        let handshake = try #require(server.recorder.handshakes.first)
        #expect(handshake.peer?.spiffeID.description == "spiffe://example.org/ns/test/sa/eku")
    }

    @Test("each peer is checked against its own trust domain's authorities only, never a merged set")
    func bundlesNotMerged() async throws {
        // other.org's authority has no name constraints, so a merged store would let it vouch for example.org IDs.
        let outsider = try plainRootAndLeaf(name: "outsider", id: "spiffe://example.org/ns/test/sa/forged")
        let otherBundle = try TrustBundle(trustDomain: TrustDomain("other.org"), authorities: [outsider.root])
        var configuration = fx.serverConfiguration()
        configuration.trustBundles = [fx.bundle, otherBundle]

        let server = try await TLSTestServer(configuration: configuration)
        defer { Task { try? await server.stop() } }
        try sClient(server.port, cert: outsider.cert, key: outsider.key)
        let error = try #require(try await server.recorder.firstError())
        #expect(error.code == .peerRejected && error.message.contains("unknown issuer"), "\(error)")
        #expect(server.recorder.handshakes.isEmpty)

        // The same authority is trusted for its own domain.
        let insider = try plainRootAndLeaf(name: "insider", id: "spiffe://other.org/ns/x/sa/y")
        configuration.trustBundles = [
            fx.bundle, try TrustBundle(trustDomain: TrustDomain("other.org"), authorities: [insider.root]),
        ]
        let second = try await TLSTestServer(configuration: configuration)
        defer { Task { try? await second.stop() } }
        try sClient(second.port, cert: insider.cert, key: insider.key)
        #expect(second.recorder.errors.isEmpty, "\(second.recorder.errors)")
        #expect(second.recorder.handshakes.first?.peer?.spiffeID.description == "spiffe://other.org/ns/x/sa/y")
    }

    @Test("the peer's chain DER and leaf hash are derived on demand and equal the certificate's")
    func peerDerivedOnDemand() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        try sClient(server.port, cert: fx.path("client.pem"), key: fx.path("client.key"))
        try sClient(server.port, cert: fx.path("client.pem"), key: fx.path("client.key"))
        let handshakes = server.recorder.handshakes
        let peer = try #require(handshakes.first?.peer)
        #expect(peer.chainDER.first == fx.client.chain[0].der)
        #expect(peer.leafSHA256 == fx.client.chain[0].sha256Fingerprint)
        #expect(peer.leafSHA256.count == 64)
        #expect(peer == handshakes.last?.peer)  // the same certificate over another connection
    }

    @Test("hex fingerprints and serials are written as before: SHA-256 test vector, an openssl-made serial")
    func hexFormatting() throws {
        #expect(Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let made = try fx.opensslSVID(
            name: "serial", extensions: "basicConstraints=critical,CA:FALSE\nsubjectAltName=URI:spiffe://example.org/s\n")
        #expect(try Certificate.chain(contentsOfFile: made.cert)[0].serialHex == "1092")  // -set_serial 4242
    }
}
