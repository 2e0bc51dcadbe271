import NIOCore

/// What every connection handler of one listener shares: settings, the decision engine, the upstream pool,
/// metrics and the access log. Immutable itself; the engine inside is swapped on reload.
final class ProxyShared: Sendable {
    let config: ProxyConfig
    let engines: EngineHolder
    let pool: UpstreamPool
    let metrics: ProxyMetrics
    let accessLog: AccessLog?
    /// The SPIFFE ID this proxy presents right now (it can change when the SVID is reloaded).
    let localID: @Sendable () -> String

    init(
        config: ProxyConfig, engines: EngineHolder, pool: UpstreamPool, metrics: ProxyMetrics, accessLog: AccessLog?,
        localID: @escaping @Sendable () -> String
    ) {
        self.config = config
        self.engines = engines
        self.pool = pool
        self.metrics = metrics
        self.accessLog = accessLog
        self.localID = localID
    }
}
