import NIOCore

/// Everything `ward proxy` runs with, from a JSON file, flags, or both (flags win).
///
/// Kept as plain values so the runtime can compare an old and a new configuration on reload, and so `/config` can
/// show exactly what is in force. File paths are absolute once loaded (relative ones resolve against the config
/// file's directory), so a reload reads the same files whatever the working directory.
public struct ProxyConfig: Sendable, Equatable {
    /// What the listener authorizes: HTTP/1.1 requests, or whole TCP connections by peer identity only.
    public enum ListenerProtocol: String, Sendable, Equatable {
        case http
        case tcp
    }

    /// Where the decision/access log goes.
    public enum AccessLogTarget: Sendable, Equatable {
        case stdout
        case file(String)
        case off

        /// `-`/`stdout`, `off`, or a file path.
        public init(flag text: String) { self.init(text) }

        init(_ text: String) {
            switch text {
            case "-", "stdout": self = .stdout
            case "off", "": self = .off
            default: self = .file(text)
            }
        }

        var description: String {
            switch self {
            case .stdout: "-"
            case .off: "off"
            case .file(let path): path
            }
        }
    }

    /// The mTLS listener.
    public var listen = HostPort(host: "0.0.0.0", port: 8443)
    /// The local workload (plain HTTP or TCP).
    public var upstream: HostPort?
    public var listenerProtocol = ListenerProtocol.http
    /// The destination port policies see (`ports` in rules): the workload's service port. Defaults to the
    /// upstream's port, as in a transparent sidecar where callers dial the service port.
    public var servicePort: Int?
    /// This proxy's X.509-SVID chain (PEM), its key, and the trust bundle (PEM or SPIFFE JSON).
    public var svidFile: String?
    public var keyFile: String?
    public var bundleFile: String?
    /// A policy directory, or a compiled table file; exactly one.
    public var policyDirectory: String?
    public var tableFile: String?
    /// The admin listener (plain HTTP); loopback by default because `/config` and `/metrics` are not public.
    public var admin: HostPort? = HostPort(host: "127.0.0.1", port: 9901)
    public var accessLog = AccessLogTarget.stdout
    /// Event loop threads; nil means one per core.
    public var threads: Int?

    public var handshakeTimeout = TimeAmount.seconds(10)
    /// A client that started a request but has not finished its headers after this gets `408`.
    public var headerTimeout = TimeAmount.seconds(10)
    /// A keep-alive client connection with no request for this long is closed.
    public var idleTimeout = TimeAmount.seconds(60)
    public var upstreamConnectTimeout = TimeAmount.seconds(2)
    /// The upstream must start its response within this, or the caller gets `504`.
    public var upstreamTimeout = TimeAmount.seconds(30)
    /// On SIGTERM, in-flight requests get this long to finish.
    public var drainTimeout = TimeAmount.seconds(15)
    /// Request line plus headers larger than this get `431`.
    public var maxHeaderBytes = 16 * 1024
    /// Idle keep-alive upstream connections kept per event loop.
    public var upstreamPoolSize = 64
    /// How often the SVID, key, bundle and policy files are checked for changes; zero disables polling.
    public var reloadInterval = TimeAmount.seconds(2)
    public var allowTLS12 = false
    /// Name the deciding policy and rule in 403 bodies (for debugging only: it tells callers about the policy).
    public var debugDecisions = false

    public init() {}

    /// Checks that the required pieces are present and consistent. Every message names the key.
    public func validated() throws(ProxyError) -> ProxyConfig {
        guard upstream != nil else { throw ProxyError("config.missing", "upstream: required (the local workload, HOST:PORT)") }
        guard svidFile != nil else { throw ProxyError("config.missing", "svid: required (this proxy's SVID chain, PEM)") }
        guard keyFile != nil else { throw ProxyError("config.missing", "key: required (the SVID's private key, PEM)") }
        guard bundleFile != nil else { throw ProxyError("config.missing", "bundle: required (the trust bundle, PEM or SPIFFE JSON)") }
        switch (policyDirectory, tableFile) {
        case (nil, nil): throw ProxyError("config.missing", "policies or table: one is required (policies decide every request)")
        case (.some, .some): throw ProxyError("config.conflict", "policies and table: give one, not both")
        default: break
        }
        if let servicePort, !(1...65535).contains(servicePort) {
            throw ProxyError("config.bad_value", "servicePort: must be 1-65535")
        }
        if let threads, threads < 1 { throw ProxyError("config.bad_value", "threads: must be at least 1") }
        guard maxHeaderBytes >= 1024 else { throw ProxyError("config.bad_value", "maxHeaderBytes: must be at least 1024") }
        guard upstreamPoolSize >= 0 else { throw ProxyError("config.bad_value", "upstreamPoolSize: must not be negative") }
        return self
    }

    /// The port decisions use as the request's destination port.
    var destinationPort: Int { servicePort ?? upstream?.port ?? listen.port }

    /// The files whose change triggers a reload.
    var watchedFiles: [String] { [svidFile, keyFile, bundleFile, tableFile].compactMap { $0 } }
}
