/// A JSON document that could not be parsed, with where and why.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `json.syntax`.
    public var code: String
    /// What jansson said, e.g. "duplicate object key".
    public var message: String
    /// The file or other source named in the message.
    public var source: String
    /// 1-based line and column; 0 when unknown.
    public var line: Int
    public var column: Int

    public init(code: String = "json.syntax", message: String, source: String, line: Int = 0, column: Int = 0) {
        self.code = code
        self.message = message
        self.source = source
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "\(source):\(line):\(column): invalid JSON: \(message)" : "\(source): invalid JSON: \(message)"
    }
}
