import ArgumentParser
import Foundation
import Logging
import NIOCore
import WardProxy

/// `ward proxy`: the enforcing mTLS proxy.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the enforcing mTLS proxy.",
        discussion: """
            Terminates mTLS from callers with SPIFFE SVIDs, decides every HTTP request (or, with --protocol tcp, \
            every connection) with the policies whose target is this proxy's own SPIFFE ID, and forwards what is \
            allowed to the local workload. Settings come from --config (JSON) and/or flags; flags win.

            SIGHUP or a change to the SVID, key, bundle or policy files reloads them; SIGTERM drains and exits 0.
            """)

    @Option(help: "JSON config file (keys: \(ProxyConfigKeys.list)).") var config: String?
    @Option(help: "mTLS listen address HOST:PORT (default 0.0.0.0:8443).") var listen: String?
    @Option(help: "The local workload HOST:PORT (plain HTTP or TCP).") var upstream: String?
    @Option(name: .customLong("protocol"), help: "http (default) or tcp.") var listenerProtocol: String?
    @Option(help: "Destination port policies match in `ports` (default: the upstream's port).") var servicePort: Int?
    @Option(help: "This proxy's SVID chain (PEM).") var svid: String?
    @Option(help: "The SVID's private key (PEM).") var key: String?
    @Option(help: "Trust bundle (PEM or SPIFFE JSON).") var bundle: String?
    @Option(help: "Policy directory.") var policies: String?
    @Option(help: "Compiled policy table file (instead of --policies).") var table: String?
    @Option(help: "Admin listen address HOST:PORT, or 'off' (default 127.0.0.1:9901).") var admin: String?
    @Option(help: "Access log: '-' for stdout (default), a file path, or 'off'.") var accessLog: String?
    @Option(help: "Event loop threads (default: one per core).") var threads: Int?
    @Option(help: "Seconds a client may take to send request headers before 408 (default 10).") var headerTimeout: Double?
    @Option(help: "Seconds an idle keep-alive client connection stays open (default 60).") var idleTimeout: Double?
    @Option(help: "Seconds to connect to the upstream before 503 (default 2).") var upstreamConnectTimeout: Double?
    @Option(help: "Seconds the upstream may take to start responding before 504 (default 30).") var upstreamTimeout: Double?
    @Option(help: "Seconds in-flight requests get after SIGTERM (default 15).") var drainTimeout: Double?
    @Option(help: "Largest request line plus headers in bytes before 431 (default 16384).") var maxHeaderBytes: Int?
    @Option(help: "Seconds between checks of the watched files; 0 disables (default 2).") var reloadInterval: Double?
    @Flag(help: "Name the deciding policy and rule in 403 bodies (debugging only).") var debugDecisions = false
    @Flag(help: "Allow TLS 1.2 (ECDHE + AEAD only) besides TLS 1.3.") var allowTls12 = false
    @Option(help: "Log level for operational messages on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() throws {
        try CLI.run {
            let settings = try proxyConfig()
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let server = ProxyServer(config: settings, logger: Logger(label: "ward.proxy"))
            try server.start()
            server.run()
            server.shutdownEventLoops()
        }
    }

    /// The config file (if any) with flags applied on top, validated.
    func proxyConfig() throws -> ProxyConfig {
        var settings = try config.map { try ProxyConfig.load(file: $0) } ?? ProxyConfig()
        let cwd = FileManager.default.currentDirectoryPath
        func path(_ value: String) -> String { value.hasPrefix("/") ? value : cwd + "/" + value }
        func seconds(_ value: Double, _ flag: String) throws -> TimeAmount {
            guard value >= 0 else { throw CLIError("--\(flag): must not be negative", code: "usage.flag") }
            return .nanoseconds(Int64(value * 1e9))
        }
        if let listen { settings.listen = try HostPort(parsing: listen, what: "--listen") }
        if let upstream { settings.upstream = try HostPort(parsing: upstream, what: "--upstream") }
        if let listenerProtocol {
            guard let parsed = ProxyConfig.ListenerProtocol(rawValue: listenerProtocol) else {
                throw CLIError("--protocol: must be http or tcp", code: "usage.flag")
            }
            settings.listenerProtocol = parsed
        }
        if let servicePort { settings.servicePort = servicePort }
        if let svid { settings.svidFile = path(svid) }
        if let key { settings.keyFile = path(key) }
        if let bundle { settings.bundleFile = path(bundle) }
        if let policies {
            settings.policyDirectory = path(policies)
            if table == nil { settings.tableFile = nil }
        }
        if let table {
            settings.tableFile = path(table)
            if policies == nil { settings.policyDirectory = nil }
        }
        if let admin { settings.admin = admin == "off" ? nil : try HostPort(parsing: admin, what: "--admin") }
        if let accessLog {
            settings.accessLog = accessLog == "-" || accessLog == "off" ? .init(flag: accessLog) : .file(path(accessLog))
        }
        if let threads { settings.threads = threads }
        if let headerTimeout { settings.headerTimeout = try seconds(headerTimeout, "header-timeout") }
        if let idleTimeout { settings.idleTimeout = try seconds(idleTimeout, "idle-timeout") }
        if let upstreamConnectTimeout {
            settings.upstreamConnectTimeout = try seconds(upstreamConnectTimeout, "upstream-connect-timeout")
        }
        if let upstreamTimeout { settings.upstreamTimeout = try seconds(upstreamTimeout, "upstream-timeout") }
        if let drainTimeout { settings.drainTimeout = try seconds(drainTimeout, "drain-timeout") }
        if let maxHeaderBytes { settings.maxHeaderBytes = maxHeaderBytes }
        if let reloadInterval { settings.reloadInterval = try seconds(reloadInterval, "reload-interval") }
        if debugDecisions { settings.debugDecisions = true }
        if allowTls12 { settings.allowTLS12 = true }
        return try settings.validated()
    }
}

enum ProxyConfigKeys {
    static let list = ProxyConfig.knownKeys.joined(separator: ", ")
}
