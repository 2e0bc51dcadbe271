import NIOConcurrencyHelpers

/// The decision engine in force, replaceable at run time (policy reload).
///
/// Each swap bumps a generation number. Connections cache their per-peer resolution together with the
/// generation it came from and re-resolve when it moves, so a reload reaches open keep-alive connections at their
/// next request: a deleted allow rule stops allowing everywhere at once.
public final class EngineHolder: Sendable {
    public struct Snapshot: Sendable {
        public var generation: Int
        public var engine: any DecisionEngine
    }

    private let box: NIOLockedValueBox<Snapshot>

    public init(_ engine: any DecisionEngine) {
        box = NIOLockedValueBox(Snapshot(generation: 1, engine: engine))
    }

    public var current: Snapshot { box.withLockedValue { $0 } }

    public func swap(_ engine: any DecisionEngine) {
        box.withLockedValue { $0 = Snapshot(generation: $0.generation + 1, engine: engine) }
    }
}
