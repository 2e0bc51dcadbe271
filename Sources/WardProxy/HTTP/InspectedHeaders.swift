import NIOHTTP1

/// Which of the request headers the proxy inspects (`Content-Length`, `Transfer-Encoding`, `Host`, `Expect`) are
/// present at all, found in one pass over the names.
///
/// `HTTPHeaders[canonicalForm:]` lowercases the name, collects the values and splits and trims them into fresh
/// arrays on every call; a typical `GET` has only `Host` of these four, so the others are looked up only when this
/// says they exist, and a single comma-free `Host` is read directly, with the same result.
struct InspectedHeaders {
    struct Names: OptionSet {
        let rawValue: UInt8

        static let contentLength = Names(rawValue: 1 << 0)
        static let transferEncoding = Names(rawValue: 1 << 1)
        static let host = Names(rawValue: 1 << 2)
        static let expect = Names(rawValue: 1 << 3)
    }

    private(set) var names: Names = []
    /// The value of the `Host` header when there is exactly one.
    private var singleHost: String?

    init(_ headers: HTTPHeaders) {
        var hostCount = 0
        for (name, value) in headers {
            switch name.utf8.count {
            case 4 where name.caseInsensitiveEquals("host"):
                names.insert(.host)
                hostCount += 1
                singleHost = hostCount == 1 ? value : nil
            case 6 where name.caseInsensitiveEquals("expect"): names.insert(.expect)
            case 14 where name.caseInsensitiveEquals("content-length"): names.insert(.contentLength)
            case 17 where name.caseInsensitiveEquals("transfer-encoding"): names.insert(.transferEncoding)
            default: continue
            }
        }
    }

    func contains(_ name: Names) -> Bool { names.contains(name) }

    /// What `Host` says, as `headers[canonicalForm: "host"]` reads it: how many values (comma-separated, each
    /// trimmed of spaces and tabs, empty pieces between commas dropped) and the first. The proxy needs no more, so
    /// no array is built for the common single `Host`.
    struct Hosts {
        let count: Int
        let first: Substring?

        var isEmpty: Bool { count == 0 }

        static let none = Hosts(count: 0, first: nil)
    }

    /// The `Host` values, without the general path when there is one `Host` and no comma in it (its bytes read in
    /// place, once: a typical `host:port` is a small string, which the generic `UTF8View` walks byte by byte).
    func hosts(in headers: HTTPHeaders) -> Hosts {
        guard names.contains(.host) else { return .none }
        guard var value = singleHost else { return general(headers) }
        guard !value.isEmpty else { return .none }
        let (hasComma, start, end) = value.withUTF8 { bytes in
            var start = 0
            var end = bytes.count
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            return (bytes.contains(UInt8(ascii: ",")), start, end)
        }
        if hasComma { return general(headers) }
        let utf8 = value.utf8
        let first = utf8.index(utf8.startIndex, offsetBy: start)
        return Hosts(count: 1, first: value[first..<utf8.index(first, offsetBy: end - start)])
    }

    private func general(_ headers: HTTPHeaders) -> Hosts {
        let all = headers[canonicalForm: "host"]
        return Hosts(count: all.count, first: all.first)
    }
}
