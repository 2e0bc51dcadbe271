/// A path match: exact, prefix `abc*`, suffix `*abc`, `*`, or a URI template with `{*}` (one non-empty
/// segment) and a final `{**}` (one or more remaining segments).
///
/// Patterns are checked against the *normalized* request path, so their literal parts must themselves be
/// normalized; otherwise a rule would silently never match.
public enum PathPattern: Sendable, Hashable, CustomStringConvertible {
    case exact(String)
    case prefix(String)
    case suffix(String)
    case present
    case template([TemplateSegment])

    /// One segment of a template.
    public enum TemplateSegment: Sendable, Hashable {
        case literal(String)
        /// `{*}`: exactly one non-empty segment.
        case one
        /// `{**}`: one or more segments (the rest of the path), or just a trailing slash; last only.
        case rest
    }

    /// Why text is not a path pattern; `message` says how to fix it.
    public struct ParseError: Error, Sendable {
        public let code: String
        public let message: String
    }

    public init(parsing text: String) throws(ParseError) {
        if text.isEmpty { throw ParseError(code: "policy.path.empty", message: "a path must not be empty") }
        if text == "*" {
            self = .present
            return
        }
        let hasBraces = text.contains("{") || text.contains("}")
        let stars = text.utf8.filter { $0 == UInt8(ascii: "*") }.count
        if hasBraces {
            self = try PathPattern.parseTemplate(text)
            return
        }
        if stars == 1 && text.hasPrefix("*") {
            let suffix = String(text.dropFirst())
            if suffix.contains("?") || suffix.contains("#") || suffix.contains("\\") {
                throw ParseError(code: "policy.path.not_normalized",
                    message: "\"\(text)\" can never match a normalized path (no query, fragment or backslash)")
            }
            self = .suffix(suffix)
            return
        }
        guard text.hasPrefix("/") else {
            throw ParseError(code: "policy.path.relative",
                message: "\"\(text)\" must start with \"/\", e.g. \"/\(text)\"")
        }
        if stars == 0 {
            try PathPattern.requireNormalized(text, original: text)
            self = .exact(text)
        } else if stars == 1 && text.hasSuffix("*") {
            let prefix = String(text.dropLast())
            try PathPattern.requireNormalized(prefix, original: text)
            self = .prefix(prefix)
        } else {
            throw ParseError(code: "policy.path.wildcard",
                message: "\"\(text)\" has a \"*\" inside; use \"abc*\", \"*abc\", \"{*}\" for one segment or a final \"{**}\"")
        }
    }

    private static func requireNormalized(_ literal: String, original: String) throws(ParseError) {
        // A prefix may end inside a segment ("/ap*") or after a slash ("/api/*"); both must be normalized text.
        let probe = literal.hasSuffix("/") || literal.isEmpty ? literal + "x" : literal
        let normalized: String
        do {
            normalized = try NormalizedPath(probe).path
        } catch {
            throw ParseError(code: "policy.path.not_normalized",
                message: "\"\(original)\" can never match: \(error.reason)")
        }
        if normalized != probe {
            let fixed = literal.hasSuffix("/") ? String(normalized.dropLast()) : normalized
            throw ParseError(code: "policy.path.not_normalized",
                message: "\"\(original)\" is not a normalized path and can never match; write \"\(original.replacingFirst(literal, with: fixed))\"")
        }
    }

    private static func parseTemplate(_ text: String) throws(ParseError) -> PathPattern {
        guard text.hasPrefix("/") else {
            throw ParseError(code: "policy.path.relative", message: "template \"\(text)\" must start with \"/\"")
        }
        let parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var segments: [TemplateSegment] = []
        for (index, part) in parts.enumerated() {
            switch part {
            case "{*}": segments.append(.one)
            case "{**}":
                guard index == parts.count - 1 else {
                    throw ParseError(code: "policy.path.template",
                        message: "in \"\(text)\", \"{**}\" must be the last segment")
                }
                segments.append(.rest)
            default:
                if part.contains("{") || part.contains("}") || part.contains("*") {
                    throw ParseError(code: "policy.path.template",
                        message: "in \"\(text)\", \"\(part)\" is not a template segment; use a whole \"{*}\" or a final \"{**}\" segment")
                }
                if part.isEmpty && index < parts.count - 1 || part == "." || part == ".." {
                    throw ParseError(code: "policy.path.not_normalized",
                        message: "template \"\(text)\" is not normalized (empty, \".\" or \"..\" segment)")
                }
                let probe = "/" + part
                let normalized = try? NormalizedPath(probe).path
                if normalized != probe {
                    throw ParseError(code: "policy.path.not_normalized",
                        message: "in template \"\(text)\", segment \"\(part)\" is not normalized")
                }
                segments.append(.literal(String(part)))
            }
        }
        if !segments.contains(.one) && !segments.contains(.rest) {
            return .exact(text)
        }
        return .template(segments)
    }

    public var description: String {
        switch self {
        case .exact(let s): return s
        case .prefix(let s): return s + "*"
        case .suffix(let s): return "*" + s
        case .present: return "*"
        case .template(let segments):
            return segments.map { segment -> String in
                switch segment {
                case .literal(let s): "/" + s
                case .one: "/{*}"
                case .rest: "/{**}"
                }
            }.joined()
        }
    }

    /// Whether the normalized `path` matches (the plain, rule-by-rule form; the table uses a trie).
    public func matches(_ path: String) -> Bool {
        switch self {
        case .exact(let s): return path == s
        case .prefix(let s): return path.hasPrefix(s)
        case .suffix(let s): return path.hasSuffix(s)
        case .present: return !path.isEmpty
        case .template(let segments):
            guard path.hasPrefix("/") else { return false }
            let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            for (index, segment) in segments.enumerated() {
                switch segment {
                case .rest:
                    // Something after the literal lead, or at least its trailing slash: `/a/{**}` covers
                    // `/a/` too, so a deny written as `/admin` + `/admin/{**}` leaves no `/admin/` gap.
                    return index < parts.count
                case .one:
                    guard index < parts.count, !parts[index].isEmpty else { return false }
                case .literal(let s):
                    guard index < parts.count, parts[index] == s else { return false }
                }
            }
            return parts.count == segments.count
        }
    }

    /// Whether every path matched by `other` is matched by this pattern (conservative: false when unsure).
    public func covers(_ other: PathPattern) -> Bool {
        switch (self, other) {
        case (.present, _): return true
        case (_, .exact(let path)): return matches(path)
        case (.prefix(let a), .prefix(let b)): return b.hasPrefix(a)
        case (.suffix(let a), .suffix(let b)): return b.hasSuffix(a)
        case (.prefix(let a), .template(let segments)):
            // The template's literal lead fixes a prefix of every path it matches.
            var lead = ""
            for segment in segments {
                guard case .literal(let s) = segment else { break }
                lead += "/" + s
            }
            return (lead + "/").hasPrefix(a) && segments.count > 0 && !(segments.allSatisfy {
                if case .literal = $0 { true } else { false }
            })
        case (.template(let a), .template(let b)): return a == b
        default: return false
        }
    }
}

extension String {
    /// `replacement` in place of the leading `target` (the literal part of a pattern).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard hasPrefix(target) else { return self }
        return replacement + String(dropFirst(target.count))
    }
}
