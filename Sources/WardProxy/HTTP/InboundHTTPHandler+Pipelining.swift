import NIOCore
import NIOHTTP1

/// HTTP/1.1 pipelining and drain, handled here instead of by NIO's `HTTPServerPipelineHandler`.
///
/// That handler stops reading for every request whose response is pending and starts again afterwards: two
/// `epoll_ctl` calls per request on a keep-alive connection. Ward only stops reading when a client actually sends
/// the next request early: those parts (and a decoding error that belongs to them) wait in `queue` until the
/// exchange before them completes, and reading resumes once the queue is empty.
extension InboundHTTPHandler {
    enum Queued {
        case part(HTTPServerRequestPart)
        case error(HTTPParserError)
    }

    /// Whether a part must wait for the exchange in progress.
    func mustQueue(_ part: HTTPServerRequestPart) -> Bool {
        if !queue.isEmpty { return true }
        if case .head = part { return !exchange.isIdle }
        return false
    }

    /// Whether a decoding error belongs to a request after the one in progress.
    var errorBelongsToQueuedRequest: Bool {
        !queue.isEmpty || (!exchange.isIdle && exchange.requestEnded)
    }

    func enqueue(_ item: Queued) {
        guard !quiescing else { return }  // draining: no further requests on this connection
        queue.append(item)
    }

    /// After an exchange completed: replays what waited for it, on the next loop tick so the previous response's
    /// last write has gone out first.
    func scheduleQueueDrain() {
        guard !queue.isEmpty, let context else { return }
        context.eventLoop.assumeIsolated().execute { [weak self] in self?.drainQueue() }
    }

    private func drainQueue() {
        guard let context else { return }
        while !queue.isEmpty, exchange.isIdle || !isHead(queue.first!) {
            let item = queue.removeFirst()
            switch item {
            case .part(.head(let head)): requestHead(head, context: context)
            case .part(.body(let buffer)): requestBody(buffer)
            case .part(.end): requestEnd()
            case .error(let error):
                queue.removeAll()
                malformed(error, context: context)
                return
            }
        }
        if exchange.phase == .forwarding { upstream?.flush() }
        if queue.isEmpty, readPending, !readsPaused {
            readPending = false
            context.read()
        }
    }

    private func isHead(_ item: Queued) -> Bool {
        if case .part(.head) = item { return true }
        return false
    }

    /// SIGTERM drain (NIO's quiesce event): close now if idle, else after the exchange in progress.
    func quiesce(context: ChannelHandlerContext) {
        quiescing = true
        queue.removeAll()
        if exchange.isIdle {
            context.close(promise: nil)
        } else {
            exchange.closeWhenDone()
        }
    }
}
