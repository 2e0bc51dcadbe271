/// A table resolved for one connection: the rules whose `from` and connection-level `when` conditions the peer
/// satisfies, as a bitset over the table's clauses.
///
/// The proxy builds one per connection (`DecisionTable.resolve(_:)`) so that per-request work only touches the
/// bitset words that are non-zero here: a peer named by a few rules costs a few words per request, however
/// large the table.
///
/// The words' address is held inline (next to the storage that owns them), so a decision reads the one word it
/// needs without first loading an array header: with thousands of connections the view is usually not in
/// cache, and every extra dependent load is a cache miss per request. `@unchecked Sendable`: the words are
/// written once in `init` and only read afterwards; `storage` keeps them alive for every copy of the view.
public struct PeerView: @unchecked Sendable {
    private let storage: PeerBits
    /// One bit per clause (`wordCount` words).
    let bits: UnsafePointer<UInt64>
    let wordCount: Int
    /// Indices of the non-zero words of `bits`, ascending (for the dense fallbacks).
    let active: [Int32]
    /// No clause can match (no active word): every request is denied by default.
    let isEmpty: Bool
    /// The principal patterns the peer matches, when there are at most four (unused lanes -1): a clause whose
    /// only connection condition is one principal pattern (`ClauseEntry.peerPattern`) is checked against these
    /// instead of the bitset, so a decision need not touch the view's words at all (they are 1.3 KB per
    /// connection at 10,000 rules, one cache miss per request).
    let patterns: SIMD4<Int32>
    /// Whether `patterns` lists every matched pattern (otherwise the bitset decides every clause).
    let patternsInline: Bool
    /// The connection the view was built for (headers and host are per request; everything else is here).
    public let connection: ConnectionFacts

    init(bits: [UInt64], matchedPatterns: [Int32], connection: ConnectionFacts) {
        storage = PeerBits(bits)
        self.bits = UnsafePointer(storage.words)
        wordCount = bits.count
        active = bits.indices.filter { bits[$0] != 0 }.map { Int32($0) }
        isEmpty = active.isEmpty
        var lanes = SIMD4<Int32>(repeating: -1)
        for (lane, pattern) in matchedPatterns.prefix(4).enumerated() { lanes[lane] = pattern }
        patterns = lanes
        patternsInline = matchedPatterns.count <= 4
        self.connection = connection
    }

    /// Whether the peer matches principal pattern `pattern` (only meaningful when `patternsInline`).
    @inline(__always)
    func hasPattern(_ pattern: Int32) -> Bool { any(patterns .== SIMD4(repeating: pattern)) }

    /// Number of clauses the peer may still match.
    public var candidateCount: Int { (0..<wordCount).reduce(0) { $0 + bits[$1].nonzeroBitCount } }
}

/// Owns a peer view's bitset words (freed with the last copy of the view).
private final class PeerBits {
    let words: UnsafeMutablePointer<UInt64>
    let count: Int

    init(_ bits: [UInt64]) {
        count = bits.count
        words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, bits.count))
        words.initialize(from: bits, count: bits.count)
    }

    deinit { words.deallocate() }
}
