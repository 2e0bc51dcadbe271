/// The per-connection and per-request halves of a decision.
extension DecisionTable {
    /// Resolves everything that depends only on the connection: call once per connection, then `decide` per
    /// request. Rules that only name principals are found through an index (exact principals by hash); the rest
    /// (IP blocks, `notPrincipals`, several sources, `source.ip`/SNI conditions) are checked one by one.
    /// Allocates the view's bitset.
    public func resolve(_ connection: ConnectionFacts) -> PeerView {
        var principalMatches = [Bool](repeating: false, count: principalPatterns.count)
        var bits = alwaysBits
        func set(_ rule: Int32) {
            for c in Int(rules[Int(rule)].clauseStart)..<Int(rules[Int(rule)].clauseEnd) {
                bits[c >> 6] |= 1 << UInt64(c & 63)
            }
        }
        if let principal = connection.principal {
            if let exact = exactPrincipals[principal] { principalMatches[Int(exact)] = true }
            for index in inexactPrincipals where principalPatterns[Int(index)].matches(principal) {
                principalMatches[Int(index)] = true
            }
            for (index, matched) in principalMatches.enumerated() where matched {
                for rule in patternRules[index] { set(rule) }
            }
        }
        for r in complexRules {
            let rule = rules[Int(r)]
            guard rule.sources.isEmpty || rule.sources.contains(where: { source in
                (source.principals.isEmpty || source.principals.contains { principalMatches[Int($0)] })
                    && !source.notPrincipals.contains { principalMatches[Int($0)] }
                    && (source.ipBlocks.isEmpty
                        || connection.sourceIP.map { ip in source.ipBlocks.contains { $0.contains(ip) } } == true)
                    && !(connection.sourceIP.map { ip in source.notIpBlocks.contains { $0.contains(ip) } } ?? false)
            }) else { continue }
            guard rule.connectionConditions.allSatisfy({ $0.holds(for: connection) }) else { continue }
            set(r)
        }
        let matched = principalMatches.indices.filter { principalMatches[$0] }.map(Int32.init)
        return PeerView(bits: bits, matchedPatterns: matched, connection: connection)
    }

    /// Convenience for one-off decisions (CLI, tests): resolves the connection and decides.
    public func decide(_ request: RequestFacts, connection: ConnectionFacts) -> Decision {
        decide(request, peer: resolve(connection))
    }
}

extension Condition {
    /// Whether a connection-level condition holds (`source.ip`, `connection.sni`).
    func holds(for connection: ConnectionFacts) -> Bool {
        let matched: Bool
        switch key {
        case .sourceIP:
            matched = connection.sourceIP.map { ip in blocks.contains { $0.contains(ip) } } ?? false
        case .sni:
            matched = connection.sni.map { sni in
                let lowered = sni.lowercased()
                return patterns.contains { $0.matches(lowered) }
            } ?? false
        case .header:
            return true
        }
        return negated ? !matched : matched
    }

    /// Whether a header condition holds: `values` when some occurrence matches; `notValues` when none does
    /// (including when the header is absent).
    func holds(for request: RequestFacts) -> Bool {
        guard case .header(let name) = key else { return true }
        var matched = false
        for header in request.headers where equalsIgnoringASCIICase(header.name, lowercased: name) {
            if patterns.contains(where: { $0.matches(header.value) }) {
                matched = true
                break
            }
        }
        return negated ? !matched : matched
    }
}

/// Whether `text` equals the lower-case `lowercased`, ignoring ASCII case, without allocating.
@inline(__always)
func equalsIgnoringASCIICase(_ text: String, lowercased: String) -> Bool {
    utf8Bytes(text) { a in
        utf8Bytes(lowercased) { b in
            guard a.count == b.count else { return false }
            for i in 0..<a.count where (a[i] >= 0x41 && a[i] <= 0x5A ? a[i] | 0x20 : a[i]) != b[i] { return false }
            return true
        }
    }
}
