import Testing
@testable import WardPolicy

/// Edge cases of the per-clause entries: flat header checks (against `Condition.holds`, the form they replace)
/// and the peer check through a clause's one principal pattern (against the reference interpreter).
@Suite("Clause entries")
struct ClauseEntryTests {
    /// Non-ASCII values where bytes and String `==` disagree (`\u{212A}` KELVIN SIGN is canonically `K`; `é`
    /// precomposed and decomposed), prefixes and suffixes (byte-wise, as `StringPattern.matches`), presence.
    static let patterns: [StringPattern] = [.exact("K"), .exact("\u{E9}"), .exact("e\u{301}"), .exact("v1"),
        .prefix("ab"), .prefix("e"), .suffix("\u{E9}"), .suffix("1"), .present]
    static let values = ["K", "\u{212A}", "\u{E9}", "e\u{301}", "abc", "ab", "x\u{E9}", "", "v1", "V1", "k"]
    static let names = ["x-a", "X-A", "x-b", "x-aa"]

    @Test("header checks decide as Condition.holds, one pattern at a time and combined")
    func headerChecksMatchConditions() {
        var conditions: [[Condition]] = []
        for pattern in Self.patterns {
            for negated in [false, true] {
                conditions.append([Condition(key: .header("x-a"), negated: negated, patterns: [pattern])])
            }
        }
        conditions.append([Condition(key: .header("x-a"), negated: false, patterns: Array(Self.patterns.prefix(4)))])
        conditions.append([Condition(key: .header("x-a"), negated: false, patterns: [.exact("v1")]),
            Condition(key: .header("x-b"), negated: true, patterns: [.prefix("ab")])])
        var checks = HeaderChecks()
        let ranges = conditions.map { checks.add($0) }
        var requests: [[(name: String, value: String)]] = [[]]
        for name in Self.names {
            for value in Self.values {
                requests.append([(name, value)])
                requests.append([("x-a", "zzz"), (name, value)])
                requests.append([(name, value), ("x-b", "abq")])
            }
        }
        for (set, range) in zip(conditions, ranges) {
            for headers in requests {
                let request = RequestFacts(method: "GET", path: "/", headers: headers)
                let expected = set.allSatisfy { $0.holds(for: request) }
                #expect(checks.holds(range, request) == expected, "\(set) on \(headers)")
            }
        }
    }

    /// Rules naming one principal pattern each, a peer matching up to six patterns (more than the four kept
    /// inline), rules with two or duplicated principals and rules with no `from`: the entry-based peer check and
    /// the bitset must agree with the reference interpreter.
    @Test("peer check through the clause's principal pattern decides as the reference")
    func peerPatterns() {
        let principals = ["spiffe://example.org/ns/a/sa/x", "spiffe://example.org/ns/a/*", "spiffe://example.org/*",
            "*/sa/x", "*", "spiffe://example.org/ns/a/sa/*", "spiffe://example.org/ns/b/sa/x"]
        var rules: [String] = []
        for (i, principal) in principals.enumerated() {
            rules.append("{\"id\": \"one\(i)\", \"effect\": \"allow\", \"from\": [{\"principals\": [\"\(principal)\"]}], \"to\": [{\"paths\": [\"/p\(i)\"], \"methods\": [\"GET\"]}]}")
            rules.append("{\"id\": \"dup\(i)\", \"effect\": \"allow\", \"from\": [{\"principals\": [\"\(principal)\", \"\(principal)\"]}], \"to\": [{\"paths\": [\"/d\(i)\"]}]}")
        }
        rules.append("{\"id\": \"two\", \"effect\": \"allow\", \"from\": [{\"principals\": [\"\(principals[6])\", \"\(principals[1])\"]}], \"to\": [{\"paths\": [\"/two\"]}]}")
        rules.append("{\"id\": \"deny-any\", \"effect\": \"deny\", \"to\": [{\"paths\": [\"/p0\"], \"methods\": [\"DELETE\"]}]}")
        rules.append("{\"id\": \"not\", \"effect\": \"allow\", \"from\": [{\"notPrincipals\": [\"\(principals[0])\"]}], \"to\": [{\"paths\": [\"/not\"]}]}")
        let set = Fixture.set("{\"name\": \"p\", \"target\": \"\(Fixture.orders)\", \"rules\": [\(rules.joined(separator: ","))]}")
        let table = DecisionTable(compiling: set, target: Fixture.orders, maxHits: 16, maxWords: 64, peerChecksByEntry: true)
        let reference = ReferenceInterpreter(set)
        let peers: [String?] = [nil, "spiffe://example.org/ns/a/sa/x", "spiffe://example.org/ns/a/sa/y",
            "spiffe://example.org/ns/b/sa/x", "spiffe://other.org/ns/c/sa/x", "spiffe://other.org/ns/c/sa/z"]
        var paths = ["/two", "/not", "/none"]
        for i in principals.indices { paths += ["/p\(i)", "/d\(i)"] }
        var allowed = 0
        for principal in peers {
            let peer = table.resolve(ConnectionFacts(principal: principal))
            for path in paths {
                for method in ["GET", "DELETE"] {
                    let actual = table.decide(RequestFacts(method: method, path: path), peer: peer)
                    let expected = reference.decide(ReferenceInterpreter.Input(target: Fixture.orders, principal: principal,
                        method: method, path: path, host: nil, port: nil, sourceIP: nil, sni: nil, headers: []))
                    #expect(actual == expected, "\(principal ?? "no peer") \(method) \(path)")
                    if actual.isAllowed { allowed += 1 }
                }
            }
        }
        #expect(allowed > 10)
        // The first peer matches five patterns (beyond the inline four), the others fewer.
        #expect(!table.resolve(ConnectionFacts(principal: "spiffe://example.org/ns/a/sa/x")).patternsInline)
        #expect(table.resolve(ConnectionFacts(principal: "spiffe://other.org/ns/c/sa/x")).patternsInline)
    }
}
