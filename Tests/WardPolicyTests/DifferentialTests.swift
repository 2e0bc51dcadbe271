import Testing
import WardJSON
@testable import WardPolicy

/// SplitMix64: small, seeded, reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Compiled evaluator versus reference interpreter")
struct DifferentialTests {
    static let principals = ["spiffe://example.org/ns/a/sa/x", "spiffe://example.org/ns/a/sa/y",
        "spiffe://example.org/ns/b/sa/x", "spiffe://other.org/ns/a/sa/x"]
    static let principalPatterns = principals + ["spiffe://example.org/ns/a/*", "spiffe://example.org/*", "*/sa/x", "*"]
    static let pathPatterns = ["/", "/a", "/a/", "/a/b", "/a/b/c", "/a*", "/a/*", "/b/*", "/*", "*", "*.js", "*/c",
        "/a/{*}", "/a/{*}/c", "/{*}/b", "/a/{**}", "/{**}", "/{*}/{*}/{**}", "/b/{*}", "/ab",
        // Segments around the trie's 4-, 8- and 16-byte key packing, and long ones sharing 16-byte prefixes.
        "/abcdefghijklmnop/{*}", "/abcdefghijklmnopq", "/abcdefghijklmnopr/{**}", "/abcdefgh/abcdefghi*",
        "/seven77/{*}/twelve123456", "/abcd/abcdefg"]
    static let paths = ["/", "/a", "/a/", "/a/b", "/a/b/", "/a/b/c", "/a/x/c", "/a/b/c/d", "/b", "/b/x.js", "/ab",
        "/abc", "/x/b", "/a/app.js", "/c", "/abcdefghijklmnop/x", "/abcdefghijklmnopq", "/abcdefghijklmnopr/s/t",
        "/abcdefghijklmnopqr", "/abcdefgh/abcdefghij", "/seven77/x/twelve123456", "/seven77/x/twelve12345", "/abcd/abcdefg",
        "/abcd/abcdefh", "/abce/abcdefg"]
    static let hostPatterns = ["a.example.org", "*.example.org", "b.*", "*", "example.org"]
    static let hosts: [String?] = [nil, "a.example.org", "A.Example.Org:8443", "b.other", "example.org", "x.example.org", ""]
    static let methods = ["GET", "POST", "DELETE", "PUT", "OPTIONS", "CONNECT"]
    /// Requests also carry methods no policy can name, longer than the evaluator's 8-byte packed compare.
    static let requestMethods = methods + ["PROPFIND", "VERSION-CONTROL", "OPTIONSX", "CONNEC"]
    static let ports = [80, 443, 8080]
    static let blocks = ["10.0.0.0/8", "10.1.0.0/16", "192.168.1.1", "0.0.0.0/0"]
    static let ips: [String?] = [nil, "10.1.2.3", "10.2.0.1", "192.168.1.1", "172.16.0.1"]
    static let snis: [String?] = [nil, "a.example.org", "b.example.org"]
    static let headerValues = ["v1", "v2", "x*", "*"]

    static func pick<T>(_ list: [T], _ rng: inout SeededRandom, max: Int = 3) -> [T] {
        let count = Int.random(in: 1...max, using: &rng)
        var result: [T] = []
        for _ in 0..<count { result.append(list.randomElement(using: &rng)!) }
        return result
    }

    static func quoted(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]" }

    static func randomRule(_ rng: inout SeededRandom, index: Int) -> String {
        var fields = ["\"effect\": \"\(Bool.random(using: &rng) ? "allow" : "deny")\""]
        if Int.random(in: 0..<3, using: &rng) == 0 { fields.append("\"id\": \"r\(index)\"") }
        if Bool.random(using: &rng) {
            var sources: [String] = []
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                var parts: [String] = []
                if Int.random(in: 0..<3, using: &rng) > 0 { parts.append("\"principals\": \(quoted(pick(principalPatterns, &rng)))") }
                if Int.random(in: 0..<4, using: &rng) == 0 { parts.append("\"notPrincipals\": \(quoted(pick(principalPatterns, &rng, max: 1)))") }
                if Int.random(in: 0..<4, using: &rng) == 0 { parts.append("\"ipBlocks\": \(quoted(pick(blocks, &rng)))") }
                if Int.random(in: 0..<5, using: &rng) == 0 { parts.append("\"notIpBlocks\": \(quoted(pick(blocks, &rng, max: 1)))") }
                if parts.isEmpty { parts.append("\"principals\": [\"*\"]") }
                sources.append("{" + parts.joined(separator: ",") + "}")
            }
            fields.append("\"from\": [" + sources.joined(separator: ",") + "]")
        }
        if Int.random(in: 0..<4, using: &rng) > 0 {
            var ops: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                var parts: [String] = []
                if Bool.random(using: &rng) { parts.append("\"methods\": \(quoted(pick(methods, &rng)))") }
                if Int.random(in: 0..<5, using: &rng) == 0 { parts.append("\"notMethods\": \(quoted(pick(methods, &rng, max: 2)))") }
                if Int.random(in: 0..<3, using: &rng) > 0 { parts.append("\"paths\": \(quoted(pick(pathPatterns, &rng)))") }
                if Int.random(in: 0..<5, using: &rng) == 0 { parts.append("\"notPaths\": \(quoted(pick(pathPatterns, &rng, max: 2)))") }
                if Int.random(in: 0..<4, using: &rng) == 0 { parts.append("\"hosts\": \(quoted(pick(hostPatterns, &rng)))") }
                if Int.random(in: 0..<6, using: &rng) == 0 { parts.append("\"notHosts\": \(quoted(pick(hostPatterns, &rng, max: 1)))") }
                if Int.random(in: 0..<4, using: &rng) == 0 { parts.append("\"ports\": [\(pick(ports, &rng).map(String.init).joined(separator: ","))]") }
                if Int.random(in: 0..<6, using: &rng) == 0 { parts.append("\"notPorts\": [\(ports.randomElement(using: &rng)!)]") }
                if parts.isEmpty { parts.append("\"paths\": [\"*\"]") }
                ops.append("{" + parts.joined(separator: ",") + "}")
            }
            fields.append("\"to\": [" + ops.joined(separator: ",") + "]")
        }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            var conditions: [String] = []
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let values = Bool.random(using: &rng) ? "values" : "notValues"
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: conditions.append("{\"key\": \"source.ip\", \"\(values)\": \(quoted(pick(blocks, &rng, max: 2)))}")
                case 1: conditions.append("{\"key\": \"connection.sni\", \"\(values)\": \(quoted(pick(hostPatterns, &rng, max: 2)))}")
                default:
                    let name = ["x-a", "X-B"].randomElement(using: &rng)!
                    conditions.append("{\"key\": \"request.headers[\(name)]\", \"\(values)\": \(quoted(pick(headerValues, &rng, max: 2)))}")
                }
            }
            fields.append("\"when\": [" + conditions.joined(separator: ",") + "]")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static let targets = ["spiffe://example.org/ns/t/sa/one", "spiffe://example.org/ns/t/sa/two"]

    static func randomSet(_ rng: inout SeededRandom, policies maxPolicies: Int = 4, rules maxRules: Int = 8) -> PolicySet {
        var policies: [String] = []
        for p in 0..<Int.random(in: 1...maxPolicies, using: &rng) {
            let target = [targets[0], "spiffe://example.org/ns/t/*", targets[1]].randomElement(using: &rng)!
            let mode = Int.random(in: 0..<4, using: &rng) == 0 ? "dry-run" : "enforce"
            let rules = (0..<Int.random(in: 1...maxRules, using: &rng)).map { randomRule(&rng, index: $0) }
            policies.append("{\"name\": \"p\(p)\", \"target\": \"\(target)\", \"mode\": \"\(mode)\", \"rules\": [\(rules.joined(separator: ","))]}")
        }
        return Fixture.set("[" + policies.joined(separator: ",") + "]")
    }

    @Test("random policy sets and requests decide identically (seeded)", arguments: [1, 2, 3, 4] as [UInt64])
    func differential(seed: UInt64) {
        compare(seed: seed, sets: 100)
    }

    /// The peer checked through clause entries (what tables over `entryPeerCheckWords` words do) and through
    /// the bitset only, on the same random sets.
    @Test("peer checks by clause entry and by bitset decide identically (seeded)", arguments: [(8, true), (9, false)] as [(UInt64, Bool)])
    func differentialPeerChecks(seed: UInt64, byEntry: Bool) {
        compare(seed: seed, sets: 100, peerChecksByEntry: byEntry)
    }

    /// Tiny stack limits push every decision off the fast path: more path hits than fit (dense form) or more
    /// candidate words than fit (scan over the peer's active words). Same answers required.
    @Test("fallback evaluation paths decide identically (seeded)", arguments: [(5, 1, 64), (6, 16, 1), (7, 2, 2)] as [(UInt64, Int, Int)])
    func differentialFallbacks(seed: UInt64, maxHits: Int, maxWords: Int) {
        compare(seed: seed, sets: 60, policies: 8, rules: 20, maxHits: maxHits, maxWords: maxWords)
    }

    func compare(seed: UInt64, sets: Int, policies: Int = 4, rules: Int = 8, maxHits: Int = 16, maxWords: Int = 64,
        peerChecksByEntry: Bool? = true)
    {
        var rng = SeededRandom(state: seed)
        var compared = 0
        var allowed = 0
        for _ in 0..<sets {
            let set = Self.randomSet(&rng, policies: policies, rules: rules)
            let reference = ReferenceInterpreter(set)
            let tables = Dictionary(uniqueKeysWithValues: Self.targets.map {
                ($0, DecisionTable(compiling: set, target: $0, maxHits: maxHits, maxWords: maxWords,
                    peerChecksByEntry: peerChecksByEntry))
            })
            for _ in 0..<40 {
                var headers: [(String, String)] = []
                for name in ["x-a", "X-A", "x-b"] where Int.random(in: 0..<3, using: &rng) == 0 {
                    headers.append((name, ["v1", "v2", "xyz", ""].randomElement(using: &rng)!))
                }
                let input = ReferenceInterpreter.Input(target: Self.targets.randomElement(using: &rng)!,
                    principal: Int.random(in: 0..<8, using: &rng) == 0 ? nil : Self.principals.randomElement(using: &rng)!,
                    method: Self.requestMethods.randomElement(using: &rng)!, path: Self.paths.randomElement(using: &rng)!,
                    host: Self.hosts.randomElement(using: &rng)!,
                    port: Bool.random(using: &rng) ? Self.ports.randomElement(using: &rng)! : nil,
                    sourceIP: Self.ips.randomElement(using: &rng)!, sni: Self.snis.randomElement(using: &rng)!,
                    headers: headers)
                let expected = reference.decide(input)
                let actual = tables[input.target]!.decide(
                    RequestFacts(method: input.method, path: input.path, host: input.host, port: input.port,
                        headers: input.headers.map { (name: $0.0, value: $0.1) }),
                    connection: ConnectionFacts(principal: input.principal, sourceIP: input.sourceIP.flatMap { IPAddress($0) },
                        sni: input.sni))
                #expect(actual == expected, "seed \(seed): \(actual.dryRun) vs \(expected.dryRun) for \(input) in \(set.policies.map { $0.json.serialized() })")
                if actual != expected { return }
                compared += 1
                if actual.isAllowed { allowed += 1 }
            }
        }
        // The generator must exercise both outcomes, or the comparison proves little.
        #expect(allowed > compared / 100 && allowed < compared - compared / 100, "allowed \(allowed) of \(compared)")
    }
}
