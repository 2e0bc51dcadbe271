import Foundation
import NIOCore
import NIOPosix
import Testing
import WardIdentity
import WardTLS
import WardTestSupport

/// Every way a peer must be refused, each asserting the specific error the server (or client) reports.
@Suite("TLS rejections", .serialized)
struct TLSRejectionTests {
    let fx = TLSFixtures.shared

    /// Starts a server, runs `client` against its port, and returns the server's first TLS error.
    private func serverError(
        _ configuration: TLSConfiguration? = nil, client: (Int) throws -> Void
    ) async throws -> TLSError {
        let server = try await TLSTestServer(configuration: configuration ?? fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        try client(server.port)
        let error = try await server.recorder.firstError()
        #expect(server.recorder.handshakes.isEmpty, "no handshake may complete")
        return try #require(error)
    }

    private func sClient(_ port: Int, _ extra: [String]) throws {
        try TestProcess.run(
            "openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", fx.path("bundle.pem")] + extra,
            stdin: Data("ping\n".utf8), timeout: 10)
    }

    private func rawSend(_ port: Int, hex: String) throws {
        try TestProcess.python(
            """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(bytes.fromhex(sys.argv[2]))
            s.settimeout(5)
            try:
                s.recv(4096)
            except Exception:
                pass
            """, ["\(port)", hex])
    }

    @Test("a client without a certificate")
    func noClientCertificate() async throws {
        let error = try await serverError { try sClient($0, []) }
        #expect(error.code == .noPeerCertificate, "\(error)")
    }

    @Test("a certificate from another CA")
    func otherCA() async throws {
        let other = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "2h"))
        try fx.save(try other.issueSVID(id: fx.clientID, ttl: TTL(parsing: "1h")), as: "other-ca-client")
        let error = try await serverError {
            try sClient($0, ["-cert", fx.path("other-ca-client.pem"), "-key", fx.path("other-ca-client.key")])
        }
        #expect(error.code == .peerRejected && error.message.contains("unknown issuer"), "\(error)")
    }

    @Test("an expired certificate")
    func expired() async throws {
        let past = Date().addingTimeInterval(-3 * 3600)
        let oldCA = try CertificateAuthority.createRoot(
            trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"), now: past)
        try fx.save(try oldCA.issueSVID(id: fx.clientID, ttl: TTL(parsing: "1h"), now: past), as: "expired-client")
        let bundle = try TrustBundle(trustDomain: TrustDomain("example.org"), authorities: fx.bundle.authorities + [oldCA.certificate])
        var configuration = fx.serverConfiguration()
        configuration.trustBundles = [bundle]
        let error = try await serverError(configuration) {
            try sClient($0, ["-cert", fx.path("expired-client.pem"), "-key", fx.path("expired-client.key")])
        }
        #expect(error.code == .peerRejected && error.message.contains("expired"), "\(error)")
    }

    @Test("a certificate for another trust domain")
    func otherTrustDomain() async throws {
        let other = try CertificateAuthority.createRoot(trustDomain: TrustDomain("other.org"), ttl: TTL(parsing: "2h"))
        let id = try SpiffeID("spiffe://other.org/ns/x/sa/y")
        try fx.save(try other.issueSVID(id: id, ttl: TTL(parsing: "1h")), as: "other-td-client")
        let error = try await serverError {
            try sClient($0, ["-cert", fx.path("other-td-client.pem"), "-key", fx.path("other-td-client.key")])
        }
        #expect(error.code == .peerRejected && error.message.contains("trust domain other.org"), "\(error)")
    }

    @Test("a certificate with two URI SANs (made by the openssl CLI)")
    func twoURISANs() async throws {
        let made = try fx.opensslSVID(
            name: "two-uris",
            extensions: """
                basicConstraints=critical,CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=serverAuth,clientAuth
                subjectAltName=URI:spiffe://example.org/a,URI:spiffe://example.org/b
                subjectKeyIdentifier=hash
                authorityKeyIdentifier=keyid
                """)
        let error = try await serverError { try sClient($0, ["-cert", made.cert, "-key", made.key]) }
        #expect(error.code == .peerRejected && error.message.contains("2 URI SANs"), "\(error)")
    }

    @Test("a CA certificate presented as a leaf")
    func caAsLeaf() async throws {
        let error = try await serverError { try sClient($0, ["-cert", fx.path("ca.pem"), "-key", fx.path("ca.key")]) }
        #expect(error.code == .peerRejected && error.message.contains("CA certificate"), "\(error)")
    }

    @Test("TLS 1.1 is refused")
    func tls11() async throws {
        let error = try await serverError {
            try sClient($0, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-cert", fx.path("client.pem"), "-key", fx.path("client.key")])
        }
        #expect(error.code == .handshakeFailed && error.message.contains("unsupported protocol"), "\(error)")
    }

    @Test("TLS 1.2 is refused unless enabled")
    func tls12Disabled() async throws {
        let error = try await serverError {
            try sClient($0, ["-tls1_2", "-cert", fx.path("client.pem"), "-key", fx.path("client.key")])
        }
        #expect(error.code == .handshakeFailed && error.message.contains("unsupported protocol"), "\(error)")
    }

    @Test("plaintext HTTP sent to the TLS port")
    func plaintextHTTP() async throws {
        let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8).map { String(format: "%02x", $0) }.joined()
        let error = try await serverError { try rawSend($0, hex: request) }
        #expect(error.code == .handshakeFailed && error.message.contains("http request"), "\(error)")
    }

    @Test("random bytes")
    func randomBytes() async throws {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<512).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let error = try await serverError { try rawSend($0, hex: "16" + "0303" + "00ff" + hex) }
        #expect(error.code == .handshakeFailed, "\(error)")
    }

    @Test("a peer that stalls mid-handshake is closed by the timeout")
    func stall() async throws {
        let configuration = fx.serverConfiguration(handshakeTimeout: .milliseconds(300))
        let started = Date()
        // Half a TLS record header, then silence until the server hangs up.
        let error = try await serverError(configuration) { try rawSend($0, hex: "160301") }
        #expect(error.code == .handshakeTimeout, "\(error)")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a client that requires a different server SPIFFE ID refuses the server")
    func unexpectedServer() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let wanted = try SpiffeID("spiffe://example.org/ns/test/sa/someone-else")
        for requirement in [PeerRequirement.oneOf([wanted]), .pattern("spiffe://example.org/ns/prod/*")] {
            let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration(requirement: requirement)))
            let client = try await TLSTestClient.connect(port: server.port, provider: provider)
            await #expect {
                _ = try await client.handshake.get()
            } throws: { error in
                (error as? TLSError)?.code == .unexpectedPeer
            }
        }
        #expect(server.recorder.handshakes.isEmpty)
    }

    @Test("the client refuses a server from an untrusted CA")
    func clientRejectsUnknownServer() async throws {
        let other = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "2h"))
        let rogue = try other.issueSVID(id: fx.serverID, ttl: TTL(parsing: "1h"))
        let server = try await TLSTestServer(configuration: fx.serverConfiguration(svid: rogue))
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration(requirement: .oneOf([fx.serverID]))))
        let client = try await TLSTestClient.connect(port: server.port, provider: provider)
        await #expect {
            _ = try await client.handshake.get()
        } throws: { error in
            let tls = error as? TLSError
            return tls?.code == .peerRejected && tls?.message.contains("unknown issuer") == true
        }
    }
}
