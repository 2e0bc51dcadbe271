import NIOCore
import NIOHTTP1
import WardJSON

/// A tiny plain-HTTP workload for `ward demo`: answers every request with JSON naming the service, the method
/// and path it received, and the caller identity the proxy vouched for (`x-forwarded-client-cert`).
public final class DemoUpstream: Sendable {
    private let channel: Channel

    /// The bound port.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Starts listening on `host:port` (0 for any free port).
    public init(group: EventLoopGroup, service: String, host: String = "127.0.0.1", port: Int = 0) throws {
        channel = try SimpleHTTPServer.bind(group: group, host: host, port: port) { head in
            let answer: JSONValue = [
                "service": .string(service),
                "method": .string(head.method.rawValue),
                "path": .string(head.uri),
                "xfcc": head.headers.first(name: "x-forwarded-client-cert").map(JSONValue.string) ?? .null,
            ]
            return (.ok, "application/json", Array((answer.serialized(.compact) + "\n").utf8))
        }
    }

    public func close() { try? channel.close().wait() }
}
