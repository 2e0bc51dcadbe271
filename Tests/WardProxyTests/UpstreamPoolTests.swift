import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import WardProxy

/// Connections going back to an event loop's idle pool.
@Suite("Upstream pool")
struct UpstreamPoolTests {
    /// Counts the reads that get past `UpstreamConnection` towards the socket.
    private final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = HTTPClientRequestPart
        var reads = 0

        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    private func connected() throws -> (EmbeddedChannel, UpstreamConnection, ReadCounter) {
        let counter = ReadCounter()
        let connection = UpstreamConnection(responseDecoder: UpstreamResponseDecoder())
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(counter, connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return (channel, connection, counter)
    }

    /// A slow caller paused the upstream's reads and the response ended in the same read burst: the connection
    /// must not sit in the pool unable to read (it would miss the upstream's close and the next response).
    @Test func releasedConnectionReadsAgain() throws {
        let (channel, connection, counter) = try connected()
        connection.pauseReads()
        channel.read()
        #expect(counter.reads == 0)  // held while paused

        let pool = UpstreamPool.LoopPool(maxIdle: 4)
        pool.release(connection)
        #expect(counter.reads == 1)
        #expect(pool.take() === connection)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func unusableConnectionIsClosedNotPooled() throws {
        let (channel, connection, _) = try connected()
        let pool = UpstreamPool.LoopPool(maxIdle: 4)
        connection.close()
        pool.release(connection)
        #expect(pool.take() == nil)
        #expect(!channel.isActive)
    }
}
