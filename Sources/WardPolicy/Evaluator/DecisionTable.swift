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
/// Immutable and `Sendable`: one table serves every connection and thread; reload swaps the whole table.
public struct DecisionTable: Sendable {
    /// The workload this table decides for.
    public let target: String
    /// Policy names and modes, in set order.
    let policies: [(name: String, mode: Policy.Mode)]
    let rules: [CompiledRule]
    let clauses: [Clause]
    /// Words per bitset.
    let wordCount: Int
    /// Clause index where enforced allows start, and where dry-run clauses start.
    let allowStart: Int
    let dryRunStart: Int
    /// Every bitset, `wordCount` words each; sets are referred to by their offset.
    let arena: [UInt64]

    let methodNames: [[UInt8]]
    /// Set per method index, then one for any other method.
    let methodSets: [Int32]
    let ports: [Int]
    /// Set per port index, then one for any other (or no) port.
    let portSets: [Int32]

    let pathTrie: PathTrie
    let pathSuffixes: [(suffix: [UInt8], set: Int32)]
    /// Clauses with no positive path constraint or a `*` path.
    let pathAny: Int32

    let hostExact: ByteKeyTable
    let hostPrefixes: [(prefix: [UInt8], set: Int32)]
    let hostSuffixes: [(suffix: [UInt8], set: Int32)]
    /// Clauses with no positive host constraint.
    let hostAny: Int32
    /// Clauses with a `*` host (any non-empty host).
    let hostPresent: Int32

    /// Distinct principal patterns, evaluated once per connection.
    let principalPatterns: [StringPattern]
    let hasDryRun: Bool

    /// Number of rules compiled in.
    public var ruleCount: Int { rules.count }
    /// Number of clauses (bits).
    public var clauseCount: Int { clauses.count }
    /// Bytes held by bitsets (the bulk of the table).
    public var bitsetBytes: Int { arena.count * 8 }
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
