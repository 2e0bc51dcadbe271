import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import WardIdentity
import WardJSON
import WardProxy

/// One demo: identities on disk, the built-in upstream and the proxy running in this process.
struct DemoRun {
    static let trustDomain = "example.org"
    static let service = "ns/shop/sa/orders"
    static let callers = [
        "ns/shop/sa/frontend", "ns/shop/sa/admin", "ns/shop/sa/payments", "ns/monitoring/sa/prober",
    ]

    /// The requests the demo sends: who, what, and why it is interesting.
    static let script: [DemoRequest] = [
        DemoRequest(caller: "ns/shop/sa/frontend", method: .GET, path: "/orders/42", note: "frontend reads an order"),
        DemoRequest(caller: "ns/shop/sa/frontend", method: .POST, path: "/orders", note: "frontend creates an order"),
        DemoRequest(caller: "ns/shop/sa/frontend", method: .DELETE, path: "/orders/42", note: "no rule allows it"),
        DemoRequest(caller: "ns/shop/sa/admin", method: .DELETE, path: "/orders/42", note: "the admin tool may"),
        DemoRequest(caller: "ns/shop/sa/admin", method: .GET, path: "/orders/export", note: "export needs approval"),
        DemoRequest(
            caller: "ns/shop/sa/admin", method: .GET, path: "/orders/export", headers: [("x-export-approved", "yes")],
            note: "approved export"),
        DemoRequest(
            caller: "ns/shop/sa/frontend", method: .GET, path: "/orders/42/../export", note: "normalized, then denied"),
        DemoRequest(caller: "ns/shop/sa/frontend", method: .GET, path: "/orders%2Fexport", note: "encoded slash"),
        DemoRequest(caller: "ns/shop/sa/payments", method: .GET, path: "/orders/42", note: "not a client of orders"),
        DemoRequest(caller: "ns/monitoring/sa/prober", method: .GET, path: "/healthz", note: "mesh-wide health rule"),
        DemoRequest(
            caller: "ns/shop/sa/frontend", method: .GET, path: "/orders/42", foreignTrustDomain: true,
            note: "same name, other trust domain"),
    ]

    let directory: String
    let group: MultiThreadedEventLoopGroup
    let upstream: DemoUpstream
    let server: ProxyServer
    let serviceID: SpiffeID
    let bundle: TrustBundle
    var svids: [String: X509SVID] = [:]
    let foreign: (svid: X509SVID, bundle: TrustBundle)
    let accessLogPath: String
    var port: Int { server.listenAddress?.port ?? 0 }

    init(policies: String, directory: String?, port: Int) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: policies, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError(
                "--policies: \(policies) is not a directory; run from the repository root or pass --policies DIR",
                code: "usage.flag")
        }
        let dir = directory ?? NSTemporaryDirectory() + "ward-demo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.directory = URL(fileURLWithPath: dir).standardized.path

        // A throwaway CA and SVIDs; the service's SVID also names localhost so curl can verify it.
        let domain = try TrustDomain(Self.trustDomain)
        let ca = try CertificateAuthority.createRoot(trustDomain: domain, ttl: try TTL(seconds: 86_400))
        bundle = try ca.bundle()
        try bundle.pem.write(toFile: self.directory + "/bundle.pem", atomically: true, encoding: .utf8)
        serviceID = try SpiffeID(trustDomain: domain, path: "/" + Self.service)
        let ttl = try TTL(seconds: 3600)
        for id in [Self.service] + Self.callers {
            let svid = try ca.issueSVID(
                id: try SpiffeID(trustDomain: domain, path: "/" + id), ttl: ttl,
                dnsNames: id == Self.service ? ["localhost"] : [])
            svids[id] = svid
            let base = self.directory + "/" + Self.fileName(id)
            try svid.chainPEM.write(toFile: base + ".pem", atomically: true, encoding: .utf8)
            try svid.privateKey?.write(toFile: base + ".key")
        }
        let otherDomain = try TrustDomain("evil.example")
        let otherCA = try CertificateAuthority.createRoot(trustDomain: otherDomain, ttl: try TTL(seconds: 86_400))
        foreign = (
            try otherCA.issueSVID(
                id: try SpiffeID(trustDomain: otherDomain, path: "/ns/shop/sa/frontend"), ttl: ttl),
            try otherCA.bundle()
        )

        // The workload and its proxy.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        upstream = try DemoUpstream(group: group, service: "orders")
        accessLogPath = self.directory + "/access.log"
        var config = ProxyConfig()
        config.listen = HostPort(host: "127.0.0.1", port: port)
        config.upstream = HostPort(host: "127.0.0.1", port: upstream.port)
        config.servicePort = 8080  // the shop policies speak of the orders service's port
        config.svidFile = self.directory + "/" + Self.fileName(Self.service) + ".pem"
        config.keyFile = self.directory + "/" + Self.fileName(Self.service) + ".key"
        config.bundleFile = self.directory + "/bundle.pem"
        config.policyDirectory = URL(fileURLWithPath: policies).standardized.path
        config.admin = HostPort(host: "127.0.0.1", port: 0)
        config.accessLog = .file(accessLogPath)
        config.threads = 2
        server = ProxyServer(
            config: try config.validated(), logger: Logger(label: "ward.demo", factory: { _ in SwiftLogNoOpLogHandler() }))
        try server.start()
    }

    static func fileName(_ id: String) -> String { id.split(separator: "/").last.map(String.init) ?? id }

    /// Sends every scripted request and pairs it with the proxy's access-log line.
    func sendRequests() throws -> [DemoResult] {
        var results: [DemoResult] = []
        var logLines = 0
        for request in Self.script {
            var result = DemoResult(request: request)
            let svid = request.foreignTrustDomain ? foreign.svid : svids[request.caller]!
            do {
                let response = try MTLSClient.send(
                    group: group, host: "127.0.0.1", port: port, svid: svid, bundles: [bundle], server: serviceID,
                    method: request.method, path: request.path, headers: request.headers)
                result.status = response.status
                if response.status == 200, let body = try? JSONValue.parse(response.body) {
                    result.forwardedPath = body["path"]?.stringValue
                }
                if let line = waitForLogLine(after: logLines) {
                    logLines += 1
                    result.decision = line["decision"]?.stringValue
                    result.policy = line["policy"]?.stringValue
                    result.rule = line["rule"]?.stringValue
                    result.reason = line["reason"]?.stringValue
                    result.decidedPath = line["path"]?.stringValue
                }
            } catch {
                result.error = "TLS handshake refused: the proxy does not trust \(svid.id.trustDomain)"
            }
            results.append(result)
        }
        return results
    }

    private func waitForLogLine(after count: Int) -> JSONValue? {
        for _ in 0..<100 {
            let text = (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            if lines.count > count { return try? JSONValue.parse(String(lines[count])) }
            usleep(10_000)
        }
        return nil
    }

    mutating func finish(removeDirectory: Bool) {
        server.drain()
        server.waitUntilStopped()
        server.shutdownEventLoops()
        upstream.close()
        try? group.syncShutdownGracefully()
        if removeDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

struct DemoRequest {
    var caller: String
    var method: HTTPMethod
    var path: String
    var headers: [(String, String)] = []
    var foreignTrustDomain = false
    var note: String
}

struct DemoResult {
    var request: DemoRequest
    var status: Int?
    var decision: String?
    var policy: String?
    var rule: String?
    var reason: String?
    var forwardedPath: String?
    /// The normalized path the proxy decided on (from its log).
    var decidedPath: String?
    var error: String?

    /// "orders / frontend-reads", "default deny", "bad request (path.encoded_slash)", "TLS: …".
    var decidedBy: String {
        if let error { return error }
        switch decision {
        case "allow", "deny":
            guard let policy else { return "default deny (no rule matched)" }
            return "\(policy) / \(rule ?? "-")"
        case "invalid": return "refused before authorization (\(reason ?? "invalid"))"
        default: return reason ?? "-"
        }
    }
}
