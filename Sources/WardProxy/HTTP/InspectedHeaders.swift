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

    /// Exactly `headers[canonicalForm: "host"]` (comma-separated values, each trimmed of spaces and tabs, empty
    /// pieces between commas dropped), without the general path when there is one `Host` and no comma in it.
    func hosts(in headers: HTTPHeaders) -> [Substring] {
        guard names.contains(.host) else { return [] }
        guard let value = singleHost, !value.utf8.contains(UInt8(ascii: ",")) else {
            return headers[canonicalForm: "host"]
        }
        guard !value.isEmpty else { return [] }
        let bytes = value.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return [""] }
        return [Substring(bytes[first...last])]
    }
}
