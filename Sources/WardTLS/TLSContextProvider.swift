import NIOConcurrencyHelpers

/// Holds the TLS context that new connections use, replaceable at run time (certificate rotation).
///
/// Connections read `current` once when they start and keep that context for their whole life, so a swap
/// affects only connections opened after it. Build the new context off the event loop (it parses keys and
/// certificates), then `swap` it in; a context that fails to build never reaches here, so the old one stays.
public final class TLSContextProvider: Sendable {
    private let box: NIOLockedValueBox<TLSContext>

    public init(_ context: TLSContext) {
        self.box = NIOLockedValueBox(context)
    }

    /// The context for a connection starting now.
    public var current: TLSContext { box.withLockedValue { $0 } }

    /// Makes `context` the one new connections use; returns the previous one.
    @discardableResult
    public func swap(_ context: TLSContext) -> TLSContext {
        box.withLockedValue { old in
            defer { old = context }
            return old
        }
    }

    /// Builds a context from `configuration` and swaps it in; on failure the running context stays and the error
    /// is thrown for the caller to report.
    public func reload(_ configuration: TLSConfiguration) throws(TLSError) {
        swap(try TLSContext(configuration))
    }
}
