import Foundation
import NIOCore
import NIOHTTP1
import WardJSON

/// The admin listener: `/metrics` (Prometheus text), `/healthz`, `/readyz`, `/config`. Plain HTTP, meant for
/// loopback: it reveals configuration and must not be reachable by workloads' callers.
enum AdminServer {
    static func bind(server: ProxyServer, host: String, port: Int) throws -> Channel {
        try SimpleHTTPServer.bind(group: server.group.next(), host: host, port: port) { head in
            respond(head, server: server)
        }
    }

    private static func respond(_ head: HTTPRequestHead, server: ProxyServer) -> SimpleHTTPServer.Response {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain", Array("method not allowed\n".utf8))
        }
        switch path {
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4", server.metrics.render())
        case "/healthz":
            return (.ok, "text/plain", Array("ok\n".utf8))
        case "/readyz":
            return server.isReady
                ? (.ok, "text/plain", Array("ready\n".utf8))
                : (.serviceUnavailable, "text/plain", Array("not ready\n".utf8))
        case "/config":
            return (.ok, "application/json", Array((server.configJSON.serialized(.pretty) + "\n").utf8))
        default:
            return (.notFound, "text/plain", Array("not found\n".utf8))
        }
    }
}

extension ProxyServer {
    /// `/config`: identity and its expiry, the policies in force, listeners, settings. Never key material.
    var configJSON: JSONValue {
        let runtime = state.withLockedValue { $0 }
        var object = JSONObject()
        if let loaded = runtime.loaded {
            object["identity"] = [
                "spiffeID": .string(loaded.localID.description),
                "trustDomain": .string(loaded.trustDomain.name),
                "serial": .string(loaded.svidSerial),
                "notAfter": .string(AccessLog.timestamp(loaded.svidNotAfter.timeIntervalSince1970)),
            ]
            object["policy"] = [
                "hash": .string(loaded.engine.contentHash),
                "rules": .int(Int64(loaded.engine.ruleCount)),
                "source": .string(config.tableFile ?? config.policyDirectory ?? "-"),
                "loadedAt": .string(AccessLog.timestamp(loaded.loadedAt.timeIntervalSince1970)),
            ]
        }
        object["listeners"] = [
            [
                "name": "inbound",
                "address": .string(runtime.listener?.localAddress.map { "\($0)" } ?? config.listen.description),
                "protocol": .string(config.listenerProtocol.rawValue),
                "upstream": .string(config.upstream?.description ?? "-"),
            ],
            [
                "name": "admin",
                "address": .string(runtime.admin?.localAddress.map { "\($0)" } ?? "-"),
                "protocol": "http",
            ],
        ]
        object["ready"] = .bool(runtime.ready && !runtime.draining)
        object["lastReloadError"] = runtime.lastReloadError.map(JSONValue.string) ?? .null
        object["config"] = config.json
        return .object(object)
    }
}
