/// What the evaluator reads about one candidate clause, packed into one 64-byte line.
///
/// At 10,000 rules a candidate clause's data is not in cache. Its answer has to be read anyway, so whatever
/// else decides the clause sits in the same line: which peers have it (`peerPattern`: most rules name one
/// principal pattern, so the peer's 1.3 KB bitset need not be touched) and where its header checks are. One
/// prefetched line then settles the commonest request, a path that hits one clause.
struct ClauseEntry {
    /// The decision this clause gives (prebuilt, so answering is a copy).
    let decision: Decision
    /// The clause's header checks: `HeaderChecks.checks[headerStart..<headerEnd]`.
    let headerStart: Int32
    let headerEnd: Int32
    /// Which peers have this clause: `anyPeer`, `peerBits` (look at the peer's bitset), or the index of the one
    /// principal pattern a peer must match (the rule's only condition on the connection).
    let peerPattern: Int32
    /// Whether `notPaths` or `notHosts` must be checked (through `DecisionTable.clauses`).
    let hasNotPathsOrHosts: Bool

    /// Every peer has the clause (no `from`, no connection condition).
    static let anyPeer: Int32 = -1
    /// The peer's bitset decides (several sources or patterns, IP blocks, `notPrincipals`, connection conditions).
    static let peerBits: Int32 = -2
}

/// `ClauseEntry` storage, 64-byte aligned so each entry is exactly one cache line (a Swift array's 32-byte
/// header would make every entry straddle two). Immutable after `init`; `@unchecked Sendable` because it owns
/// raw memory that is only read after `init`.
final class ClauseEntries: @unchecked Sendable {
    let base: UnsafeMutablePointer<ClauseEntry>
    let count: Int

    init(_ entries: [ClauseEntry]) {
        precondition(MemoryLayout<ClauseEntry>.stride == 64, "a clause entry is one cache line")
        count = entries.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, entries.count) * 64, alignment: 64)
        base = raw.bindMemory(to: ClauseEntry.self, capacity: max(1, entries.count))
        base.initialize(from: entries, count: entries.count)
    }

    deinit {
        base.deinitialize(count: count)
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// Bytes held by the entries.
    var bytes: Int { count * 64 }
}
