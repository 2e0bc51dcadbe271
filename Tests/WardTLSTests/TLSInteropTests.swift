import Foundation
import NIOFoundationCompat
import NIOCore
import NIOPosix
import Testing
import WardIdentity
import WardTLS
import WardTestSupport

/// Ward's TLS against real peers: curl, openssl s_client/s_server, Python's ssl, and itself.
@Suite("TLS interop", .serialized)
struct TLSInteropTests {
    let fx = TLSFixtures.shared

    @Test("curl with a client certificate gets through and the server learns its SPIFFE ID")
    func curlClient() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let result = try TestProcess.run(
            "curl",
            ["-sS", "--http1.1", "--cacert", fx.path("bundle.pem"), "--cert", fx.path("client.pem"), "--key", fx.path("client.key"),
             "https://localhost:\(server.port)/"], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == fx.clientID.description)
        let handshake = try #require(server.recorder.handshakes.first)
        #expect(handshake.peer?.spiffeID == fx.clientID)
        #expect(handshake.protocolVersion == "TLSv1.3")
        #expect(handshake.alpn == "http/1.1")
        #expect(handshake.serverName == "localhost")
        let expectedHash = try TestProcess.run(
            "sh", ["-c", "openssl x509 -in \(fx.path("client.pem")) -outform DER | sha256sum | cut -d' ' -f1"])
        #expect(handshake.peer?.leafSHA256 == expectedHash.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("openssl s_client echoes through the server")
    func opensslClient() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let result = try TestProcess.run(
            "openssl",
            ["s_client", "-connect", "127.0.0.1:\(server.port)", "-cert", fx.path("client.pem"), "-key",
             fx.path("client.key"), "-CAfile", fx.path("bundle.pem"), "-verify_return_error", "-quiet",
             "-ign_eof"],
            stdin: Data("hello ward\nbye\n".utf8), timeout: 10)
        #expect(result.status == 0, "s_client ends when the server closes, not by the timeout")
        #expect(result.stdout.contains("hello ward"), "\(result.stderr)")
    }

    @Test("Python ssl moves 16 MiB each way intact")
    func pythonLargeTransfer() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let script = """
            import hashlib, os, socket, ssl, sys, threading
            port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert, key)
            payload = os.urandom(16 * 1024 * 1024)
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
            def send():
                view = memoryview(payload)
                for i in range(0, len(view), 65536):
                    s.sendall(view[i:i + 65536])
            t = threading.Thread(target=send); t.start()
            got = bytearray()
            while len(got) < len(payload):
                chunk = s.recv(1 << 20)
                if not chunk: break
                got += chunk
            t.join()
            print(hashlib.sha256(payload).hexdigest() == hashlib.sha256(got).hexdigest(), len(got), s.version())
            """
        let result = try TestProcess.python(
            script, ["\(server.port)", fx.path("bundle.pem"), fx.path("client.pem"), fx.path("client.key")])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "True 16777216 TLSv1.3", "\(result.stderr)")
    }

    @Test("the Ward client verifies openssl s_server and requires its SPIFFE ID")
    func wardClientAgainstOpenSSLServer() async throws {
        let port = Int.random(in: 20000..<40000)
        let serverProcess = Process()
        serverProcess.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        serverProcess.arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", fx.path("server.pem"), "-key", fx.path("server.key"),
            "-CAfile", fx.path("bundle.pem"), "-Verify", "1", "-verify_return_error", "-rev", "-naccept", "1",
        ]
        serverProcess.standardOutput = FileHandle.nullDevice
        serverProcess.standardError = FileHandle.nullDevice
        try serverProcess.run()
        defer { serverProcess.terminate() }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration(requirement: .oneOf([fx.serverID]))))
        var client: TLSTestClient?
        for _ in 0..<50 where client == nil {
            client = try? await TLSTestClient.connect(port: port, provider: provider, expecting: 6)
            if client == nil { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        let connected = try #require(client)
        let handshake = try await connected.handshake.get()
        #expect(handshake.peer?.spiffeID == fx.serverID)
        try await connected.channel.writeAndFlush(ByteBuffer(string: "hello\n"))
        let reply = try await connected.received.get()
        #expect(String(buffer: reply) == "olleh\n")
        try? await connected.channel.close()
    }

    @Test("500 concurrent Ward clients each get their own bytes back")
    func manyConcurrentConnections() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration()))
        let count = 500
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<count {
                group.addTask {
                    let message = "connection \(index) " + String(repeating: "x", count: index)
                    let client = try await TLSTestClient.connect(
                        port: server.port, provider: provider, expecting: message.utf8.count)
                    _ = try await client.handshake.get()
                    try await client.channel.writeAndFlush(ByteBuffer(string: message))
                    let reply = try await client.received.get()
                    try? await client.channel.close()
                    return String(buffer: reply) == message
                }
            }
            var ok = 0
            for try await result in group where result { ok += 1 }
            #expect(ok == count)
        }
        #expect(server.recorder.handshakes.count == count)
    }

    @Test("Ward to Ward: 16 MiB each way, TLS 1.2 when both allow it, ALPN h2 chosen")
    func wardToWard() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration(allowTLS12: true))
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration(alpn: ["h2", "http/1.1"])))
        let size = 16 * 1024 * 1024
        let client = try await TLSTestClient.connect(port: server.port, provider: provider, expecting: size)
        let handshake = try await client.handshake.get()
        #expect(handshake.alpn == "h2")
        #expect(handshake.peer?.spiffeID == fx.serverID)
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom")?.readData(ofLength: size))
        let payload = ByteBuffer(data: random)
        let sent = payload
        try await client.channel.writeAndFlush(payload)
        let reply = try await client.received.get()
        #expect(reply.readableBytes == size)
        #expect(reply == sent)
        try await client.channel.close()
    }
}
