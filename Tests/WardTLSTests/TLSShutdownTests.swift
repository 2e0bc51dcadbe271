import Foundation
import NIOCore
import Testing
import WardTLS
import WardTestSupport

/// How connections end: close_notify both ways, or a truncation reported as such.
@Suite("TLS shutdown", .serialized)
struct TLSShutdownTests {
    let fx = TLSFixtures.shared

    /// Python connects, exchanges a line, then either shuts TLS down cleanly or drops the TCP connection.
    private func pythonClient(port: Int, clean: Bool) throws -> ProcessResult {
        try TestProcess.python(
            """
            import socket, ssl, sys
            port, ca, cert, key, clean = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert, key)
            raw = socket.create_connection(("127.0.0.1", port))
            raw.settimeout(10)
            s = ctx.wrap_socket(raw)
            s.sendall(b"ping")
            assert s.recv(4) == b"ping"
            if clean:
                s.unwrap()  # sends close_notify and waits for the server's
                print("clean")
            else:
                raw.close()  # no close_notify
                print("dropped")
            """, ["\(port)", fx.path("bundle.pem"), fx.path("client.pem"), fx.path("client.key"), clean ? "1" : "0"])
    }

    @Test("close_notify from the client is answered with close_notify, and no error is reported")
    func cleanShutdown() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let result = try pythonClient(port: server.port, clean: true)
        #expect(result.stdout.contains("clean"), "\(result.stderr)")
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(server.recorder.errors.isEmpty, "\(server.recorder.errors)")
        #expect(server.recorder.handshakes.count == 1)
    }

    @Test("a TCP close without close_notify is reported as an unclean shutdown")
    func uncleanShutdown() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let result = try pythonClient(port: server.port, clean: false)
        #expect(result.stdout.contains("dropped"), "\(result.stderr)")
        let error = try #require(try await server.recorder.firstError())
        #expect(error.code == .uncleanShutdown, "\(error)")
    }
}

extension TLSShutdownTests {
    @Test("with half-closure allowed, the server still answers after the client's close_notify")
    func halfClose() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration(), allowHalfClosure: true)
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration()))
        let reply = "half" + EchoHandler.afterCloseNotify
        let client = try await TLSTestClient.connect(port: server.port, provider: provider, expecting: reply.utf8.count)
        _ = try await client.handshake.get()
        try await client.channel.writeAndFlush(ByteBuffer(string: "half"))
        try await client.channel.close(mode: .output)  // close_notify, then TCP half-close
        #expect(String(buffer: try await client.received.get()) == reply)
        try await client.channel.closeFuture.get()
        #expect(server.recorder.errors.isEmpty, "\(server.recorder.errors)")
    }
}
