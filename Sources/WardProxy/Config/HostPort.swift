/// A `HOST:PORT` address as written in config and flags (`127.0.0.1:8443`, `[::1]:8443`, `localhost:80`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; `what` names the key or flag in the error.
    public init(parsing text: String, what: String) throws(ProxyError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ProxyError("config.bad_address", "\(what): \"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:8443)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ProxyError("config.bad_address", "\(what): \"\(text)\" is not HOST:PORT with a port 0-65535")
        }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
