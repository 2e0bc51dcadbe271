import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WardTLS

/// What the server side of a test saw: completed handshakes and TLS errors, per connection, in order.
final class TLSRecorder: Sendable {
    private let state = NIOLockedValueBox<(handshakes: [TLSHandshakeCompleted], errors: [TLSError])>(([], []))

    func record(_ handshake: TLSHandshakeCompleted) { state.withLockedValue { $0.handshakes.append(handshake) } }
    func record(_ error: TLSError) { state.withLockedValue { $0.errors.append(error) } }

    var handshakes: [TLSHandshakeCompleted] { state.withLockedValue { $0.handshakes } }
    var errors: [TLSError] { state.withLockedValue { $0.errors } }

    /// Waits (up to `timeout` seconds) for the first TLS error.
    func firstError(timeout: Double = 10) async throws -> TLSError? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let error = errors.first { return error }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return nil
    }
}

/// Echoes plaintext back; answers a request starting with "GET " with an HTTP response naming the peer.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let recorder: TLSRecorder
    private var peer = "none"

    init(recorder: TLSRecorder) { self.recorder = recorder }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted {
            recorder.record(event)
            peer = event.peer?.spiffeID.description ?? "none"
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Written but not flushed: closing must still send it before close_notify.
            context.write(wrapOutboundOut(ByteBuffer(string: Self.afterCloseNotify)), promise: nil)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if buffer.readableBytesView.starts(with: "GET ".utf8) {
            let body = peer
            let response = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
            context.close(promise: nil)
            return
        }
        let bye = buffer.readableBytesView.elementsEqual("bye\n".utf8)
            || buffer.readableBytesView.suffix(5).elementsEqual("\nbye\n".utf8)
        context.write(wrapOutboundOut(buffer), promise: nil)
        if bye {
            context.flush()
            context.close(promise: nil)  // sends close_notify first
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    /// What the server sends once the client half-closed its side with close_notify.
    static let afterCloseNotify = "|after-close-notify"

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? TLSError { recorder.record(error) }
        context.close(promise: nil)
    }
}

/// A Ward TLS echo server on 127.0.0.1 with a random port.
final class TLSTestServer: Sendable {
    let provider: TLSContextProvider
    let recorder = TLSRecorder()
    let channel: Channel
    var port: Int { channel.localAddress!.port! }

    init(
        configuration: TLSConfiguration, allowHalfClosure: Bool = false,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws {
        let provider = TLSContextProvider(try TLSContext(configuration))
        let recorder = self.recorder
        self.provider = provider
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: allowHalfClosure)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(provider: provider))
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async throws { try await channel.close() }
}
