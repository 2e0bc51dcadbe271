import CWardPrefetch

/// The per-request half of a decision: the evaluator's hot path.
///
/// Written for the memory system more than for the instruction count: with thousands of rules and connections
/// the table does not fit in the core's caches, so each request should touch few cache lines, and those it must
/// touch should not wait on each other. A decision (1) walks the path trie, whose levels are fetched in parallel
/// (see `PathTrie`), (2) merges the few sparse words its path sets hit into candidate words, (3) ANDs each with
/// the peer's, method's, port's and host's word, and (4) takes the first surviving clause. Nothing is allocated
/// unless a dry-run policy matches; the scratch space lives on the stack.
extension DecisionTable {
    /// Stack capacity for path hits, host hits and candidate words (`maxHits` and `maxWords` are at most these).
    static let hitCapacity = 16
    static let wordCapacity = 64

    /// Decides one request on a connection resolved with `resolve`. Allocation-free unless a dry-run policy
    /// matches (its results are collected in an array).
    ///
    /// Usually driven by the path: the few bitset words where the matching path patterns have bits are ANDed
    /// with the peer, method, port and host sets. When a path hits too many words it falls back to ANDing
    /// across every word the peer is active in, and when it hits too many patterns, to dense bitsets.
    public func decide(_ request: RequestFacts, peer: PeerView) -> Decision {
        if peer.isEmpty { return .defaultDeny }
        let methodSet = Int(methodSets[methodIndex(request.method)])
        let portSet = ports.isEmpty ? -1 : Int(portSets[portIndex(request.port)])
        return withUnsafeTemporaryAllocation(of: PathHit.self, capacity: Self.hitCapacity) { pathHits in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.hitCapacity + Self.wordCapacity) { ints in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.wordCapacity) { masks in
                    decide(request, peer, methodSet, portSet, pathHits.baseAddress!, ints.baseAddress!, masks.baseAddress!)
                }
            }
        }
    }

    /// `decide` with its scratch: `hits` holds path hits; `ints` host hits (arena offsets) at 0 and candidate
    /// words at `maxHits`; `masks` the candidate words' bits.
    @inline(__always)
    private func decide(_ request: RequestFacts, _ peer: PeerView, _ methodSet: Int, _ portSet: Int,
        _ hits: UnsafeMutablePointer<PathHit>, _ ints: UnsafeMutablePointer<Int32>, _ masks: UnsafeMutablePointer<UInt64>)
        -> Decision
    {
        // 1. Path patterns that match.
        var pathHits = 0
        if pathAnyWords > 0 {
            hits[0] = PathHit(sparse: pathAny)
            pathHits = 1
        }
        let pathComplete = utf8Bytes(request.path) { bytes in
            collectPathHits(bytes, into: UnsafeMutableBufferPointer(start: hits, count: maxHits), count: &pathHits)
        }
        if !pathComplete { return denseDecide(request, peer: peer, methodSet: methodSet, portSet: portSet) }
        // 2. Host patterns that match (only when some clause constrains the host).
        let hostHitBase = ints
        var hostHits = 0
        if hasHostConstraints, let host = request.hostWithoutPort, !host.isEmpty {
            hostHits = collectHostHits(host, into: UnsafeMutableBufferPointer(start: hostHitBase, count: maxHits))
            if hostHits < 0 { return denseDecide(request, peer: peer, methodSet: methodSet, portSet: portSet) }
        }
        // 3. Candidate words: the hit path sets' non-zero words with their bits, merged in word order.
        let words = ints + maxHits
        var count = 0
        for i in 0..<pathHits {
            var k = Int(hits[i].sparse)
            while true {
                // A one-word set inlined in its trie slot needs no read of `sparse`.
                let inlined = hits[i].bits != 0
                let entry = inlined ? SparseWord(bits: hits[i].bits, set: 0, word: Int(hits[i].word), isLast: true) : sparse[k]
                if entry.bits != 0 {
                    let word = entry.word
                    var j = count
                    while j > 0 && words[j - 1] > word { j -= 1 }
                    if count == 0 {
                        // Most paths hit one clause: fetch its entry now, while the rest of the walk's results
                        // and the method word are combined (the entry also says which peers have the clause).
                        ward_prefetch(entries + (Int(word) << 6 | entry.bits.trailingZeroBitCount))
                    }
                    if j > 0 && words[j - 1] == word {
                        masks[j - 1] |= entry.bits
                    } else {
                        if count == maxWords {
                            return activeDecide(request, peer: peer, methodSet: methodSet, portSet: portSet,
                                pathHits: UnsafeBufferPointer(start: hits, count: pathHits),
                                hostHits: UnsafeBufferPointer(start: hostHitBase, count: hostHits))
                        }
                        var m = count
                        while m > j {
                            words[m] = words[m - 1]
                            masks[m] = masks[m - 1]
                            m -= 1
                        }
                        words[j] = word
                        masks[j] = entry.bits
                        count += 1
                    }
                }
                if entry.isLast { break }
                k += 1
            }
        }
        // 4. AND with the method, port and host words (small, cached), then keep the clauses the peer has;
        //    then the first clause that survives.
        arena.withUnsafeBufferPointer { arena in
            for i in 0..<count {
                let w = Int(words[i])
                var v = masks[i] & arena[methodSet + w]
                if portSet >= 0 { v &= arena[portSet + w] }
                if hasHostConstraints { v &= hostMask(arena, w, UnsafeBufferPointer(start: hostHitBase, count: hostHits)) }
                masks[i] = v == 0 ? 0 : peerFilter(v, w, peer)
            }
        }
        return scan(request, words: UnsafeBufferPointer(start: words, count: count),
            masks: UnsafeBufferPointer(start: masks, count: count))
    }

    /// Trie and suffix hits for a normalized path; false when more than `hits` can hold.
    @inline(__always)
    private func collectPathHits(_ bytes: UnsafeBufferPointer<UInt8>, into hits: UnsafeMutableBufferPointer<PathHit>,
        count: inout Int) -> Bool
    {
        guard pathTrie.collect(bytes, into: hits, count: &count) else { return false }
        for entry in pathSuffixes where endsWith(bytes, entry.suffix) {
            guard count < hits.count else { return false }
            hits[count] = PathHit(sparse: entry.set)
            count += 1
        }
        return true
    }

    /// Arena offsets of the host sets matching `host` (present, exact, prefixes, suffixes); -1 when more than
    /// `hits` can hold.
    private func collectHostHits(_ host: Substring, into hits: UnsafeMutableBufferPointer<Int32>) -> Int {
        var count = 0
        var host = host
        return host.withUTF8 { bytes in
            func add(_ set: Int32) -> Bool {
                guard count < hits.count else { return false }
                hits[count] = set
                count += 1
                return true
            }
            guard add(hostPresent) else { return -1 }
            let exact = hostExact.lookup(bytes, parent: 0)
            if exact >= 0 && !add(exact) { return -1 }
            for entry in hostPrefixes where startsWithFolded(bytes, entry.prefix) { guard add(entry.set) else { return -1 } }
            for entry in hostSuffixes where endsWithFolded(bytes, entry.suffix) { guard add(entry.set) else { return -1 } }
            return count
        }
    }

    /// The clauses of `v` (word `w`) that `peer` has. With one or two candidates and a peer whose matched
    /// principal patterns fit inline, each candidate's `ClauseEntry` (the line holding its answer, already
    /// prefetched) says which peers have it, and the peer's bitset word, a cache miss at scale, is not read.
    @inline(__always)
    private func peerFilter(_ v: UInt64, _ w: Int, _ peer: PeerView) -> UInt64 {
        // At most two bits: clearing the lowest twice leaves nothing (cheaper than a popcount without POPCNT).
        let rest2 = v & (v &- 1)
        guard peerChecksByEntry && peer.patternsInline && rest2 & (rest2 &- 1) == 0 else { return v & peer.bits[w] }
        var kept: UInt64 = 0
        var rest = v
        while rest != 0 {
            let bit = rest & (0 &- rest)
            rest &= rest &- 1
            let pattern = entries[w << 6 | bit.trailingZeroBitCount].peerPattern
            let has = pattern == ClauseEntry.anyPeer
                || (pattern >= 0 ? peer.hasPattern(pattern) : peer.bits[w] & bit != 0)
            if has { kept |= bit }
        }
        return kept
    }

    /// Clauses of word `w` whose host constraint the request meets.
    @inline(__always)
    private func hostMask(_ arena: UnsafeBufferPointer<UInt64>, _ w: Int, _ hostHits: UnsafeBufferPointer<Int32>) -> UInt64 {
        var mask = arena[Int(hostAny) + w]
        for set in hostHits { mask |= arena[Int(set) + w] }
        return mask
    }

    /// Fallback when the path's sets span more than `maxWords` words: AND across the peer's active words.
    private func activeDecide(_ request: RequestFacts, peer: PeerView, methodSet: Int, portSet: Int,
        pathHits: UnsafeBufferPointer<PathHit>, hostHits: UnsafeBufferPointer<Int32>) -> Decision
    {
        let words = wordCount
        let masks = arena.withUnsafeBufferPointer { arena in
            peer.active.map { w32 -> UInt64 in
                let w = Int(w32)
                var pathMask: UInt64 = 0
                for hit in pathHits {
                    // A hit with `bits` set is a one-word set given inline (its sparse index may be -1).
                    pathMask |= hit.bits != 0 ? (Int(hit.word) == w ? hit.bits : 0) : arena[Int(sparse[Int(hit.sparse)].set) * words + w]
                }
                var v = peer.bits[w] & arena[methodSet + w] & pathMask
                if portSet >= 0 { v &= arena[portSet + w] }
                if hasHostConstraints { v &= hostMask(arena, w, hostHits) }
                return v
            }
        }
        return peer.active.withUnsafeBufferPointer { active in
            masks.withUnsafeBufferPointer { scan(request, words: active, masks: $0) }
        }
    }

    /// Fallback when the path or host matches more patterns than the stack holds: every set ORed densely over
    /// the peer's active words.
    private func denseDecide(_ request: RequestFacts, peer: PeerView, methodSet: Int, portSet: Int) -> Decision {
        let words = wordCount
        var pathBits = [UInt64](repeating: 0, count: words)
        var hostBits = [UInt64](repeating: 0, count: words)
        arena.withUnsafeBufferPointer { arena in
            func or(_ target: inout [UInt64], offset: Int) {
                for w in peer.active { target[Int(w)] |= arena[offset + Int(w)] }
            }
            or(&pathBits, offset: Int(sparse[Int(pathAny)].set) * words)
            or(&hostBits, offset: Int(hostAny))
            utf8Bytes(request.path) { bytes in
                pathTrie.forEachHit(bytes) { hit in
                    if hit.bits != 0 {
                        pathBits[Int(hit.word)] |= hit.bits
                    } else {
                        or(&pathBits, offset: Int(sparse[Int(hit.sparse)].set) * words)
                    }
                }
                for entry in pathSuffixes where endsWith(bytes, entry.suffix) {
                    or(&pathBits, offset: Int(sparse[Int(entry.set)].set) * words)
                }
            }
            if var host = request.hostWithoutPort, !host.isEmpty {
                or(&hostBits, offset: Int(hostPresent))
                host.withUTF8 { bytes in
                    let exact = hostExact.lookup(bytes, parent: 0)
                    if exact >= 0 { or(&hostBits, offset: Int(exact)) }
                    for entry in hostPrefixes where startsWithFolded(bytes, entry.prefix) { or(&hostBits, offset: Int(entry.set)) }
                    for entry in hostSuffixes where endsWithFolded(bytes, entry.suffix) { or(&hostBits, offset: Int(entry.set)) }
                }
            }
        }
        let masks = arena.withUnsafeBufferPointer { arena in
            peer.active.map { w32 -> UInt64 in
                let w = Int(w32)
                var v = peer.bits[w] & arena[methodSet + w] & pathBits[w] & hostBits[w]
                if portSet >= 0 { v &= arena[portSet + w] }
                return v
            }
        }
        return peer.active.withUnsafeBufferPointer { active in
            masks.withUnsafeBufferPointer { scan(request, words: active, masks: $0) }
        }
    }

    /// Walks `words` (ascending) with `masks` (the clauses of each word that match every indexed field), taking
    /// the first enforced clause (denies come first) and collecting dry-run results.
    private func scan(_ request: RequestFacts, words: UnsafeBufferPointer<Int32>, masks: UnsafeBufferPointer<UInt64>)
        -> Decision
    {
        var decided: Int = -1
        var dryRun: [DryRunResult] = []
        var lastDryPolicy: Int32 = -1
        for i in 0..<words.count {
            let w = Int(words[i])
            if decided >= 0 && (w + 1) * 64 <= dryRunStart { continue }
            var v = masks[i]
            while v != 0 {
                let c = w << 6 | v.trailingZeroBitCount
                v &= v - 1
                if c < dryRunStart {
                    if decided >= 0 { continue }
                    if residualBits[w] & (1 << UInt64(c & 63)) != 0 && !residualHolds(c, request) { continue }
                    decided = c
                    if !hasDryRun { return entries[c].decision }
                } else {
                    let rule = Int(clauseRules[c])
                    if rules[rule].policy == lastDryPolicy { continue }
                    if residualBits[w] & (1 << UInt64(c & 63)) != 0 && !residualHolds(c, request) { continue }
                    lastDryPolicy = rules[rule].policy
                    dryRun.append(DryRunResult(policy: rules[rule].policyName, rule: rules[rule].id, effect: rules[rule].effect))
                }
            }
        }
        guard decided >= 0 else { return Decision(effect: .deny, policy: nil, rule: nil, dryRun: dryRun) }
        if dryRun.isEmpty { return entries[decided].decision }
        let base = entries[decided].decision
        return Decision(effect: base.effect, policy: base.policy, rule: base.rule, dryRun: dryRun)
    }

    /// `notPaths`, `notHosts` and header conditions of a candidate clause (headers through the flat
    /// `HeaderChecks`, located by the clause's entry; `clauses` is read only for `notPaths`/`notHosts`).
    private func residualHolds(_ c: Int, _ request: RequestFacts) -> Bool {
        if entries[c].hasNotPathsOrHosts && !notPathsOrHostsHold(c, request) { return false }
        return headerChecks.holds(entries[c].headerStart..<entries[c].headerEnd, request)
    }

    private func notPathsOrHostsHold(_ c: Int, _ request: RequestFacts) -> Bool {
        if !clauses[c].notPaths.isEmpty && clauses[c].notPaths.contains(where: { $0.matches(request.path) }) {
            return false
        }
        if !clauses[c].notHosts.isEmpty, let host = request.hostWithoutPort, !host.isEmpty {
            let lowered = host.lowercased()
            if clauses[c].notHosts.contains(where: { $0.matches(lowered) }) { return false }
        }
        return true
    }

    /// Index of the request's method in `methodNames` (`methodNames.count` for any other): method names are
    /// compared as packed 8-byte words, which covers every standard method in one integer compare.
    @inline(__always)
    func methodIndex(_ method: String) -> Int {
        utf8Bytes(method) { bytes in
            let packed = packedPrefix(bytes)
            for index in 0..<methodNames.count where methodWords[index] == packed && methodNames[index].count == bytes.count {
                if bytes.count <= 8 { return index }
                if methodNames[index].withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return index }
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

/// A string's UTF-8 bytes without copying the string (native strings are contiguous; others are copied).
@inline(__always)
func utf8Bytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    var copy = text
    return copy.withUTF8(body)
}

/// The first 8 bytes of `bytes` packed little-endian into one word (zero-padded).
@inline(__always)
func packedPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var packed: UInt64 = 0
    for i in 0..<min(8, bytes.count) { packed |= UInt64(bytes[i]) << UInt64(8 * i) }
    return packed
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
