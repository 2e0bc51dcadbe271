/// The policies of one workload compiled for fast decisions.
///
/// Bit-vector classification (Lakshman & Stiliadis): each (rule, `to` entry) pair is a *clause* with one bit;
/// clauses are ordered enforced denies, then enforced allows, then dry-run clauses by policy. Each request field
/// has an index giving the bitset of clauses it allows (method and port: one precomputed set per value, `not`
/// forms folded in; path: a segment trie plus suffix list; host: a case-insensitive hash plus prefix/suffix
/// lists). Everything that depends only on the peer is resolved once per connection into a `PeerView`. A
/// decision ANDs the sets over the peer's non-zero words and takes the first set bit: a bit in the deny region
/// denies, in the allow region allows, none is the default deny. Rare conditions (`notPaths`, `notHosts`, header
/// conditions) are checked on candidate bits only.
///
/// Immutable and `Sendable`: one table serves every connection and thread; reload swaps the whole table. A final
/// class with only `let`s, so handing it to a connection or a call costs one reference count, not one per index.
public final class DecisionTable: Sendable {
    /// The workload this table decides for.
    public let target: String
    /// Policy names and modes, in set order.
    let policies: [(name: String, mode: Policy.Mode)]
    let rules: [CompiledRule]
    let clauses: [Clause]
    /// The rule of each clause (compact: the dry-run scan reads it for every candidate bit).
    let clauseRules: [Int32]
    /// Per clause, its prebuilt decision and what else settles it (peer requirement, header checks) in one
    /// 64-byte line; `entries` is their address, held inline so reaching an entry takes no array header load.
    let clauseEntries: ClauseEntries
    /// Read-only after `init` (the memory is owned by `clauseEntries`), hence safe to share.
    nonisolated(unsafe) let entries: UnsafeMutablePointer<ClauseEntry>
    /// Every rule's header conditions, flat (ranges in `ClauseEntry`).
    let headerChecks: HeaderChecks
    /// One bit per clause that has `notPaths`, `notHosts` or header conditions to check.
    let residualBits: [UInt64]
    /// Words per bitset.
    let wordCount: Int
    /// Clause index where enforced allows start, and where dry-run clauses start.
    let allowStart: Int
    let dryRunStart: Int
    /// Every bitset, `wordCount` words each; sets are referred to by their offset.
    let arena: [UInt64]
    /// Every set's non-zero words (at least one entry per set, the last one flagged), set after set: a request
    /// visits only the words its path hits, each word's index, bits and set number in one 16-byte entry.
    let sparse: [SparseWord]

    let methodNames: [[UInt8]]
    /// Each method name's first 8 bytes packed (`packedPrefix`), for one-compare method lookup.
    let methodWords: [UInt64]
    /// Set per method index, then one for any other method.
    let methodSets: [Int32]
    let ports: [Int]
    /// Set per port index, then one for any other (or no) port.
    let portSets: [Int32]

    /// Path indexes hold the index of each set's first entry in `sparse` (not its arena offset): the trie's hit
    /// leads straight to the words to visit, one memory access instead of a chain of lookups.
    let pathTrie: PathTrie
    let pathSuffixes: [(suffix: [UInt8], set: Int32)]
    /// Clauses with no positive path constraint or a `*` path (a `sparse` index, like the path indexes).
    let pathAny: Int32
    /// Number of non-zero words in `pathAny`.
    let pathAnyWords: Int

    let hostExact: ByteKeyTable
    let hostPrefixes: [(prefix: [UInt8], set: Int32)]
    let hostSuffixes: [(suffix: [UInt8], set: Int32)]
    /// Whether any clause constrains the host (otherwise host work is skipped).
    let hasHostConstraints: Bool
    /// Clauses with no positive host constraint.
    let hostAny: Int32
    /// Clauses with a `*` host (any non-empty host).
    let hostPresent: Int32

    /// Distinct principal patterns, evaluated once per connection.
    let principalPatterns: [StringPattern]
    /// Exact principal patterns by text, and the indices of the others (matched one by one).
    let exactPrincipals: [String: Int32]
    let inexactPrincipals: [Int32]
    /// Per principal pattern, the rules whose only condition on the connection is "principal is one of these".
    let patternRules: [[Int32]]
    /// Rules with other connection conditions (ipBlocks, notPrincipals, several sources, `source.ip`, SNI).
    let complexRules: [Int32]
    /// Clauses of rules with no `from` and no connection condition: every peer has them.
    let alwaysBits: [UInt64]
    let hasDryRun: Bool
    /// Path hits and candidate words kept on the stack before the evaluator falls back to a slower form
    /// (tests lower them to exercise the fallbacks).
    let maxHits: Int
    let maxWords: Int
    /// Whether candidate clauses are checked against the peer through their `ClauseEntry` (see `peerFilter`).
    /// Only worth it when the peer's bitset spans several cache lines: for small tables (at most
    /// `entryPeerCheckWords` words, one line) ANDing the peer's word is fewer instructions and no more misses.
    let peerChecksByEntry: Bool
    static let entryPeerCheckWords = 8

    init(target: String, policies: [(name: String, mode: Policy.Mode)], rules: [CompiledRule], clauses: [Clause], clauseRules: [Int32], clauseEntries: ClauseEntries, headerChecks: HeaderChecks, residualBits: [UInt64], wordCount: Int, allowStart: Int, dryRunStart: Int, arena: [UInt64], sparse: [SparseWord], methodNames: [[UInt8]], methodSets: [Int32], ports: [Int], portSets: [Int32], pathTrie: PathTrie, pathSuffixes: [(suffix: [UInt8], set: Int32)], pathAny: Int32, pathAnyWords: Int, hostExact: ByteKeyTable, hostPrefixes: [(prefix: [UInt8], set: Int32)], hostSuffixes: [(suffix: [UInt8], set: Int32)], hasHostConstraints: Bool, hostAny: Int32, hostPresent: Int32, principalPatterns: [StringPattern], exactPrincipals: [String: Int32], inexactPrincipals: [Int32], patternRules: [[Int32]], complexRules: [Int32], alwaysBits: [UInt64], hasDryRun: Bool, maxHits: Int = 16, maxWords: Int = 64, peerChecksByEntry: Bool? = nil) {
        self.target = target
        self.policies = policies
        self.rules = rules
        self.clauses = clauses
        self.clauseRules = clauseRules
        self.clauseEntries = clauseEntries
        self.entries = clauseEntries.base
        self.headerChecks = headerChecks
        self.residualBits = residualBits
        self.wordCount = wordCount
        self.allowStart = allowStart
        self.dryRunStart = dryRunStart
        self.arena = arena
        self.sparse = sparse
        self.methodNames = methodNames
        self.methodWords = methodNames.map { name in name.withUnsafeBufferPointer(packedPrefix) }
        self.methodSets = methodSets
        self.ports = ports
        self.portSets = portSets
        self.pathTrie = pathTrie
        self.pathSuffixes = pathSuffixes
        self.pathAny = pathAny
        self.pathAnyWords = pathAnyWords
        self.hostExact = hostExact
        self.hostPrefixes = hostPrefixes
        self.hostSuffixes = hostSuffixes
        self.hasHostConstraints = hasHostConstraints
        self.hostAny = hostAny
        self.hostPresent = hostPresent
        self.principalPatterns = principalPatterns
        self.exactPrincipals = exactPrincipals
        self.inexactPrincipals = inexactPrincipals
        self.patternRules = patternRules
        self.complexRules = complexRules
        self.alwaysBits = alwaysBits
        self.hasDryRun = hasDryRun
        precondition(maxHits <= Self.hitCapacity && maxWords <= Self.wordCapacity, "evaluator limits exceed the stack scratch")
        self.maxHits = maxHits
        self.maxWords = maxWords
        self.peerChecksByEntry = peerChecksByEntry ?? (wordCount > Self.entryPeerCheckWords)
    }

    /// Number of rules compiled in.
    public var ruleCount: Int { rules.count }
    /// Number of clauses (bits).
    public var clauseCount: Int { clauses.count }
    /// Bytes held by bitsets (the bulk of the table).
    public var bitsetBytes: Int { arena.count * 8 }
}

/// One non-zero word of a set in `DecisionTable.sparse`.
struct SparseWord: Sendable {
    let bits: UInt64
    /// The set's number (arena offset / word count), for the dense fallbacks.
    let set: Int32
    /// The word index, with the top bit marking the set's last entry.
    private let wordAndEnd: UInt32

    init(bits: UInt64, set: Int32, word: Int, isLast: Bool) {
        self.bits = bits
        self.set = set
        self.wordAndEnd = UInt32(word) | (isLast ? 0x8000_0000 : 0)
    }

    var word: Int32 { Int32(bitPattern: wordAndEnd & 0x7FFF_FFFF) }
    var isLast: Bool { wordAndEnd & 0x8000_0000 != 0 }
}

/// A rule as the evaluator needs it.
struct CompiledRule: Sendable {
    let policy: Int32
    let id: String
    let policyName: String
    let effect: Rule.Effect
    let dryRun: Bool
    /// Its clauses are `clauseStart..<clauseEnd`.
    let clauseStart: Int32
    let clauseEnd: Int32
    let sources: [CompiledSource]
    /// `source.ip` and `connection.sni` conditions (resolved per connection).
    let connectionConditions: [Condition]
    /// Header conditions (checked per request on candidates).
    let headerConditions: [Condition]
}

struct CompiledSource: Sendable {
    /// Indices into `principalPatterns`.
    let principals: [Int32]
    let notPrincipals: [Int32]
    let ipBlocks: [CIDR]
    let notIpBlocks: [CIDR]
}

/// One (rule, operation) pair.
struct Clause: Sendable {
    let rule: Int32
    /// Whether `notPaths`, `notHosts` or header conditions must be checked for this clause.
    let hasResidual: Bool
    let notPaths: [PathPattern]
    let notHosts: [StringPattern]
}
