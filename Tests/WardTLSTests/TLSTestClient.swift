import NIOCore
import NIOPosix
import WardTLS

/// A Ward TLS client connection for tests: completes `handshake` with the event, collects what it reads.
final class CollectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let handshake: EventLoopPromise<TLSHandshakeCompleted>
    private let received: EventLoopPromise<ByteBuffer>
    private var buffer = ByteBuffer()
    private let expected: Int

    init(handshake: EventLoopPromise<TLSHandshakeCompleted>, received: EventLoopPromise<ByteBuffer>, expected: Int) {
        self.handshake = handshake
        self.received = received
        self.expected = expected
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { handshake.succeed(event) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        if buffer.readableBytes >= expected { received.succeed(buffer) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handshake.fail(error)
        received.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(TLSError(.io, "closed"))
        received.fail(TLSError(.io, "closed before \(expected) bytes arrived"))
    }
}

struct TLSTestClient {
    let channel: Channel
    let handshake: EventLoopFuture<TLSHandshakeCompleted>
    let received: EventLoopFuture<ByteBuffer>

    /// Connects with `provider`; `expecting` is how many bytes `received` waits for.
    static func connect(
        port: Int, provider: TLSContextProvider, serverName: String? = "localhost", expecting: Int = 0,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TLSTestClient {
        let loop = group.next()
        let handshake = loop.makePromise(of: TLSHandshakeCompleted.self)
        let received = loop.makePromise(of: ByteBuffer.self)
        let bootstrap = ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(provider: provider, serverName: serverName))
                    try channel.pipeline.syncOperations.addHandler(
                        CollectingHandler(handshake: handshake, received: received, expected: expecting))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        } catch {
            handshake.fail(error)
            received.fail(error)
            throw error
        }
        return TLSTestClient(channel: channel, handshake: handshake.futureResult, received: received.futureResult)
    }
}
