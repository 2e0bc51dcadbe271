/// What the evaluator needs from one HTTP request, after path normalization.
///
/// Kept to borrowed values so the proxy can fill it from its parsed request head without copying; the path
/// must come from `NormalizedPath` (the table matches it byte for byte).
public struct RequestFacts: Sendable {
    public var method: String
    /// A normalized path (`NormalizedPath.path`).
    public var path: String
    /// The `Host`/`:authority` value; a port in it is ignored, case is ignored.
    public var host: String?
    /// The destination port.
    public var port: Int?
    /// Request headers in any name case; repeated names allowed.
    public var headers: [(name: String, value: String)]

    public init(method: String, path: String, host: String? = nil, port: Int? = nil,
        headers: [(name: String, value: String)] = [])
    {
        self.method = method
        self.path = path
        self.host = host
        self.port = port
        self.headers = headers
    }

    /// The host without its port (`a.example:8080` -> `a.example`, `[::1]:80` -> `[::1]`).
    public var hostWithoutPort: Substring? {
        guard let host, !host.isEmpty else { return nil }
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { return host[...close] }
            return Substring(host)
        }
        if let colon = host.utf8.lastIndex(of: UInt8(ascii: ":")) { return host[..<colon] }
        return Substring(host)
    }
}

/// What is fixed for a connection: the peer's SPIFFE ID (nil without mTLS), its address and the SNI.
public struct ConnectionFacts: Sendable, Hashable {
    public var principal: String?
    public var sourceIP: IPAddress?
    public var sni: String?

    public init(principal: String?, sourceIP: IPAddress? = nil, sni: String? = nil) {
        self.principal = principal
        self.sourceIP = sourceIP
        self.sni = sni
    }
}
