import Testing
@testable import WardPolicy

/// The trie's inline set forms: `{**}`, `/a/*` and `{*}`-child sets stored as one clause or as a sparse index
/// (shared by clauses in several bitset words), at the root and deeper, with the fast path and the fallbacks.
@Suite("Path trie inline sets")
struct TrieInlineSetTests {
    @Test("one-clause and shared sets decide as the reference", arguments: [(16, 64), (1, 64), (16, 1)] as [(Int, Int)])
    func inlineSets(maxHits: Int, maxWords: Int) {
        let patterns = ["/*", "/a/*", "/a/{*}", "/a/{**}", "/{*}", "/{*}/b/{*}", "/a/b*", "/{**}", "/a/b/{*}"]
        var rules: [String] = []
        // Each pattern alone (one clause), then again 70 rules later (the set spans two bitset words).
        for (i, pattern) in patterns.enumerated() {
            rules.append("{\"id\": \"solo\(i)\", \"effect\": \"allow\", \"to\": [{\"paths\": [\"\(pattern)\"], \"methods\": [\"GET\"]}]}")
        }
        for i in 0..<70 { rules.append("{\"id\": \"pad\(i)\", \"effect\": \"allow\", \"to\": [{\"paths\": [\"/pad\(i)\"]}]}") }
        for (i, pattern) in patterns.enumerated() where i % 2 == 0 {
            rules.append("{\"id\": \"late\(i)\", \"effect\": \"allow\", \"to\": [{\"paths\": [\"\(pattern)\"], \"methods\": [\"PUT\"]}]}")
        }
        let set = Fixture.set("{\"name\": \"p\", \"target\": \"\(Fixture.orders)\", \"rules\": [\(rules.joined(separator: ","))]}")
        let table = DecisionTable(compiling: set, target: Fixture.orders, maxHits: maxHits, maxWords: maxWords)
        let reference = ReferenceInterpreter(set)
        let paths = ["/", "/a", "/a/", "/a/x", "/a/b", "/a/bc", "/a/b/c", "/a/b/c/d", "/x", "/x/b", "/x/b/y", "/x/b/", "/pad3"]
        for path in paths {
            for method in ["GET", "PUT", "POST"] {
                let actual = table.decide(RequestFacts(method: method, path: path), connection: ConnectionFacts(principal: nil))
                let expected = reference.decide(ReferenceInterpreter.Input(target: Fixture.orders, principal: nil,
                    method: method, path: path, host: nil, port: nil, sourceIP: nil, sni: nil, headers: []))
                #expect(actual == expected, "\(method) \(path)")
            }
        }
    }
}
