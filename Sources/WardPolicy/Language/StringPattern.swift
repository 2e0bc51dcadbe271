/// A string match as written in policies: `abc` (exact), `abc*` (prefix), `*abc` (suffix) or `*` (present).
///
/// Used for principals, hosts, SNI and header values. Case is kept as written; callers that compare
/// case-insensitively (hosts) lowercase both sides.
public enum StringPattern: Sendable, Hashable, CustomStringConvertible {
    case exact(String)
    case prefix(String)
    case suffix(String)
    /// Any non-empty value.
    case present

    /// Why text is not a string pattern.
    public enum ParseError: Error, Sendable {
        case empty
        case innerWildcard
    }

    /// Parses the policy notation. A `*` may appear only as the whole value, the first or the last character.
    public init(parsing text: String) throws(ParseError) {
        if text.isEmpty { throw .empty }
        if text == "*" {
            self = .present
            return
        }
        let stars = text.utf8.filter { $0 == UInt8(ascii: "*") }.count
        if stars == 0 {
            self = .exact(text)
        } else if stars == 1 && text.hasSuffix("*") {
            self = .prefix(String(text.dropLast()))
        } else if stars == 1 && text.hasPrefix("*") {
            self = .suffix(String(text.dropFirst()))
        } else {
            throw .innerWildcard
        }
    }

    /// The policy notation.
    public var description: String {
        switch self {
        case .exact(let s): s
        case .prefix(let s): s + "*"
        case .suffix(let s): "*" + s
        case .present: "*"
        }
    }

    /// Whether `value` matches.
    @inlinable
    public func matches(_ value: some StringProtocol) -> Bool {
        switch self {
        case .exact(let s): return value == s
        case .prefix(let s): return value.utf8.starts(with: s.utf8)
        case .suffix(let s): return value.utf8.reversed().starts(with: s.utf8.reversed())
        case .present: return !value.isEmpty
        }
    }

    /// Whether every value matched by `other` is matched by this pattern (used by the shadowing lint).
    public func covers(_ other: StringPattern) -> Bool {
        switch (self, other) {
        case (.present, _): return true
        case (.exact(let a), .exact(let b)): return a == b
        case (.prefix(let a), .exact(let b)), (.prefix(let a), .prefix(let b)): return b.hasPrefix(a)
        case (.suffix(let a), .exact(let b)), (.suffix(let a), .suffix(let b)): return b.hasSuffix(a)
        default: return false
        }
    }

    /// The same pattern with its text lowercased (hosts compare case-insensitively).
    public var lowercased: StringPattern {
        switch self {
        case .exact(let s): .exact(s.lowercased())
        case .prefix(let s): .prefix(s.lowercased())
        case .suffix(let s): .suffix(s.lowercased())
        case .present: .present
        }
    }
}
