import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WardTLS

/// Buffer sizing on the hot path: small reads stay small (handshake-rate and idle-memory work for issue #4).
@Suite("TLS buffers", .serialized)
struct TLSBufferTests {
    let fx = TLSFixtures.shared

    /// Records the capacity of the first plaintext buffer the TLS handler delivers.
    final class CapacityRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let first: EventLoopPromise<(readable: Int, capacity: Int)>

        init(first: EventLoopPromise<(readable: Int, capacity: Int)>) { self.first = first }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            first.succeed((buffer.readableBytes, buffer.capacity))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            first.fail(error)
            context.close(promise: nil)
        }
    }

    @Test("a small message is delivered in a buffer sized to its ciphertext, not a 16 KiB record buffer")
    func smallReadsStaySmall() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration()))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let first = loop.makePromise(of: (readable: Int, capacity: Int).self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(provider: provider, serverName: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(CapacityRecorder(first: first))
                }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await channel.writeAndFlush(ByteBuffer(string: "ping"))  // queued until the handshake completes
        let (readable, capacity) = try await first.futureResult.get()
        #expect(readable == 4)
        #expect(capacity < 1024, "a 4-byte echo arrived in a \(capacity)-byte buffer")
        try await channel.close()
    }

    @Test("an empty write completes its promise once the handshake is done")
    func emptyWriteCompletes() async throws {
        let server = try await TLSTestServer(configuration: fx.serverConfiguration())
        defer { Task { try? await server.stop() } }
        let provider = TLSContextProvider(try TLSContext(fx.clientConfiguration()))
        let client = try await TLSTestClient.connect(port: server.port, provider: provider)
        _ = try await client.handshake.get()
        let loop = client.channel.eventLoop
        let outcome = loop.makePromise(of: Bool.self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ completed: Bool) {
            if settled.withLockedValue({ done in defer { done = true }; return !done }) { outcome.succeed(completed) }
        }
        client.channel.writeAndFlush(ByteBuffer()).whenComplete { _ in settle(true) }
        loop.scheduleTask(in: .seconds(5)) { settle(false) }
        #expect(try await outcome.futureResult.get(), "the empty write's promise never completed")
        try await client.channel.close()
    }
}
