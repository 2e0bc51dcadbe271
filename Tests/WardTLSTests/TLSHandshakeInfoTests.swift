import Foundation
import Testing
import WardTLS
import WardTestSupport

/// The handshake event's protocol and cipher names (TLS 1.3's come from literals, not OpenSSL's strings): they must
/// be exactly OpenSSL's names for every suite a peer can pick.
@Suite("TLS handshake event names", .serialized)
struct TLSHandshakeInfoTests {
    let fx = TLSFixtures.shared

    @Test("each TLS 1.3 suite is reported by OpenSSL's name", arguments: [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ])
    func cipherNames(suite: String) async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        try TestProcess.run(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", fx.path("bundle.pem"), "-cert",
             fx.path("client.pem"), "-key", fx.path("client.key"), "-ciphersuites", suite],
            stdin: Data("ping\n".utf8), timeout: 10)
        let handshake = try #require(server.recorder.handshakes.first)
        #expect(handshake.cipher == suite)
        #expect(handshake.protocolVersion == "TLSv1.3")
    }

    @Test("TLS 1.2, when allowed, is reported as TLSv1.2 with OpenSSL's suite name")
    func tls12Names() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration(allowTLS12: true))
        defer { Task { try? await server.stop() } }
        try TestProcess.run(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", fx.path("bundle.pem"), "-cert",
             fx.path("client.pem"), "-key", fx.path("client.key"), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
            stdin: Data("ping\n".utf8), timeout: 10)
        let handshake = try #require(server.recorder.handshakes.first)
        #expect(handshake.protocolVersion == "TLSv1.2")
        #expect(handshake.cipher == "ECDHE-ECDSA-AES256-GCM-SHA384")
    }
}
