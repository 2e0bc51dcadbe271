import NIOConcurrencyHelpers
import Synchronization

/// The decision engine in force, replaceable at run time (policy reload).
///
/// Each swap bumps a generation number. Connections cache their per-peer resolution together with the
/// generation it came from and re-resolve when it moves, so a reload reaches open keep-alive connections at their
/// next request: a deleted allow rule stops allowing everywhere at once. The generation is also kept in an atomic,
/// so that per-request check is one load instead of taking the lock and copying the engine.
public final class EngineHolder: Sendable {
    public struct Snapshot: Sendable {
        public var generation: Int
        public var engine: any DecisionEngine
    }

    private let box: NIOLockedValueBox<Snapshot>
    private let generationNow = Atomic<Int>(1)

    public init(_ engine: any DecisionEngine) {
        box = NIOLockedValueBox(Snapshot(generation: 1, engine: engine))
    }

    public var current: Snapshot { box.withLockedValue { $0 } }

    /// The generation in force (what `current.generation` would say), without the lock.
    public var generation: Int { generationNow.load(ordering: .acquiring) }

    public func swap(_ engine: any DecisionEngine) {
        box.withLockedValue {
            $0 = Snapshot(generation: $0.generation + 1, engine: engine)
            generationNow.store($0.generation, ordering: .releasing)
        }
    }
}
