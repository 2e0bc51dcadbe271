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
        let active = bits.indices.filter { bits[$0] != 0 }.map { Int32($0) }
        return PeerView(bits: bits, active: active, connection: connection)
    }

    /// Decides one request on a connection resolved with `resolve`. Allocation-free unless a dry-run policy
    /// matches (its results are collected in an array).
    ///
    /// Usually driven by the path: the few bitset words where the matching path patterns have bits are ANDed
    /// with the peer, method, port and host sets. When a path hits too many words it falls back to ANDing
    /// across every word the peer is active in.
    public func decide(_ request: RequestFacts, peer: PeerView) -> Decision {
        if peer.active.isEmpty { return .defaultDeny }
        let methodSet = Int(methodSets[methodIndex(request.method)])
        let portSet = Int(portSets[portIndex(request.port)])
        let words = wordCount
        let usePorts = !ports.isEmpty
        let hostless = request.hostWithoutPort.map { $0.isEmpty } ?? true
        return arena.withUnsafeBufferPointer { arena in
            peer.bits.withUnsafeBufferPointer { peerBits in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * maxHits + maxWords) { scratch in
                    // Path hits (`sparse` indices), then host hits (set offsets), then candidate words.
                    var pathHits = 0
                    var overflow = false  // more hits than fit on the stack: use the dense form
                    if pathAnyWords > 0 {
                        scratch[0] = pathAny
                        pathHits = 1
                    }
                    var path = request.path
                    path.withUTF8 { bytes in
                        let hitBuffer = UnsafeMutableBufferPointer(rebasing: scratch[0..<maxHits])
                        if !pathTrie.collect(bytes, into: hitBuffer, count: &pathHits) { overflow = true }
                        for entry in pathSuffixes where endsWith(bytes, entry.suffix) {
                            if pathHits < maxHits { scratch[pathHits] = entry.set; pathHits += 1 } else { overflow = true }
                        }
                    }
                    var hostHits = 0
                    if hasHostConstraints, !hostless, var host = request.hostWithoutPort {
                        host.withUTF8 { bytes in
                            let exact = hostExact.lookup(bytes, parent: 0)
                            func add(_ set: Int32) {
                                if hostHits < maxHits { scratch[maxHits + hostHits] = set; hostHits += 1 } else { overflow = true }
                            }
                            add(hostPresent)
                            if exact >= 0 { add(exact) }
                            for entry in hostPrefixes where startsWithFolded(bytes, entry.prefix) { add(entry.set) }
                            for entry in hostSuffixes where endsWithFolded(bytes, entry.suffix) { add(entry.set) }
                        }
                    }
                    @inline(__always) func hostMask(_ w: Int) -> UInt64 {
                        guard hasHostConstraints else { return ~0 }
                        var mask = arena[Int(hostAny) + w]
                        for i in 0..<hostHits { mask |= arena[Int(scratch[maxHits + i]) + w] }
                        return mask
                    }
                    if overflow { return denseDecide(request, peer: peer, methodSet: methodSet, portSet: portSet) }
                    // Candidate words: the hit path sets' non-zero words with their bits, merged in word order.
                    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxWords) { candidateBits in
                        let wordBase = 2 * maxHits
                        var candidates = 0
                        for i in 0..<pathHits {
                            var k = Int(scratch[i])
                            while true {
                                let entry = sparse[k]
                                if entry.bits != 0 {
                                    // Insertion into the sorted, merged candidate list.
                                    let word = entry.word
                                    var j = candidates
                                    while j > 0 && scratch[wordBase + j - 1] > word { j -= 1 }
                                    if j > 0 && scratch[wordBase + j - 1] == word {
                                        candidateBits[j - 1] |= entry.bits
                                    } else {
                                        if candidates == maxWords {
                                            // Too many words: AND across the peer's active words instead.
                                            return peer.active.withUnsafeBufferPointer { active in
                                                scan(request, words: active) { w in
                                                    var pathMask: UInt64 = 0
                                                    for i in 0..<pathHits {
                                                        pathMask |= arena[Int(sparse[Int(scratch[i])].set) * words + w]
                                                    }
                                                    return peerBits[w] & arena[methodSet + w] & arena[portSet + w] & pathMask
                                                        & hostMask(w)
                                                }
                                            }
                                        }
                                        var m = candidates
                                        while m > j {
                                            scratch[wordBase + m] = scratch[wordBase + m - 1]
                                            candidateBits[m] = candidateBits[m - 1]
                                            m -= 1
                                        }
                                        scratch[wordBase + j] = word
                                        candidateBits[j] = entry.bits
                                        candidates += 1
                                    }
                                }
                                if entry.isLast { break }
                                k += 1
                            }
                        }
                        var index = 0
                        return scan(request, words: UnsafeBufferPointer(rebasing: scratch[wordBase..<wordBase + candidates])) { w in
                            // `scan` visits the candidate words in order, so `index` follows it.
                            while Int(scratch[wordBase + index]) != w { index += 1 }
                            let peerWord = peerBits[w]
                            if peerWord == 0 { return 0 }
                            let portMask = usePorts ? arena[portSet + w] : ~0
                            return peerWord & candidateBits[index] & arena[methodSet + w] & portMask & hostMask(w)
                        }
                    }
                }
            }
        }
    }


    /// The dense form: every set ORed over all the peer's active words (used when hits overflow the stack).
    private func denseDecide(_ request: RequestFacts, peer: PeerView, methodSet: Int, portSet: Int) -> Decision {
        let words = wordCount
        return arena.withUnsafeBufferPointer { arena in
            peer.bits.withUnsafeBufferPointer { peerBits in
                peer.active.withUnsafeBufferPointer { active in
                    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words * 2) { scratch in
                        let pathBits = UnsafeMutableBufferPointer(rebasing: scratch[0..<words])
                        let hostBits = UnsafeMutableBufferPointer(rebasing: scratch[words..<words * 2])
                        @inline(__always) func or(_ target: UnsafeMutableBufferPointer<UInt64>, _ set: Int32) {
                            let base = Int(set)
                            for w in active { target[Int(w)] |= arena[base + Int(w)] }
                        }
                        @inline(__always) func or(_ target: UnsafeMutableBufferPointer<UInt64>, number: Int32) {
                            let base = Int(number) * words
                            for w in active { target[Int(w)] |= arena[base + Int(w)] }
                        }
                        for w in active {
                            pathBits[Int(w)] = arena[Int(sparse[Int(pathAny)].set) * words + Int(w)]
                            hostBits[Int(w)] = arena[Int(hostAny) + Int(w)]
                        }
                        var path = request.path
                        path.withUTF8 { bytes in
                            pathTrie.forEachHit(bytes) { or(pathBits, number: sparse[Int($0)].set) }
                            for entry in pathSuffixes where endsWith(bytes, entry.suffix) { or(pathBits, number: sparse[Int(entry.set)].set) }
                        }
                        if var host = request.hostWithoutPort, !host.isEmpty {
                            or(hostBits, hostPresent)
                            host.withUTF8 { bytes in
                                let exact = hostExact.lookup(bytes, parent: 0)
                                if exact >= 0 { or(hostBits, exact) }
                                for entry in hostPrefixes where startsWithFolded(bytes, entry.prefix) { or(hostBits, entry.set) }
                                for entry in hostSuffixes where endsWithFolded(bytes, entry.suffix) { or(hostBits, entry.set) }
                            }
                        }
                        return scan(request, words: active) { w in
                            peerBits[w] & arena[methodSet + w] & arena[portSet + w] & pathBits[w] & hostBits[w]
                        }
                    }
                }
            }
        }
    }

    /// Convenience for one-off decisions (CLI, tests): resolves the connection and decides.
    public func decide(_ request: RequestFacts, connection: ConnectionFacts) -> Decision {
        decide(request, peer: resolve(connection))
    }

    /// Walks `words` in ascending order, taking the first enforced clause (denies come first) and collecting
    /// dry-run results; `mask(w)` gives the clauses of word `w` that match every indexed field.
    @inline(__always)
    private func scan(_ request: RequestFacts, words: UnsafeBufferPointer<Int32>, mask: (Int) -> UInt64) -> Decision {
        var decided: Int = -1
        var dryRun: [DryRunResult] = []
        var lastDryPolicy: Int32 = -1
        for w32 in words {
            let w = Int(w32)
            if decided >= 0 && (w + 1) * 64 <= dryRunStart { continue }
            var v = mask(w)
            while v != 0 {
                let c = w << 6 | v.trailingZeroBitCount
                v &= v - 1
                if c < dryRunStart {
                    if decided >= 0 { continue }
                    if residualBits[w] & (1 << UInt64(c & 63)) != 0 && !residualHolds(c, request) { continue }
                    decided = c
                    if !hasDryRun { return decision(for: c, dryRun: []) }
                } else {
                    let rule = Int(clauseRules[c])
                    if rules[rule].policy == lastDryPolicy { continue }
                    if residualBits[w] & (1 << UInt64(c & 63)) != 0 && !residualHolds(c, request) { continue }
                    lastDryPolicy = rules[rule].policy
                    dryRun.append(DryRunResult(policy: rules[rule].policyName, rule: rules[rule].id, effect: rules[rule].effect))
                }
            }
        }
        if decided >= 0 { return decision(for: decided, dryRun: dryRun) }
        return Decision(effect: .deny, policy: nil, rule: nil, dryRun: dryRun)
    }

    @inline(__always)
    private func decision(for clause: Int, dryRun: [DryRunResult]) -> Decision {
        if dryRun.isEmpty { return clauseDecisions[clause] }
        let base = clauseDecisions[clause]
        return Decision(effect: base.effect, policy: base.policy, rule: base.rule, dryRun: dryRun)
    }

    /// `notPaths`, `notHosts` and header conditions of a candidate clause.
    private func residualHolds(_ c: Int, _ request: RequestFacts) -> Bool {
        if !clauses[c].notPaths.isEmpty && clauses[c].notPaths.contains(where: { $0.matches(request.path) }) {
            return false
        }
        if !clauses[c].notHosts.isEmpty, let host = request.hostWithoutPort, !host.isEmpty {
            let lowered = host.lowercased()
            if clauses[c].notHosts.contains(where: { $0.matches(lowered) }) { return false }
        }
        let rule = Int(clauseRules[c])
        if rules[rule].headerConditions.isEmpty { return true }
        return rules[rule].headerConditions.allSatisfy { $0.holds(for: request) }
    }

    @inline(__always)
    func methodIndex(_ method: String) -> Int {
        var method = method
        return method.withUTF8 { bytes in
            for (index, name) in methodNames.enumerated() where name.count == bytes.count {
                if name.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return index }
            }
            return methodNames.count
        }
    }

    @inline(__always)
    func portIndex(_ port: Int?) -> Int {
        guard let port else { return ports.count }
        var low = 0
        var high = ports.count
        while low < high {
            let mid = (low + high) >> 1
            if ports[mid] < port { low = mid + 1 } else { high = mid }
        }
        return low < ports.count && ports[low] == port ? low : ports.count
    }
}

@inline(__always)
private func endsWith(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
    guard bytes.count >= suffix.count else { return false }
    let offset = bytes.count - suffix.count
    for i in 0..<suffix.count where bytes[offset + i] != suffix[i] { return false }
    return true
}

@inline(__always)
private func fold(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

private func startsWithFolded(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
    guard bytes.count >= prefix.count else { return false }
    for i in 0..<prefix.count where fold(bytes[i]) != prefix[i] { return false }
    return true
}

private func endsWithFolded(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Bool {
    guard bytes.count >= suffix.count else { return false }
    let offset = bytes.count - suffix.count
    for i in 0..<suffix.count where fold(bytes[offset + i]) != suffix[i] { return false }
    return true
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
    guard text.utf8.count == lowercased.utf8.count else { return false }
    for (a, b) in zip(text.utf8, lowercased.utf8) where (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) != b { return false }
    return true
}
