import NIOCore
import NIOHTTP1
import NIOPosix
import WardTLS

extension ProxyServer {
    /// Binds the mTLS listener. Every connection: TLS (peer verified) → peer identity event → either the HTTP
    /// stack (head timer, NIO's HTTP/1.1 codec with the configured header limit, the authorizing proxy handler,
    /// which also handles pipelining and drain) or the TCP forwarder.
    func bindListener(shared: ProxyShared, provider: TLSContextProvider) throws -> Channel {
        let tracker = self.tracker
        let config = self.config
        return try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // No TCP_NODELAY child option: NIO sets it on the listening socket and Linux copies it to accepted
            // ones; setting it again cost a setsockopt and a getsockname per connection.
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                tracker.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(TLSHandler(provider: provider))
                    try sync.addHandler(PeerIdentityHandler(metrics: shared.metrics))
                    switch config.listenerProtocol {
                    case .http:
                        let timer = RequestHeadTimer(headerTimeout: config.headerTimeout, idleTimeout: config.idleTimeout)
                        try sync.addHandler(timer)
                        var limits = NIOHTTPDecoderLimitConfiguration()
                        limits.maxHeaderListSize = config.maxHeaderBytes
                        limits.maxHeaderFieldSize = config.maxHeaderBytes
                        // No outbound header validation: response heads are either Ward's own constants or the
                        // upstream's, which NIO's llhttp decoder already held to the same token and field-value
                        // rules; the check cost a handler and a scan of every header per response.
                        try sync.configureHTTPServerPipeline(
                            withPipeliningAssistance: false, withErrorHandling: false,
                            withOutboundHeaderValidation: false,
                            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                            withDecoderLimitConfiguration: limits)
                        try sync.addHandler(InboundHTTPHandler(shared: shared, headTimer: timer))
                    case .tcp:
                        try sync.addHandler(TCPProxyHandler(shared: shared))
                    }
                }
            }
            .bind(host: config.listen.host, port: config.listen.port)
            .wait()
    }
}
