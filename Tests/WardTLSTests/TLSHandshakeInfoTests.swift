import Foundation
import Testing
import WardTLS
import WardTestSupport

/// The handshake event's protocol and cipher names (TLS 1.3's come from literals, not OpenSSL's strings) must be
/// exactly OpenSSL's for every suite a peer can pick; and reads stop asking OpenSSL once nothing is buffered, which
/// must not lose a record that arrives in pieces.
@Suite("TLS handshake event and partial reads", .serialized)
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

    @Test("records split across many reads (the client's bytes relayed one at a time) still complete and echo")
    func byteByByte() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        // A relay that passes the client's bytes to the server one per send with a pause, so the handshake and
        // each record reach the server in pieces: the reads that end inside a record must ask for more.
        let script = """
            import socket, ssl, sys, threading, time
            port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            def relay():
                inner, _ = listener.accept()
                outer = socket.create_connection(("127.0.0.1", port))
                outer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                def back():
                    while True:
                        data = outer.recv(65536)
                        if not data:
                            break
                        inner.sendall(data)
                    inner.shutdown(socket.SHUT_WR)
                threading.Thread(target=back, daemon=True).start()
                while True:
                    data = inner.recv(65536)
                    if not data:
                        break
                    for byte in data:
                        outer.send(bytes([byte]))
                        time.sleep(0.0003)
                outer.shutdown(socket.SHUT_WR)
            threading.Thread(target=relay, daemon=True).start()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert, key)
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", listener.getsockname()[1])))
            s.sendall(b"split into pieces\\n")
            got = b""
            while not got.endswith(b"\\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            print(got.decode().strip())
            """
        let result = try TestProcess.python(
            script, ["\(server.port)", fx.path("bundle.pem"), fx.path("client.pem"), fx.path("client.key")], timeout: 60)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "split into pieces", "\(result.stderr)")
        #expect(server.recorder.handshakes.first?.peer?.spiffeID == fx.clientID)
    }
}
