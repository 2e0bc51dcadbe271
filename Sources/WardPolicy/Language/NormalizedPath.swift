/// A request path in the one form Ward matches and forwards.
///
/// Path-normalization gaps are the classic authorization bypass (`/public/../admin`, `//admin`, `%2F`, `%5C`,
/// `?`/`#` left in the match). Ward therefore normalizes exactly once, with this type, in the CLI and the proxy
/// alike, matches rules against `path` and forwards `path` (plus the untouched `query`). Anything ambiguous is
/// rejected as a bad request instead of guessed at:
///
/// - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, others kept with upper-case
///   hex; encoded `/`, `\` and NUL, malformed escapes, raw backslashes, `;` path parameters (which some servers
///   strip and matchers do not), control characters, spaces, non-ASCII bytes and the other bytes RFC 3986
///   requires to be percent-encoded (`" < > \ ^ ` { | }`) are rejected, in the path and in the query alike (a
///   target Ward could not forward as it came must be refused before authorization, not fail upstream);
/// - `.` and `..` segments are resolved (RFC 3986 section 5.2.4; `..` never climbs above the root);
/// - repeated slashes are merged;
/// - the query (after `?`) and fragment (after `#`) are split off and never matched.
public struct NormalizedPath: Sendable, Hashable, CustomStringConvertible {
    /// The normalized path: starts with `/`, no empty, `.` or `..` segments (a trailing `/` is kept).
    public let path: String
    /// The raw query without `?`, if the target had one; forwarded as is, never matched.
    public let query: Substring?

    public var description: String { path }

    /// What the proxy sends upstream: the normalized path and the original query.
    public var forwardTarget: String { query.map { path + "?" + $0 } ?? path }

    /// Normalizes a request target (`/a/b?x=1`). Throws for anything that must be answered with 400.
    public init(_ target: String) throws(BadRequest) {
        var query: Substring?
        var raw = Substring(target)
        if let cut = raw.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            if raw.utf8[cut] == UInt8(ascii: "?") {
                let rest = raw[raw.utf8.index(after: cut)...]
                let end = rest.utf8.firstIndex(of: UInt8(ascii: "#")) ?? rest.endIndex
                query = rest[..<end]
            }
            raw = raw[..<cut]
        }
        // Most targets are already in normal form: then the path is the raw bytes, and when the target has no
        // query or fragment, the caller's own string (no copy).
        if NormalizedPath.isNormal(raw) {
            self.path = raw.endIndex == target.endIndex ? target : String(raw)
        } else {
            self.path = try NormalizedPath.normalize(raw)
        }
        if let query, let bad = query.utf8.first(where: { !Self.isTargetByte($0) && $0 != UInt8(ascii: "#") }) {
            throw Self.fail("query_bad_character", "\(Self.describe(bad)) must be percent-encoded in a query")
        }
        self.query = query
    }

    /// Why a path was refused.
    public struct BadRequest: Error, Sendable, Hashable, CustomStringConvertible {
        /// Stable code, e.g. `path.encoded_slash`.
        public let code: String
        /// For people, e.g. `encoded "/" (%2F) is not allowed`.
        public let reason: String
        public var description: String { "bad request: \(reason)" }
    }

    private static func fail(_ code: String, _ reason: String) -> BadRequest {
        BadRequest(code: "path.\(code)", reason: reason)
    }

    /// Whether `raw` is a path `normalize` would return unchanged: it starts with `/`, every byte may appear
    /// literally and needs no decoding (no `%`, `\\`, `;`), and it has no empty, `.` or `..` segment except one
    /// trailing empty one. One pass over the bytes, no allocation: the proxy's common case.
    static func isNormal(_ raw: Substring) -> Bool {
        let utf8 = raw.utf8
        let answer = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.first == UInt8(ascii: "/") else { return false }
            var segmentStart = 1
            var dots = 0  // leading dots of the current segment, up to 3
            var index = 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "/") {
                    let length = index - segmentStart
                    if length == 0 || (length <= 2 && dots == length) { return false }
                    segmentStart = index + 1
                    dots = 0
                } else {
                    if byte == UInt8(ascii: "%") || byte == UInt8(ascii: ";") || !isTargetByte(byte) { return false }
                    if byte == UInt8(ascii: "."), dots == index - segmentStart { dots += 1 }
                }
                index += 1
            }
            let length = bytes.count - segmentStart
            return !(length > 0 && length <= 2 && dots == length)
        }
        return answer ?? false
    }

    static func normalize(_ raw: Substring) throws(BadRequest) -> String {
        let bytes = Array(raw.utf8)
        guard bytes.first == UInt8(ascii: "/") else {
            throw fail(bytes.isEmpty ? "empty" : "relative", "the path must start with \"/\"")
        }
        // Pass 1: decode unreserved escapes, validate every byte; segments split on raw "/".
        var segments: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "/"):
                segments.append(current)
                current.removeAll(keepingCapacity: true)
            case UInt8(ascii: "%"):
                guard let high = hexValue(bytes[safe: index + 1]), let low = hexValue(bytes[safe: index + 2])
                else { throw fail("invalid_escape", "\"%\" must be followed by two hex digits") }
                let decoded = high << 4 | low
                switch decoded {
                case 0x2F: throw fail("encoded_slash", "encoded \"/\" (%2F) is not allowed")
                case 0x5C: throw fail("encoded_backslash", "encoded \"\\\" (%5C) is not allowed")
                case 0x00: throw fail("encoded_nul", "encoded NUL (%00) is not allowed")
                default:
                    if isUnreserved(decoded) {
                        current.append(decoded)
                    } else {
                        current.append(UInt8(ascii: "%"))
                        current.append(hexDigit(decoded >> 4))
                        current.append(hexDigit(decoded & 0xF))
                    }
                }
                index += 2
            case UInt8(ascii: "\\"):
                throw fail("backslash", "a backslash is not allowed in a path")
            case UInt8(ascii: ";"):
                // `/admin;x` is `/admin` to Tomcat and Spring but another path to a matcher: refuse the ambiguity.
                throw fail("semicolon", "\";\" (a path parameter) is not allowed in a path")
            case _ where !isTargetByte(byte):
                throw fail("bad_character", "\(describe(byte)) must be percent-encoded in a path")
            default:
                current.append(byte)
            }
            index += 1
        }
        segments.append(current)
        // Pass 2: merge empty segments, resolve dot segments.
        var output: [[UInt8]] = []
        var trailingSlash = false
        for (position, segment) in segments.enumerated() {
            let last = position == segments.count - 1
            if segment.isEmpty {
                trailingSlash = last
                continue
            }
            if segment == [UInt8(ascii: ".")] {
                trailingSlash = last
                continue
            }
            if segment == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                if !output.isEmpty { output.removeLast() }
                trailingSlash = last
                continue
            }
            output.append(segment)
            trailingSlash = false
        }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for segment in output {
            result.append(UInt8(ascii: "/"))
            result.append(contentsOf: segment)
        }
        if trailingSlash || result.isEmpty { result.append(UInt8(ascii: "/")) }
        return String(decoding: result, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8?) -> UInt8? {
        switch byte {
        case .some(let b) where b >= 0x30 && b <= 0x39: b - 0x30
        case .some(let b) where b >= 0x41 && b <= 0x46: b - 0x41 + 10
        case .some(let b) where b >= 0x61 && b <= 0x66: b - 0x61 + 10
        default: nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x41 + value - 10
    }

    /// Bytes a request target may carry literally (RFC 3986: unreserved, sub-delims, gen-delims and `%`); the
    /// same set NIO's request encoder accepts, so whatever Ward admits it can also forward.
    private static func isTargetByte(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"),
            UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    /// A byte named for an error message.
    private static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x20: "a space"
        case 0..<0x20, 0x7F: "a control character"
        case 0x80...: "a non-ASCII byte"
        default: "\"\(Character(Unicode.Scalar(byte)))\""
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
