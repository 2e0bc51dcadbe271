/// Building a `DecisionTable` from a validated policy set.
extension DecisionTable {
    /// Compiles the policies of `set` that apply to the workload `target` (a SPIFFE ID).
    public convenience init(compiling set: PolicySet, target: String) {
        self.init(compiling: set, target: target, maxHits: 16, maxWords: 64)
    }

    /// As `init(compiling:target:)`, with the evaluator's stack limits chosen (tests use tiny ones) and,
    /// when given, whether peers are checked through clause entries (tests force both forms on small tables).
    convenience init(compiling set: PolicySet, target: String, maxHits: Int, maxWords: Int, peerChecksByEntry: Bool? = nil) {
        var builder = TableBuilder(target: target, policies: set.policies(for: target))
        let t = builder.build()
        self.init(target: t.target, policies: t.policies, rules: t.rules, clauses: t.clauses, clauseRules: t.clauseRules, clauseEntries: t.clauseEntries, headerChecks: t.headerChecks, residualBits: t.residualBits, wordCount: t.wordCount, allowStart: t.allowStart, dryRunStart: t.dryRunStart, arena: t.arena, sparse: t.sparse, methodNames: t.methodNames, methodSets: t.methodSets, ports: t.ports, portSets: t.portSets, pathTrie: t.pathTrie, pathSuffixes: t.pathSuffixes, pathAny: t.pathAny, pathAnyWords: t.pathAnyWords, hostExact: t.hostExact, hostPrefixes: t.hostPrefixes, hostSuffixes: t.hostSuffixes, hasHostConstraints: t.hasHostConstraints, hostAny: t.hostAny, hostPresent: t.hostPresent, principalPatterns: t.principalPatterns, exactPrincipals: t.exactPrincipals, inexactPrincipals: t.inexactPrincipals, patternRules: t.patternRules, complexRules: t.complexRules, alwaysBits: t.alwaysBits, hasDryRun: t.hasDryRun, maxHits: maxHits, maxWords: maxWords, peerChecksByEntry: peerChecksByEntry)
    }
}

/// Mutable state while compiling; produces the immutable table.
private struct TableBuilder {
    let target: String
    let policies: [Policy]
    var arena: [UInt64] = []
    var wordCount = 0

    init(target: String, policies: [Policy]) {
        self.target = target
        self.policies = policies
    }

    /// Adds an empty set, returning its offset.
    mutating func newSet() -> Int32 {
        let offset = arena.count
        arena += repeatElement(0, count: wordCount)
        return Int32(offset)
    }

    mutating func setBit(_ set: Int32, _ clause: Int) {
        arena[Int(set) + clause >> 6] |= 1 << UInt64(clause & 63)
    }

    mutating func build() -> DecisionTable {
        // Order rules: enforced denies, enforced allows, then dry-run policies (denies before allows in each).
        var ordered: [(policy: Int, rule: Rule)] = []
        let enforced = policies.indices.filter { policies[$0].mode == .enforce }
        for effect in [Rule.Effect.deny, .allow] {
            for p in enforced { for rule in policies[p].rules where rule.effect == effect { ordered.append((p, rule)) } }
        }
        let allowStartRule = ordered.filter { policies[$0.policy].mode == .enforce && $0.rule.effect == .deny }.count
        let dryStartRule = ordered.count
        for p in policies.indices where policies[p].mode == .dryRun {
            for effect in [Rule.Effect.deny, .allow] {
                for rule in policies[p].rules where rule.effect == effect { ordered.append((p, rule)) }
            }
        }
        // Clauses.
        var clauseOps: [Operation?] = []
        var clauseRule: [Int] = []
        var ruleRanges: [Range<Int>] = []
        var allowStart = 0
        var dryRunStart = 0
        for (index, entry) in ordered.enumerated() {
            if index == allowStartRule { allowStart = clauseOps.count }
            if index == dryStartRule { dryRunStart = clauseOps.count }
            let start = clauseOps.count
            if entry.rule.to.isEmpty {
                clauseOps.append(nil)
                clauseRule.append(index)
            } else {
                for op in entry.rule.to {
                    clauseOps.append(op)
                    clauseRule.append(index)
                }
            }
            ruleRanges.append(start..<clauseOps.count)
        }
        if allowStartRule >= ordered.count { allowStart = clauseOps.count }
        if dryStartRule >= ordered.count { dryRunStart = clauseOps.count }
        wordCount = max(1, (clauseOps.count + 63) / 64)

        // Methods and ports: one set per mentioned value plus "other", `not` forms folded in.
        let methodNames = Set(clauseOps.flatMap { ($0?.methods ?? []) + ($0?.notMethods ?? []) }).sorted()
        var methodSets: [Int32] = []
        for value in methodNames.map(Optional.some) + [nil] {
            let set = newSet()
            for (c, op) in clauseOps.enumerated() {
                let ok = op.map { op in
                    (op.methods.isEmpty || value.map(op.methods.contains) == true)
                        && !(value.map(op.notMethods.contains) ?? false)
                } ?? true
                if ok { setBit(set, c) }
            }
            methodSets.append(set)
        }
        let ports = Set(clauseOps.flatMap { ($0?.ports ?? []) + ($0?.notPorts ?? []) }).sorted()
        var portSets: [Int32] = []
        for value in ports.map(Optional.some) + [nil] {
            let set = newSet()
            for (c, op) in clauseOps.enumerated() {
                let ok = op.map { op in
                    (op.ports.isEmpty || value.map(op.ports.contains) == true)
                        && !(value.map(op.notPorts.contains) ?? false)
                } ?? true
                if ok { setBit(set, c) }
            }
            portSets.append(set)
        }

        // Paths.
        var trie = PathTrieBuilder()
        var pathSuffixIndex: [String: Int32] = [:]
        let pathAny = newSet()
        for (c, op) in clauseOps.enumerated() {
            guard let op, !op.paths.isEmpty else {
                setBit(pathAny, c)
                continue
            }
            for pattern in op.paths {
                switch pattern {
                case .present: setBit(pathAny, c)
                case .exact(let path):
                    let node = trie.node(for: PathTrieBuilder.literalSegments(path))
                    var set = trie.exactSet(node)
                    if set < 0 { set = newSet(); trie.setExact(node, set) }
                    setBit(set, c)
                case .prefix(let prefix):
                    let slash = prefix.utf8.lastIndex(of: UInt8(ascii: "/"))!
                    let dirs = String(prefix[..<slash])
                    let node = dirs.isEmpty ? 0 : trie.node(for: PathTrieBuilder.literalSegments(dirs))
                    let partial = Array(prefix.utf8[prefix.utf8.index(after: slash)...])
                    var set = trie.prefixSet(node, partial)
                    if set < 0 { set = newSet(); trie.addPrefix(node, partial, set) }
                    setBit(set, c)
                case .template(let segments):
                    if segments.last == .rest {
                        let node = trie.node(for: Array(segments.dropLast()))
                        var set = trie.restSet(node)
                        if set < 0 { set = newSet(); trie.setRest(node, set) }
                        setBit(set, c)
                    } else {
                        let node = trie.node(for: segments)
                        var set = trie.exactSet(node)
                        if set < 0 { set = newSet(); trie.setExact(node, set) }
                        setBit(set, c)
                    }
                case .suffix(let suffix):
                    let set = pathSuffixIndex[suffix] ?? newSet()
                    pathSuffixIndex[suffix] = set
                    setBit(set, c)
                }
            }
        }

        trie.finalize()

        // Hosts.
        var hostExact = ByteKeyTable(caseInsensitive: true)
        var hostExactSets: [String: Int32] = [:]
        var hostPrefixIndex: [String: Int32] = [:]
        var hostSuffixIndex: [String: Int32] = [:]
        let hostAny = newSet()
        let hostPresent = newSet()
        for (c, op) in clauseOps.enumerated() {
            guard let op, !op.hosts.isEmpty else {
                setBit(hostAny, c)
                continue
            }
            for pattern in op.hosts {
                switch pattern {
                case .present: setBit(hostPresent, c)
                case .exact(let host):
                    let set = hostExactSets[host] ?? newSet()
                    hostExactSets[host] = set
                    setBit(set, c)
                case .prefix(let prefix):
                    let set = hostPrefixIndex[prefix] ?? newSet()
                    hostPrefixIndex[prefix] = set
                    setBit(set, c)
                case .suffix(let suffix):
                    let set = hostSuffixIndex[suffix] ?? newSet()
                    hostSuffixIndex[suffix] = set
                    setBit(set, c)
                }
            }
        }
        for (host, set) in hostExactSets { hostExact.insert(Array(host.utf8), parent: 0, value: set) }

        // Peer-side data: distinct principal patterns, sources, connection conditions.
        var principalIndex: [StringPattern: Int32] = [:]
        var principalPatterns: [StringPattern] = []
        func index(_ pattern: StringPattern) -> Int32 {
            if let i = principalIndex[pattern] { return i }
            principalPatterns.append(pattern)
            principalIndex[pattern] = Int32(principalPatterns.count - 1)
            return Int32(principalPatterns.count - 1)
        }
        var rules: [CompiledRule] = []
        for (r, entry) in ordered.enumerated() {
            let sources = entry.rule.from.map { source in
                CompiledSource(principals: source.principals.map(index), notPrincipals: source.notPrincipals.map(index),
                    ipBlocks: source.ipBlocks, notIpBlocks: source.notIpBlocks)
            }
            rules.append(CompiledRule(policy: Int32(entry.policy), id: entry.rule.id,
                policyName: policies[entry.policy].name, effect: entry.rule.effect,
                dryRun: policies[entry.policy].mode == .dryRun,
                clauseStart: Int32(ruleRanges[r].lowerBound), clauseEnd: Int32(ruleRanges[r].upperBound),
                sources: sources, connectionConditions: entry.rule.when.filter(\.key.isConnectionLevel),
                headerConditions: entry.rule.when.filter { !$0.key.isConnectionLevel }))
        }
        let clauses = clauseOps.enumerated().map { c, op in
            let rule = ordered[clauseRule[c]].rule
            let notPaths = op?.notPaths ?? []
            let notHosts = op?.notHosts ?? []
            let headers = rule.when.contains { !$0.key.isConnectionLevel }
            return Clause(rule: Int32(clauseRule[c]), hasResidual: !notPaths.isEmpty || !notHosts.isEmpty || headers,
                notPaths: notPaths, notHosts: notHosts)
        }
        // Sparse form of every set; path indexes then refer to a set by its first entry.
        var sparseStart: [Int32] = []
        var sparse: [SparseWord] = []
        for base in stride(from: 0, to: arena.count, by: wordCount) {
            sparseStart.append(Int32(sparse.count))
            let set = Int32(base / wordCount)
            let nonZero = (0..<wordCount).filter { arena[base + $0] != 0 }
            for (i, w) in nonZero.enumerated() {
                sparse.append(SparseWord(bits: arena[base + w], set: set, word: w, isLast: i == nonZero.count - 1))
            }
            if nonZero.isEmpty { sparse.append(SparseWord(bits: 0, set: set, word: 0, isLast: true)) }
        }
        func sparseIndex(_ offset: Int32) -> Int32 { sparseStart[Int(offset) / wordCount] }
        let pathAnyWords = (0..<wordCount).filter { arena[Int(pathAny) + $0] != 0 }.count
        let hasHostConstraints = clauseOps.contains { !($0?.hosts.isEmpty ?? true) }
        // Connection-side indexes: most rules only ask "is the peer one of these principals?".
        var exactPrincipals: [String: Int32] = [:]
        var inexactPrincipals: [Int32] = []
        for (index, pattern) in principalPatterns.enumerated() {
            if case .exact(let text) = pattern { exactPrincipals[text] = Int32(index) } else { inexactPrincipals.append(Int32(index)) }
        }
        var patternRules = [[Int32]](repeating: [], count: principalPatterns.count)
        var complexRules: [Int32] = []
        var alwaysBits = [UInt64](repeating: 0, count: wordCount)
        for (r, rule) in rules.enumerated() {
            if rule.connectionConditions.isEmpty && rule.sources.isEmpty {
                for c in Int(rule.clauseStart)..<Int(rule.clauseEnd) { alwaysBits[c >> 6] |= 1 << UInt64(c & 63) }
            } else if rule.connectionConditions.isEmpty, rule.sources.count == 1, let source = rule.sources.first,
                !source.principals.isEmpty, source.notPrincipals.isEmpty, source.ipBlocks.isEmpty,
                source.notIpBlocks.isEmpty
            {
                for p in Set(source.principals) { patternRules[Int(p)].append(Int32(r)) }
            } else {
                complexRules.append(Int32(r))
            }
        }
        var residualBits = [UInt64](repeating: 0, count: wordCount)
        for (c, clause) in clauses.enumerated() where clause.hasResidual { residualBits[c >> 6] |= 1 << UInt64(c & 63) }
        // Per clause: its answer, which peers have it, its header checks (one line each, see `ClauseEntry`).
        var headerChecks = HeaderChecks()
        let ruleHeaderChecks = rules.map { headerChecks.add($0.headerConditions) }
        let clauseEntries = clauses.map { clause in
            let r = Int(clause.rule)
            let rule = rules[r]
            var peerPattern = ClauseEntry.peerBits
            if rule.connectionConditions.isEmpty && rule.sources.isEmpty {
                peerPattern = ClauseEntry.anyPeer
            } else if rule.connectionConditions.isEmpty, rule.sources.count == 1, let source = rule.sources.first,
                Set(source.principals).count == 1, source.notPrincipals.isEmpty, source.ipBlocks.isEmpty,
                source.notIpBlocks.isEmpty
            {
                peerPattern = source.principals[0]
            }
            return ClauseEntry(decision: Decision(effect: rule.effect, policy: rule.policyName, rule: rule.id),
                headerStart: ruleHeaderChecks[r].lowerBound, headerEnd: ruleHeaderChecks[r].upperBound,
                peerPattern: peerPattern, hasNotPathsOrHosts: !clause.notPaths.isEmpty || !clause.notHosts.isEmpty)
        }
        return DecisionTable(target: target, policies: policies.map { ($0.name, $0.mode) }, rules: rules,
            clauses: clauses, clauseRules: clauses.map(\.rule), clauseEntries: ClauseEntries(clauseEntries), headerChecks: headerChecks,
            residualBits: residualBits, wordCount: wordCount, allowStart: allowStart, dryRunStart: dryRunStart, arena: arena,
            sparse: sparse, methodNames: methodNames.map { Array($0.utf8) }, methodSets: methodSets, ports: ports, portSets: portSets,
            pathTrie: trie.frozen(mappingSets: sparseIndex, singleWord: { k in
                sparse[Int(k)].isLast && sparse[Int(k)].bits != 0 ? (sparse[Int(k)].bits, sparse[Int(k)].word) : nil
            }),
            pathSuffixes: pathSuffixIndex.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), sparseIndex($0.value)) },
            pathAny: sparseIndex(pathAny), pathAnyWords: pathAnyWords, hostExact: hostExact,
            hostPrefixes: hostPrefixIndex.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value) },
            hostSuffixes: hostSuffixIndex.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value) },
            hasHostConstraints: hasHostConstraints, hostAny: hostAny, hostPresent: hostPresent, principalPatterns: principalPatterns, exactPrincipals: exactPrincipals,
            inexactPrincipals: inexactPrincipals, patternRules: patternRules, complexRules: complexRules,
            alwaysBits: alwaysBits,
            hasDryRun: dryRunStart < clauseOps.count)
    }
}
