import NIOCore
import NIOHTTP1
import NIOPosix
import WardJSON

/// A tiny plain-HTTP workload for `ward demo`: answers every request with JSON naming the service, the method
/// and path it received, and the caller identity the proxy vouched for (`x-forwarded-client-cert`).
public final class DemoUpstream: Sendable {
    private let channel: Channel

    /// The bound port.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Starts listening on `host:port` (0 for any free port).
    public init(group: EventLoopGroup, service: String, host: String = "127.0.0.1", port: Int = 0) throws {
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(DemoUpstreamHandler(service: service))
                }
            }
            .bind(host: host, port: port)
            .wait()
    }

    public func close() { try? channel.close().wait() }
}

final class DemoUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let service: String
    private var head: HTTPRequestHead?

    init(service: String) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let answer: JSONValue = [
                "service": .string(service),
                "method": .string(head.method.rawValue),
                "path": .string(head.uri),
                "xfcc": head.headers.first(name: "x-forwarded-client-cert").map(JSONValue.string) ?? .null,
            ]
            let body = context.channel.allocator.buffer(string: answer.serialized(.compact) + "\n")
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

@available(*, unavailable)
extension DemoUpstreamHandler: Sendable {}
