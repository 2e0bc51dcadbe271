import NIOCore
import NIOHTTP1
import NIOPosix

/// A small plain-HTTP server that answers each request from its head alone: the admin listener and the demo's
/// built-in upstream. Bodies sent to it are ignored; responses carry Content-Length and keep the connection.
enum SimpleHTTPServer {
    /// One response: status, content type and body bytes.
    typealias Response = (status: HTTPResponseStatus, contentType: String, body: [UInt8])
    /// Computes the response for a request head; called on the connection's event loop.
    typealias Responder = @Sendable (HTTPRequestHead) -> Response

    /// Binds `host:port` (0 for any free port) and answers with `respond`.
    static func bind(group: EventLoopGroup, host: String, port: Int, respond: @escaping Responder) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(SimpleHTTPHandler(respond: respond))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }
}

/// Answers one request at a time with `respond(head)`.
final class SimpleHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let respond: SimpleHTTPServer.Responder
    private var head: HTTPRequestHead?

    init(respond: @escaping SimpleHTTPServer.Responder) { self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let response = respond(head)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: response.contentType)
            headers.add(name: "content-length", value: String(response.body.count))
            let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            if head.method != .HEAD {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
                    promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

@available(*, unavailable)
extension SimpleHTTPHandler: Sendable {}
