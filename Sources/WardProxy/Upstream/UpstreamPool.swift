import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to the upstream, one pool per event loop.
///
/// A client connection always uses an upstream connection on its own event loop (as in NIO's connect-proxy
/// example), so forwarding never hops threads and each pool is touched by one thread only: no locks.
public final class UpstreamPool: Sendable {
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>]
    let address: HostPort
    let connectTimeout: TimeAmount

    /// Creates one pool per loop of `group`.
    public init(group: MultiThreadedEventLoopGroup, address: HostPort, connectTimeout: TimeAmount, maxIdle: Int) {
        var pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(LoopPool(maxIdle: maxIdle), eventLoop: loop)
        }
        self.pools = pools
        self.address = address
        self.connectTimeout = connectTimeout
    }

    /// The pool of `loop`, for a caller on `loop` to keep: a connection's handler looks it up once instead of
    /// hashing the loop for every request. Must be called on `loop`.
    func pool(for loop: EventLoop) -> LoopPool? {
        pools[ObjectIdentifier(loop)]?.value
    }

    /// A new connection (when the loop's pool has no idle one, or to retry after a stale pooled one failed).
    func connect(on loop: EventLoop, _ completion: @escaping (Result<UpstreamConnection, Error>) -> Void) {
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // NIO's client codec as `addHTTPClientHandlers(enableOutboundHeaderValidation: false)` sets it
                    // up, except that the response decoder learns request methods from UpstreamConnection instead
                    // of observing every write (see UpstreamResponseDecoder).
                    // No outbound validation handler (a hop and a scan of every header per request): what Ward
                    // sends is already held to its rules. The target passed NormalizedPath (the byte set the
                    // validator allows), the method and caller headers passed llhttp's token and field-value
                    // checks, and the headers Ward adds are built from SPIFFE IDs, hex digests and constants.
                    let decoder = UpstreamResponseDecoder()
                    try channel.pipeline.syncOperations.addHandlers(
                        HTTPRequestEncoder(), ByteToMessageHandler(decoder),
                        UpstreamConnection(responseDecoder: decoder))
                }
            }
            .connect(host: address.host, port: address.port)
            .assumeIsolated()
            .whenComplete { result in
                completion(
                    result.flatMap { channel in
                        Result { try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self) }
                    })
            }
    }

    /// Closes every idle connection (shutdown).
    func closeIdle(on loop: EventLoop) {
        pools[ObjectIdentifier(loop)]?.value.closeAll()
    }

    final class LoopPool {
        private var idle: [UpstreamConnection] = []
        private let maxIdle: Int

        init(maxIdle: Int) { self.maxIdle = maxIdle }

        func take() -> UpstreamConnection? {
            while let connection = idle.popLast() {
                connection.idleIn = nil
                if connection.isUsable { return connection }
            }
            return nil
        }

        /// Takes back a connection whose exchange ended cleanly (closes it when it is no longer usable).
        ///
        /// Its reads resume: a slow caller may have paused them, and the response's end can arrive in the same read
        /// burst, after which no caller is left to resume them. A paused idle connection would neither notice the
        /// upstream closing it nor read the next response given to it.
        func release(_ connection: UpstreamConnection) {
            connection.delegate = nil
            guard connection.isUsable else {
                connection.close()
                return
            }
            connection.resumeReads()
            put(connection)
        }

        func put(_ connection: UpstreamConnection) {
            guard idle.count < maxIdle else {
                connection.close()
                return
            }
            connection.idleIn = self
            idle.append(connection)
        }

        /// A pooled connection closed: forget it.
        func remove(_ connection: UpstreamConnection) {
            idle.removeAll { $0 === connection }
        }

        func closeAll() {
            let all = idle
            idle.removeAll()
            all.forEach { $0.close() }
        }
    }
}
