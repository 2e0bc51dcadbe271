import Foundation
import NIOCore
import NIOPosix
import WardIdentity
import WardTLS

// Usage: ward-tls-bench gen DIR              (throwaway CA, server and client SVIDs, PEM files for the peers)
//        ward-tls-bench PORT SVID KEY BUNDLE
// Answers every request line with a small response, except `GET /big` which streams 256 MiB, honouring
// NIO writability (backpressure), like nginx serving a file. One event loop thread, as the peers get one core.

let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "gen" {
    let dir = arguments[2]
    let ca = try CertificateAuthority.createRoot(trustDomain: TrustDomain("bench.test"), ttl: TTL(parsing: "24h"))
    try TestFiles.write(ca.bundle().pem, dir + "/bundle.pem")
    for (name, dns) in [("server", ["localhost"]), ("client", [])] {
        let svid = try ca.issueSVID(
            id: SpiffeID("spiffe://bench.test/" + name), ttl: TTL(parsing: "12h"), dnsNames: dns)
        try TestFiles.write(svid.chainPEM, dir + "/\(name).pem")
        try svid.privateKey!.write(toFile: dir + "/\(name).key")
    }
    exit(0)
}
guard arguments.count == 5, let port = Int(arguments[1]) else {
    print("usage: ward-tls-bench PORT SVID KEY BUNDLE")
    exit(2)
}
let svid = try X509SVID.load(certificateFile: arguments[2], keyFile: arguments[3])
let bundle = try TrustBundle.load(contentsOfFile: arguments[4])
let provider = TLSContextProvider(
    try TLSContext(TLSConfiguration(role: .server, svid: svid, trustBundles: [bundle], alpn: ["http/1.1"])))

enum TestFiles {
    static func write(_ text: String, _ path: String) throws {
        guard let file = fopen(path, "w") else { throw TLSError(.io, "cannot write \(path)") }
        fputs(text, file)
        fclose(file)
    }
}

final class BenchHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    static let bigSize = 256 * 1024 * 1024
    static let chunk = ByteBuffer(repeating: 0x61, count: 256 * 1024)
    private var remaining = 0
    private var request = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        request.writeBuffer(&incoming)
        guard request.readableBytesView.firstRange(of: "\r\n\r\n".utf8) != nil
            || request.readableBytesView.firstRange(of: "\n\n".utf8) != nil
        else { return }
        let big = request.readableBytesView.starts(with: "GET /big".utf8)
        request.clear()
        let length = big ? Self.bigSize : 2
        let head = "HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n"
        context.write(wrapOutboundOut(ByteBuffer(string: head + (big ? "" : "ok"))), promise: nil)
        if big {
            remaining = Self.bigSize
            pump(context: context)
        } else {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func pump(context: ChannelHandlerContext) {
        while remaining > 0 && context.channel.isWritable {
            remaining -= Self.chunk.readableBytes
            context.write(wrapOutboundOut(Self.chunk), promise: nil)
            if remaining % (4 * 1024 * 1024) == 0 { context.flush() }
        }
        context.flush()
        if remaining == 0 { context.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if remaining > 0 && context.channel.isWritable { pump(context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // as nginx (tcp_nodelay on) and HAProxy do
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(TLSHandler(provider: provider))
            try channel.pipeline.syncOperations.addHandler(BenchHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
print("listening on \(port)")
try channel.closeFuture.wait()
