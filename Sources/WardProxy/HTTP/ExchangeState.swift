/// Where one request/response exchange on a client connection stands, apart from any I/O.
///
/// A plain value with `mutating` transitions that return what the handler must do, so the ordering rules
/// (nothing upstream before the decision; reuse an upstream connection only after both directions ended cleanly;
/// close when framing can no longer be trusted) are testable without sockets.
struct ExchangeState {
    enum Phase: Equatable {
        /// No request in progress.
        case idle
        /// Allowed; waiting for an upstream connection while holding the request parts that already arrived.
        case connecting
        /// Request and response streaming through an upstream connection.
        case forwarding
        /// A local response (400/403/503/504…) was sent; the rest of the request body is read and dropped.
        case answeredLocally
    }

    private(set) var phase = Phase.idle
    private(set) var requestEnded = false
    private(set) var responseStarted = false
    private(set) var responseEnded = false
    /// Close the client connection once the exchange completes (framing doubt, `Connection: close`, drain).
    private(set) var closeAfter = false
    /// The upstream connection may go back to the pool only if the whole exchange went through it cleanly.
    private(set) var upstreamReusable = true

    var isIdle: Bool { phase == .idle }

    /// A request head arrived; `close` when the client asked for it. Returns false (and changes nothing) if an
    /// exchange is still in progress: the handler queues early requests, so this would be a bug, and the caller
    /// closes the connection rather than mix two exchanges.
    @discardableResult
    mutating func requestStarted(close: Bool) -> Bool {
        guard phase == .idle else { return false }
        self = ExchangeState()
        closeAfter = close
        return true
    }

    /// The decision allowed the request.
    mutating func allowed() { phase = .connecting }

    /// A local response answers the request; `close` when the connection cannot be reused afterwards.
    mutating func answerLocally(close: Bool) -> EndAction {
        if phase == .forwarding || phase == .connecting { upstreamReusable = false }
        phase = .answeredLocally
        responseStarted = true
        responseEnded = true
        if close { closeAfter = true }
        return completionIfDone()
    }

    /// The upstream connection is ready.
    mutating func upstreamReady() { if phase == .connecting { phase = .forwarding } }

    mutating func requestEnd() -> EndAction {
        requestEnded = true
        return completionIfDone()
    }

    mutating func responseHead(upstreamKeepAlive: Bool) {
        responseStarted = true
        if !upstreamKeepAlive { upstreamReusable = false }
    }

    mutating func responseEnd() -> EndAction {
        responseEnded = true
        // An upstream that answered before reading the whole request leaves unread bytes behind: never reuse it.
        if !requestEnded { upstreamReusable = false }
        return completionIfDone()
    }

    /// Ask to close the client connection when this exchange ends (e.g. drain).
    mutating func closeWhenDone() { closeAfter = true }

    /// A stale pooled connection failed before any response: go back to waiting for a new one.
    mutating func retryConnecting() {
        if phase == .forwarding { phase = .connecting }
        upstreamReusable = true
    }

    /// The upstream connection failed or was closed mid-exchange.
    mutating func upstreamLost() { upstreamReusable = false }

    enum EndAction: Equatable {
        case none
        /// The exchange is over: release or close the upstream, then close or await the next request.
        case complete(reuseUpstream: Bool, closeClient: Bool)
    }

    private mutating func completionIfDone() -> EndAction {
        guard requestEnded, responseEnded, phase != .idle else { return .none }
        let action = EndAction.complete(reuseUpstream: phase == .forwarding && upstreamReusable, closeClient: closeAfter)
        phase = .idle
        return action
    }
}
