/// A table resolved for one connection: the rules whose `from` and connection-level `when` conditions the peer
/// satisfies, as a bitset over the table's clauses.
///
/// The proxy builds one per connection (`DecisionTable.resolve(_:)`) so that per-request work only touches the
/// bitset words that are non-zero here: a peer named by a few rules costs a few words per request, however
/// large the table.
public struct PeerView: Sendable {
    /// One bit per clause.
    let bits: [UInt64]
    /// Indices of the non-zero words of `bits`, ascending.
    let active: [Int32]
    /// The connection the view was built for (headers and host are per request; everything else is here).
    public let connection: ConnectionFacts

    /// Number of clauses the peer may still match.
    public var candidateCount: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }
}
