/// A proxy failure that stops startup or a reload: a stable `code` for logs and metrics, and a message for people
/// that names the config key, flag or file at fault.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `config.unknown_key`.
    public var code: String
    /// What is wrong and, where possible, how to fix it.
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
