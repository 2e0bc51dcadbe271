/// Why a string is not a valid SPIFFE ID or trust domain; `description` names the rule that failed.
public struct SpiffeIDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule that failed.
    public enum Rule: String, Sendable {
        case empty, tooLong, wrongScheme, emptyTrustDomain, trustDomainTooLong, uppercaseTrustDomain, port,
            userInfo, ipv6Literal, badTrustDomainCharacter, percentEncoded, query, fragment, trailingSlash,
            emptySegment, dotSegment, badPathCharacter, trustDomainHasPath, missingPath
    }

    public let rule: Rule
    /// The input, as given.
    public let input: String
    let character: UInt8?

    init(_ rule: Rule, _ input: String, character: UInt8? = nil) {
        self.rule = rule
        self.input = input
        self.character = character
    }

    /// Stable machine-readable code, e.g. `spiffe_id.dot_segment`.
    public var code: String { "spiffe_id.\(rule.rawValue)" }

    public var description: String {
        "invalid SPIFFE ID \"\(input)\": \(reason)"
    }

    /// The rule, for people.
    public var reason: String {
        switch rule {
        case .empty: "it is empty"
        case .tooLong: "it is longer than \(SpiffeID.maxLength) bytes"
        case .wrongScheme: "it must start with \"spiffe://\" (lowercase scheme, two slashes)"
        case .emptyTrustDomain: "the trust domain is empty"
        case .trustDomainTooLong: "the trust domain is longer than \(TrustDomain.maxLength) bytes"
        case .uppercaseTrustDomain: "the trust domain must be lowercase"
        case .port: "the trust domain must not contain a port"
        case .userInfo: "the trust domain must not contain userinfo (\"user@\")"
        case .ipv6Literal: "the trust domain must not be an IPv6 literal"
        case .badTrustDomainCharacter:
            "the trust domain contains \(describe(character)); only a-z, 0-9, '.', '-' and '_' are allowed"
        case .percentEncoded: "percent-encoding is not allowed"
        case .query: "a query (\"?\") is not allowed"
        case .fragment: "a fragment (\"#\") is not allowed"
        case .trailingSlash: "the path must not end with \"/\""
        case .emptySegment: "the path must not contain an empty segment (\"//\")"
        case .dotSegment: "path segments \".\" and \"..\" are not allowed"
        case .badPathCharacter:
            "the path contains \(describe(character)); only a-z, A-Z, 0-9, '.', '-' and '_' are allowed"
        case .trustDomainHasPath: "a trust domain ID must not have a path"
        case .missingPath: "a workload ID needs a path (\"spiffe://td/...\")"
        }
    }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "a character that is not allowed" }
        if byte >= 0x80 { return "a non-ASCII byte" }
        if byte < 0x21 || byte == 0x7F { return "a control character or space" }
        return "'\(Character(Unicode.Scalar(byte)))'"
    }
}
