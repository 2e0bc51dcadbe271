import Foundation
import BenchSupport
import NIOCore
import NIOPosix
import WardIdentity
import WardTLS

// Usage: ward-tls-bench gen DIR              (throwaway CA, server and client SVIDs, PEM files for the peers)
//        ward-tls-bench PORT SVID KEY BUNDLE
// Answers every request line with a small response, except `GET /big` which streams 256 MiB, honouring
// NIO writability (backpressure), like nginx serving a file. One event loop, on the main thread (the process has
// one thread, as nginx's worker does); WARD_BENCH_LOOP_THREAD=1 runs it on a thread of its own instead.

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
let provider = try benchServerContext(svidFile: arguments[2], keyFile: arguments[3], bundleFile: arguments[4])

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

    /// The small answer, built once like nginx's `return 200 "ok"`.
    static let ok = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    static let bigHead = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(bigSize)\r\nConnection: close\r\n\r\n")

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        // A request arriving in one read is answered from that buffer; only a split one is collected.
        if request.readableBytes > 0 || !Self.endsHeaders(incoming) {
            request.writeBuffer(&incoming)
            guard Self.endsHeaders(request) else { return }
            incoming = request
            request = ByteBuffer()
        }
        if incoming.readableBytesView.starts(with: "GET /big".utf8) {
            context.write(wrapOutboundOut(Self.bigHead), promise: nil)
            remaining = Self.bigSize
            pump(context: context)
        } else {
            // The TLS handler sends the response and close_notify together, then closes.
            context.write(wrapOutboundOut(Self.ok), promise: nil)
            context.close(promise: nil)
        }
    }

    /// Whether `buffer` holds the blank line ending a request head ("\r\n\r\n" or "\n\n").
    static func endsHeaders(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            for index in bytes.indices where bytes[index] == 0x0A && index >= 1 {
                if bytes[index - 1] == 0x0A { return true }
                if index >= 2, bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0A { return true }
            }
            return false
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

/// Binds the benchmark listener on `group` (an event loop is a group of one).
func bindServer(on group: EventLoopGroup) -> EventLoopFuture<Channel> {
    ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 1024)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        // One accept per readiness event, like nginx (`multi_accept off`): NIO's default of four accepts per
        // event costs an extra accept4 that fails with EAGAIN whenever a single connection is waiting.
        .serverChannelOption(.maxMessagesPerRead, value: 1)
        // TCP_NODELAY, as nginx (tcp_nodelay on) and HAProxy have it: ServerBootstrap sets it on the listening socket
        // and Linux copies it to every accepted one, so a child option would only add a setsockopt and an option
        // future per connection.
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TLSHandler(provider: provider))
                try channel.pipeline.syncOperations.addHandler(BenchHandler())
            }
        }
        .bind(host: "127.0.0.1", port: port)
}

if ProcessInfo.processInfo.environment["WARD_BENCH_LOOP_THREAD"] == "1" {
    // The event loop on a thread of its own, the main thread waiting: a multi-threaded process, so glibc's malloc
    // takes its arena locks (the way `ward proxy` runs today).
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel = try bindServer(on: group).wait()
    print("listening on \(port)")
    fflush(nil)
    try channel.closeFuture.wait()
} else {
    // The event loop on the main thread: one thread in the process, like nginx's worker and HAProxy with
    // `nbthread 1`, so glibc's malloc and free take their single-threaded paths (no arena lock, no atomics).
    MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { loop in
        bindServer(on: loop).whenComplete { result in
            switch result {
            case .success:
                print("listening on \(port)")
                fflush(nil)
            case .failure(let error):
                print("bind failed: \(error)")
                exit(1)
            }
        }
    }
}
