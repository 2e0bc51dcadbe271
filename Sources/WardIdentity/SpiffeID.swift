/// A validated SPIFFE ID: `spiffe://<trust-domain><path>`.
///
/// Construction enforces every rule of the SPIFFE ID standard (and Ward's stricter choices: lowercase scheme,
/// no case folding of trust domains), so a `SpiffeID` in hand is always valid. Errors say which rule failed.
public struct SpiffeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The trust domain name, e.g. `example.org`.
    public let trustDomain: TrustDomain
    /// The path, e.g. `/ns/prod/sa/web`; empty for the trust domain's own ID.
    public let path: String

    /// The full ID as text.
    public var description: String { "spiffe://\(trustDomain.name)\(path)" }

    /// Path segments without slashes (`["ns", "prod", "sa", "web"]`).
    public var segments: [Substring] { path.split(separator: "/") }

    /// Whether this ID names a workload (has a path) rather than the trust domain itself.
    public var isWorkload: Bool { !path.isEmpty }

    public static let maxLength = 2048

    /// Parses and validates `text`.
    public init(_ text: String) throws(SpiffeIDError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw SpiffeIDError(.empty, text) }
        guard bytes.count <= SpiffeID.maxLength else { throw SpiffeIDError(.tooLong, text) }
        let scheme = Array("spiffe://".utf8)
        guard bytes.starts(with: scheme) else { throw SpiffeIDError(.wrongScheme, text) }
        let rest = bytes[scheme.count...]
        let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let domainBytes = rest[rest.startIndex..<slash]
        self.trustDomain = try TrustDomain(validating: domainBytes, in: text)
        let pathBytes = rest[slash...]
        try SpiffeID.validatePath(pathBytes, in: text)
        self.path = String(decoding: pathBytes, as: UTF8.self)
    }

    /// An ID from parts already known to be valid: the trust domain and a path (`""` or `/a/b`).
    public init(trustDomain: TrustDomain, path: String) throws(SpiffeIDError) {
        try self.init("spiffe://\(trustDomain.name)\(path)")
    }

    /// An ID from parts already validated (a `TrustDomain` and a checked path).
    init(validated trustDomain: TrustDomain, path: String) {
        self.trustDomain = trustDomain
        self.path = path
    }

    static func validatePath(_ bytes: ArraySlice<UInt8>, in text: String) throws(SpiffeIDError) {
        guard !bytes.isEmpty else { return }
        var segmentStart = bytes.startIndex + 1
        var index = segmentStart
        while true {
            if index == bytes.endIndex || bytes[index] == UInt8(ascii: "/") {
                let segment = bytes[segmentStart..<index]
                if segment.isEmpty {
                    throw SpiffeIDError(index == bytes.endIndex ? .trailingSlash : .emptySegment, text)
                }
                if segment.elementsEqual([UInt8(ascii: ".")]) || segment.elementsEqual([0x2E, 0x2E]) {
                    throw SpiffeIDError(.dotSegment, text)
                }
                if index == bytes.endIndex { return }
                segmentStart = index + 1
            } else {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    break
                case UInt8(ascii: "?"): throw SpiffeIDError(.query, text)
                case UInt8(ascii: "#"): throw SpiffeIDError(.fragment, text)
                case UInt8(ascii: "%"): throw SpiffeIDError(.percentEncoded, text)
                default: throw SpiffeIDError(.badPathCharacter, text, character: byte)
                }
            }
            index += 1
        }
    }

    public static func < (lhs: SpiffeID, rhs: SpiffeID) -> Bool { lhs.description < rhs.description }
}

/// A SPIFFE trust domain name: lowercase letters, digits, `.`, `-`, `_`; at most 255 bytes.
public struct TrustDomain: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let name: String

    public var description: String { name }

    /// The trust domain's own SPIFFE ID, `spiffe://name`.
    public var id: SpiffeID { SpiffeID(validated: self, path: "") }

    public static let maxLength = 255

    /// Validates a bare name (`example.org`) or accepts a `spiffe://example.org` ID with no path.
    public init(_ text: String) throws(SpiffeIDError) {
        if text.hasPrefix("spiffe://") {
            let id = try SpiffeID(text)
            guard id.path.isEmpty else { throw SpiffeIDError(.trustDomainHasPath, text) }
            self = id.trustDomain
        } else {
            self = try TrustDomain(validating: Array(text.utf8)[...], in: text)
        }
    }

    init(validating bytes: ArraySlice<UInt8>, in text: String) throws(SpiffeIDError) {
        guard !bytes.isEmpty else { throw SpiffeIDError(.emptyTrustDomain, text) }
        guard bytes.count <= TrustDomain.maxLength else { throw SpiffeIDError(.trustDomainTooLong, text) }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): throw SpiffeIDError(.uppercaseTrustDomain, text)
            case UInt8(ascii: ":"): throw SpiffeIDError(.port, text)
            case UInt8(ascii: "@"): throw SpiffeIDError(.userInfo, text)
            case UInt8(ascii: "["), UInt8(ascii: "]"): throw SpiffeIDError(.ipv6Literal, text)
            case UInt8(ascii: "%"): throw SpiffeIDError(.percentEncoded, text)
            case UInt8(ascii: "?"): throw SpiffeIDError(.query, text)
            case UInt8(ascii: "#"): throw SpiffeIDError(.fragment, text)
            default: throw SpiffeIDError(.badTrustDomainCharacter, text, character: byte)
            }
        }
        self.name = String(decoding: bytes, as: UTF8.self)
    }

    public static func < (lhs: TrustDomain, rhs: TrustDomain) -> Bool { lhs.name < rhs.name }
}
