/// One problem found in a policy set: an error that stops compilation or a lint warning.
///
/// Operators read these first when a rule misbehaves, so each names the file, the JSON location inside it and
/// the fix, and carries a stable `code` that tools and tests can match on without parsing the message.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Whether the problem stops compilation.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public let severity: Severity
    /// Stable machine-readable code, e.g. `policy.method.not_upper_case`.
    public let code: String
    /// The file, as the user named it (`policies/orders.json`).
    public let file: String
    /// The JSON location inside the file (`[0].rules[2].to[0].methods[1]`); empty for the whole file.
    public let location: String
    /// What is wrong and how to fix it.
    public let message: String

    public init(_ severity: Severity, code: String, file: String, location: String, message: String) {
        self.severity = severity
        self.code = code
        self.file = file
        self.location = location
        self.message = message
    }

    /// `file: location: message`, with `warning: ` before the message of a warning.
    public var description: String {
        let prefix = location.isEmpty ? "\(file)" : "\(file): \(location)"
        return severity == .warning ? "\(prefix): warning: \(message)" : "\(prefix): \(message)"
    }
}

extension Array where Element == Diagnostic {
    /// Whether any of these stops compilation.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
