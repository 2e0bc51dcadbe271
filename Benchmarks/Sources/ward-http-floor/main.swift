import BenchSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import WardIdentity
import WardProxy
import WardTLS

// Usage: ward-http-floor PORT SVID KEY BUNDLE UPSTREAM_PORT
//
// The least an HTTP/1.1 proxy built on Ward's stack can do per request: mutual TLS through WardTLS, NIOHTTP1's codecs
// on both sides configured as `ward proxy` configures them, and each request relayed unchanged to one keep-alive
// upstream connection per client connection (127.0.0.1:UPSTREAM_PORT), its response relayed back unchanged. No
// policy, normalization, header rewriting, pooling, timeouts, metrics or logs. `bench/proxy/callgrind.sh` counts it
// as candidate `floor`: the cost of the brief's stack (SwiftNIO, NIOHTTP1, OpenSSL) under Ward's own per-request work.
// One event loop on a thread of its own, as `ward proxy --threads 1` runs.

let arguments = CommandLine.arguments
guard arguments.count == 6, let port = Int(arguments[1]), let upstreamPort = Int(arguments[5]) else {
    print("usage: ward-http-floor PORT SVID KEY BUNDLE UPSTREAM_PORT")
    exit(2)
}
let provider = try benchServerContext(svidFile: arguments[2], keyFile: arguments[3], bundleFile: arguments[4])

/// The client connection's end: request parts go to the upstream, response parts come back through `respond`.
final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let upstreamPort: Int
    private var context: ChannelHandlerContext?
    private var upstream: UpstreamSide?
    private var waiting: [HTTPServerRequestPart] = []

    init(upstreamPort: Int) { self.upstreamPort = upstreamPort }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let upstreamPort = self.upstreamPort
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // As Ward's upstream pool builds it: NIO's encoder and response decoder, the decoder told each
                    // request head instead of observing writes, no outbound header validation.
                    let decoder = UpstreamResponseDecoder()
                    try channel.pipeline.syncOperations.addHandlers(
                        HTTPRequestEncoder(), ByteToMessageHandler(decoder),
                        UpstreamSide(client: bound.value, decoder: decoder))
                }
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
            .whenComplete { result in
                let client = bound.value
                guard case .success(let channel) = result,
                    let upstream = try? channel.pipeline.syncOperations.handler(type: UpstreamSide.self)
                else {
                    client.context?.close(promise: nil)
                    return
                }
                client.upstream = upstream
                for part in client.waiting { client.forward(part) }
                client.waiting = []
            }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if upstream == nil { waiting.append(part) } else { forward(part) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }

    private func forward(_ part: HTTPServerRequestPart) {
        guard let upstream else { return }
        switch part {
        case .head(let head):
            upstream.send(.head(HTTPRequestHead(version: head.version, method: head.method, uri: head.uri,
                headers: head.headers)), flush: false)
        case .body(let buffer): upstream.send(.body(.byteBuffer(buffer)), flush: false)
        case .end(let trailers): upstream.send(.end(trailers), flush: true)
        }
    }

    func respond(_ part: HTTPClientResponsePart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: head.status,
                headers: head.headers))), promise: nil)
        case .body(let buffer): context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers): context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        }
    }

    func upstreamClosed() { context?.close(promise: nil) }
}

/// The upstream connection's end.
final class UpstreamSide: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private weak var client: ClientSide?
    private let decoder: UpstreamResponseDecoder
    private var context: ChannelHandlerContext?

    init(client: ClientSide, decoder: UpstreamResponseDecoder) {
        self.client = client
        self.decoder = decoder
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { client?.respond(unwrapInboundIn(data)) }

    func channelInactive(context: ChannelHandlerContext) {
        client?.upstreamClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }

    func send(_ part: HTTPClientRequestPart, flush: Bool) {
        guard let context else { return }
        if case .head(let head) = part { decoder.requestSent(head) }
        if flush {
            context.writeAndFlush(wrapOutboundOut(part), promise: nil)
        } else {
            context.write(wrapOutboundOut(part), promise: nil)
        }
    }

    func close() { context?.close(promise: nil) }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(TLSHandler(provider: provider))
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                withDecoderLimitConfiguration: NIOHTTPDecoderLimitConfiguration())
            try sync.addHandler(ClientSide(upstreamPort: upstreamPort))
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .wait()
print("listening on \(port)")
try channel.closeFuture.wait()
