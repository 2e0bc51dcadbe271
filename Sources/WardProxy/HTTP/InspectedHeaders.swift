import NIOHTTP1

/// Which of the request headers the proxy inspects (`Content-Length`, `Transfer-Encoding`, `Host`, `Expect`) are
/// present at all, found in one pass over the names.
///
/// `HTTPHeaders[canonicalForm:]` splits and trims values into a fresh array on every call; a typical `GET` has
/// only `Host` of these four, so looking up the others only when this says they exist saves three such calls
/// per request without changing how any present value is read.
struct InspectedHeaders: OptionSet {
    let rawValue: UInt8

    static let contentLength = InspectedHeaders(rawValue: 1 << 0)
    static let transferEncoding = InspectedHeaders(rawValue: 1 << 1)
    static let host = InspectedHeaders(rawValue: 1 << 2)
    static let expect = InspectedHeaders(rawValue: 1 << 3)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ headers: HTTPHeaders) {
        var found: InspectedHeaders = []
        for (name, _) in headers {
            switch name.utf8.count {
            case 4 where name.caseInsensitiveEquals("host"): found.insert(.host)
            case 6 where name.caseInsensitiveEquals("expect"): found.insert(.expect)
            case 14 where name.caseInsensitiveEquals("content-length"): found.insert(.contentLength)
            case 17 where name.caseInsensitiveEquals("transfer-encoding"): found.insert(.transferEncoding)
            default: continue
            }
        }
        self = found
    }
}
