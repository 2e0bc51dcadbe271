import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import WardIdentity
import WardTLS

/// A minimal mTLS HTTP/1.1 client on WardTLS, for `ward demo`: one request per connection, so each request
/// shows one caller identity end to end. Not a general-purpose client.
public enum MTLSClient {
    public struct Response: Sendable {
        public var status: Int
        public var body: String
    }

    /// What went wrong before an HTTP response arrived (e.g. the TLS handshake was refused).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Sends one request as `svid` to `host:port`, requiring the server to be `server`.
    public static func send(
        group: EventLoopGroup, host: String, port: Int, svid: X509SVID, bundles: [TrustBundle], server: SpiffeID,
        method: HTTPMethod, path: String, headers: [(String, String)] = []
    ) throws -> Response {
        let context = try TLSContext(
            TLSConfiguration(role: .client, svid: svid, trustBundles: bundles, peerRequirement: .oneOf([server])))
        let provider = TLSContextProvider(context)
        let promise = group.next().makePromise(of: Response.self)
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(TLSHandler(provider: provider, serverName: "localhost"))
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: host, port: port)
                .wait()
        } catch {
            promise.fail(error)  // never leave a promise unfulfilled
            throw error
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: "localhost")
        head.headers.add(name: "connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { channel.close(promise: nil) }
        return try promise.futureResult.wait()
    }
}

/// Collects one response; fails the promise with the first error (a TLS refusal) or an early close.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<MTLSClient.Response>
    private var status = 0
    private var body = ""
    private var done = false

    init(promise: EventLoopPromise<MTLSClient.Response>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let buffer): body += String(buffer: buffer)
        case .end:
            finish(.success(MTLSClient.Response(status: status, body: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(MTLSClient.Failure(message: "\(error)")))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(MTLSClient.Failure(message: "the connection closed before a response")))
    }

    private func finish(_ result: Result<MTLSClient.Response, Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}

@available(*, unavailable)
extension ResponseCollector: Sendable {}
