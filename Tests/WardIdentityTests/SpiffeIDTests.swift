import Testing

@testable import WardIdentity

@Suite("SPIFFE ID rules")
struct SpiffeIDTests {
    static let accepted = [
        "spiffe://example.org", "spiffe://example.org/ns/prod/sa/web", "spiffe://example.org/A-Z_a.z-09",
        "spiffe://1.2.3.4/x", "spiffe://under_score.td/x", "spiffe://td/.path",
        // more
        "spiffe://td/..a", "spiffe://td/...", "spiffe://td/a.", "spiffe://a-b.c_d.9/x/y/z",
        "spiffe://td/" + String(repeating: "a", count: 2048 - 12),
        "spiffe://" + String(repeating: "a", count: 255) + "/x",
    ]

    static let rejected: [(String, SpiffeIDError.Rule)] = [
        ("", .empty), ("http://td/x", .wrongScheme), ("spiffe:/td/x", .wrongScheme), ("spiffe://", .emptyTrustDomain),
        ("spiffe:///x", .emptyTrustDomain), ("spiffe://td:8443/x", .port), ("spiffe://user@td/x", .userInfo),
        ("spiffe://[::1]/x", .ipv6Literal), ("spiffe://td/x?q=1", .query), ("spiffe://td/x#f", .fragment),
        ("spiffe://td/", .trailingSlash), ("spiffe://td/x/", .trailingSlash), ("spiffe://td//x", .emptySegment),
        ("spiffe://td/./x", .dotSegment), ("spiffe://td/x/..", .dotSegment), ("spiffe://td/%41", .percentEncoded),
        ("spiffe://Example.org/x", .uppercaseTrustDomain), ("spiffe://td/a b", .badPathCharacter),
        ("spiffe://td/a~b", .badPathCharacter), ("spiffe://td/a:b", .badPathCharacter),
        ("spiffe://td/caf\u{e9}", .badPathCharacter), ("spiffe://t\u{e9}d/x", .badTrustDomainCharacter),
        // more
        ("Spiffe://td/x", .wrongScheme), ("SPIFFE://td/x", .wrongScheme), ("spiffe://td?x", .query),
        ("spiffe://td#x", .fragment), ("spiffe://td/..", .dotSegment), ("spiffe://td/.", .dotSegment),
        ("spiffe://t d/x", .badTrustDomainCharacter), ("spiffe://td/a\u{0}b", .badPathCharacter),
        ("spiffe://td/x\n", .badPathCharacter), ("spiffe://%74d/x", .percentEncoded),
        ("spiffe://td/" + String(repeating: "a", count: 2048 - 11), .tooLong),
        ("spiffe://" + String(repeating: "a", count: 256) + "/x", .trustDomainTooLong),
    ]

    @Test("accepts every valid ID", arguments: accepted)
    func accepts(_ text: String) throws {
        let id = try SpiffeID(text)
        #expect(id.description == text)
    }

    @Test("rejects every invalid ID with the rule that failed", arguments: rejected)
    func rejects(_ text: String, _ rule: SpiffeIDError.Rule) throws {
        do {
            let id = try SpiffeID(text)
            Issue.record("accepted \(id)")
        } catch {
            #expect(error.rule == rule, "\(text): \(error.description)")
        }
    }

    @Test func errorMessagesNameTheRule() throws {
        do {
            _ = try SpiffeID("spiffe://td/a~b")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("'~'"))
            #expect(error.code == "spiffe_id.badPathCharacter")
        }
    }

    @Test func partsAndTrustDomains() throws {
        let id = try SpiffeID("spiffe://example.org/ns/prod/sa/web")
        #expect(id.trustDomain.name == "example.org")
        #expect(id.path == "/ns/prod/sa/web")
        #expect(id.segments == ["ns", "prod", "sa", "web"])
        #expect(id.isWorkload)
        #expect(try TrustDomain("example.org") == id.trustDomain)
        #expect(try TrustDomain("spiffe://example.org") == id.trustDomain)
        #expect(throws: SpiffeIDError.self) { try TrustDomain("spiffe://example.org/x") }
        #expect(throws: SpiffeIDError.self) { try TrustDomain("Example.org") }
        #expect(throws: SpiffeIDError.self) { try TrustDomain("") }
        #expect(try TrustDomain("example.org").id.description == "spiffe://example.org")
    }
}
