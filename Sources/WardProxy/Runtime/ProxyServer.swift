import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WardTLS

/// A running `ward proxy`: the mTLS listener, the admin listener, reload and drain.
///
/// `start()` loads identity and policies (failing with a `ProxyError` that names the culprit), binds, and
/// returns once listening; `run()` then blocks, handling SIGHUP (reload) and SIGTERM/SIGINT (drain), until the
/// proxy has stopped.
public final class ProxyServer: Sendable {
    public let config: ProxyConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let metrics = ProxyMetrics()
    let tracker = ConnectionTracker()
    let state: NIOLockedValueBox<Runtime>
    let stopped: EventLoopPromise<Void>
    /// Reloads run one at a time (SIGHUP and the file poll may coincide).
    let reloadLock = NIOLock()

    /// What changes while running.
    struct Runtime: Sendable {
        var loaded: LoadedState?
        var tlsProvider: TLSContextProvider?
        var engines: EngineHolder?
        var shared: ProxyShared?
        var listener: Channel?
        var admin: Channel?
        var ready = false
        var draining = false
        var fingerprint: [String] = []
        var failedFingerprint: [String]?
        var lastReloadError: String?
        var pollTask: RepeatedTask?
    }

    public init(config: ProxyConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: config.threads ?? System.coreCount)
        self.state = NIOLockedValueBox(Runtime())
        self.stopped = group.next().makePromise(of: Void.self)
    }

    /// The listener's bound address (useful with port 0).
    public var listenAddress: SocketAddress? { state.withLockedValue { $0.listener?.localAddress } }
    public var adminAddress: SocketAddress? { state.withLockedValue { $0.admin?.localAddress } }

    /// Loads everything, binds the listeners, and starts watching files. Throws before binding if anything is
    /// missing or invalid.
    public func start() throws(ProxyError) {
        do {
            try startListening()
        } catch {
            // Nothing will run: release the event loops and the stop promise before reporting.
            stopped.succeed()
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private func startListening() throws(ProxyError) {
        let loaded = try LoadedState.load(config)
        let accessLog = try AccessLog.open(config.accessLog, dropped: metrics.accessLogDropped)
        let provider = TLSContextProvider(loaded.tlsContext)
        let engines = EngineHolder(loaded.engine)
        guard let upstream = config.upstream else { throw ProxyError("config.missing", "upstream: required") }
        let pool = UpstreamPool(
            group: group, address: upstream, connectTimeout: config.upstreamConnectTimeout,
            maxIdle: config.upstreamPoolSize)
        let shared = ProxyShared(
            config: config, engines: engines, pool: pool, metrics: metrics, accessLog: accessLog,
            localID: { provider.current.localID.description })
        recordLoaded(loaded)
        state.withLockedValue {
            $0.loaded = loaded
            $0.tlsProvider = provider
            $0.engines = engines
            $0.shared = shared
            $0.fingerprint = FileFingerprint.of(config)
        }
        if let admin = config.admin {
            let channel = try bind("admin", admin) { try AdminServer.bind(server: self, host: admin.host, port: admin.port) }
            state.withLockedValue { $0.admin = channel }
        }
        let listener = try bind("listen", config.listen) {
            try bindListener(shared: shared, provider: provider)
        }
        state.withLockedValue {
            $0.listener = listener
            $0.ready = true
        }
        startPolling()
        logger.info(
            "listening",
            metadata: [
                "listen": "\(listener.localAddress.map { "\($0)" } ?? "?")", "protocol": "\(config.listenerProtocol.rawValue)",
                "upstream": "\(upstream)", "identity": "\(loaded.localID)", "policy_hash": "\(loaded.engine.contentHash)",
                "rules": "\(loaded.engine.ruleCount)",
            ])
    }

    private func bind(_ key: String, _ address: HostPort, _ body: () throws -> Channel) throws(ProxyError) -> Channel {
        do {
            return try body()
        } catch {
            throw ProxyError("listen.bind", "\(key): cannot listen on \(address): \(error)")
        }
    }

    func recordLoaded(_ loaded: LoadedState) {
        metrics.svidExpiry.set(loaded.svidNotAfter.timeIntervalSince1970)
        metrics.policyLoaded(
            hash: loaded.engine.contentHash, rules: loaded.engine.ruleCount, at: loaded.loadedAt.timeIntervalSince1970)
    }

    /// Blocks until the proxy stops; handles SIGHUP, SIGTERM and SIGINT.
    public func run() {
        let signals = SignalHandlers(server: self)
        signals.install()
        try? stopped.futureResult.wait()
        signals.cancel()
    }

    /// Blocks until a drain (`drain()`, SIGTERM) has finished; for embedding without `run()`'s signal handling.
    public func waitUntilStopped() {
        try? stopped.futureResult.wait()
    }

    /// Whether the proxy is listening with identity and policies loaded, and not draining.
    var isReady: Bool { state.withLockedValue { $0.ready && !$0.draining } }
}
