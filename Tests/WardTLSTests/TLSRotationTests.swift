import Foundation
import NIOCore
import Testing
import WardIdentity
import WardTLS

/// Certificate rotation: swapping the context never disturbs open connections.
@Suite("TLS rotation", .serialized)
struct TLSRotationTests {
    let fx = TLSFixtures.shared

    @Test("after a swap, new connections see the new certificate and the open one keeps working")
    func swapKeepsOpenConnections() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let clientProvider = TLSContextProvider(try TLSContext(fx.clientConfiguration()))

        let first = try await TLSTestClient.connect(port: server.port, provider: clientProvider, expecting: 10)
        let firstLeaf = try #require(try await first.handshake.get().peer?.chainDER.first)

        let rotated = try fx.ca.issueSVID(id: fx.serverID, ttl: TTL(parsing: "1h"), dnsNames: ["localhost"])
        try server.provider.reload(fx.serverConfiguration(svid: rotated))

        let second = try await TLSTestClient.connect(port: server.port, provider: clientProvider, expecting: 10)
        let secondLeaf = try #require(try await second.handshake.get().peer?.chainDER.first)
        #expect(firstLeaf == fx.server.leaf.der)
        #expect(secondLeaf == rotated.leaf.der)

        // The first connection, opened before the swap, still carries data both ways.
        try await first.channel.writeAndFlush(ByteBuffer(string: "first-conn"))
        try await second.channel.writeAndFlush(ByteBuffer(string: "secondconn"))
        #expect(String(buffer: try await first.received.get()) == "first-conn")
        #expect(String(buffer: try await second.received.get()) == "secondconn")
        #expect(server.recorder.errors.isEmpty)
        try await first.channel.close()
        try await second.channel.close()
    }

    @Test("a context that fails to build is reported and the running one stays")
    func failedReloadKeepsOld() throws {
        let provider = TLSContextProvider(try TLSContext(fx.serverConfiguration()))
        let before = provider.current
        var broken = fx.serverConfiguration()
        broken.trustBundles = [try TrustBundle(trustDomain: TrustDomain("example.org"), authorities: [])]
        #expect {
            try provider.reload(broken)
        } throws: { error in
            (error as? TLSError)?.code == .contextInvalid
        }
        #expect(provider.current === before)
    }
}
