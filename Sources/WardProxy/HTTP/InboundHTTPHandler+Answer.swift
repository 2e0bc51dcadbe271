import NIOCore
import NIOHTTP1

extension InboundHTTPHandler {
    /// Answers the request from the proxy itself (400, 403, 431, 503, 504…) with a short, generic body.
    ///
    /// Callers learn the status, not the deciding policy or rule (unless `debugDecisions` is set); those go to the
    /// access log. With `close`, the connection closes after the answer; otherwise the rest of the request body is
    /// read and dropped and the connection stays usable.
    func answerLocally(
        _ status: HTTPResponseStatus, reason: String?, close: Bool, decision: AuthorizationResult? = nil
    ) {
        guard let context else { return }
        responseDeadline = nil
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        pendingParts.removeAll(keepingCapacity: true)
        record?.status = Int(status.code)
        if let reason { record?.reason = reason }

        let action = exchange.answerLocally(close: close)
        let closing = close || exchange.closeAfter
        let body = context.channel.allocator.buffer(string: bodyText(status, decision: decision))
        record?.bytesOut += body.readableBytes  // body bytes sent, like Envoy's BYTES_SENT
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        if closing { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: responseVersion, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        if closing, action == .none, let record = record.take() {
            finishRecord(record)  // the request body will not be read: the exchange ends here
        }
        finishExchange(action, end: .end(nil), closeAfterEnd: closing)
        if !closing { resumeClientReads() }
    }

    private func bodyText(_ status: HTTPResponseStatus, decision: AuthorizationResult?) -> String {
        switch status {
        case .forbidden:
            guard shared.config.debugDecisions, let decision else { return "access denied\n" }
            guard let policy = decision.policy else { return "access denied (default deny)\n" }
            return "access denied by policy \(policy) rule \(decision.rule ?? "-")\n"
        case .badRequest: return "bad request\n"
        case .requestHeaderFieldsTooLarge: return "request header fields too large\n"
        case .serviceUnavailable: return "upstream unavailable\n"
        case .gatewayTimeout: return "upstream timeout\n"
        default: return "\(status.reasonPhrase.lowercased())\n"
        }
    }

    /// Writes the response's end and, when the whole exchange is over, releases the upstream and logs it first
    /// (writing `.end` can deliver the next pipelined request synchronously, so state must be settled before).
    func finishExchange(_ action: ExchangeState.EndAction, end: HTTPServerResponsePart, closeAfterEnd: Bool = false) {
        guard let context else { return }
        var close = closeAfterEnd
        if case .complete(let reuse, let closeClient) = action {
            settle(reuseUpstream: reuse)
            close = close || closeClient
            if !close { headTimer.exchangeFinished() }
        }
        clientFlushPending = false  // the end is written with a flush
        if close {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(end)).whenComplete { _ in loopBound.value.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(end), promise: nil)
            if case .complete = action { scheduleQueueDrain() }
        }
    }

    /// The request ended after the response did: finish the exchange without writing anything.
    func complete(_ action: ExchangeState.EndAction) {
        guard case .complete(let reuse, let closeClient) = action, let context else { return }
        settle(reuseUpstream: reuse)
        if closeClient {
            context.close(promise: nil)
        } else {
            headTimer.exchangeFinished()
            scheduleQueueDrain()
        }
    }

    private func settle(reuseUpstream: Bool) {
        responseDeadline = nil
        if let upstream, context != nil {
            self.upstream = nil
            if reuseUpstream { giveBack(upstream) } else { upstream.close() }
        }
        if let record = record.take() { finishRecord(record) }  // moved out: no copy of the record per request
        forwardHead = nil
        resumeClientReads()
    }

    /// Returns a connection whose exchange ended cleanly to this event loop's pool (which closes it if unusable).
    func giveBack(_ connection: UpstreamConnection) {
        if let loopPool { loopPool.release(connection) } else { connection.close() }
    }

    /// Metrics and the access-log line for one finished request.
    func finishRecord(_ record: ExchangeRecord) {
        let metrics = shared.metrics
        if let cached = requestCounter, cached.status == record.status, cached.decision == record.decision {
            cached.counter.increment()
        } else {
            let counter = metrics.requestCounter(decision: record.decision, status: record.status)
            requestCounter = (record.decision, record.status, counter)
            counter.increment()
        }
        let now = NIODeadline.now()
        metrics.requestDuration.recordNanoseconds((now - record.started).nanoseconds)
        if let upstreamDuration = record.upstreamDuration {
            metrics.upstreamDuration.recordNanoseconds(upstreamDuration.nanoseconds)
        }
        if record.bytesIn > 0, record.decision == "allow" { metrics.bytesReceived.increment(by: Int64(record.bytesIn)) }
        if record.bytesOut > 0 { metrics.bytesSent.increment(by: Int64(record.bytesOut)) }
        guard let log = shared.accessLog else { return }
        log.write(
            AccessLogEntry(
                startedAt: record.wallClockStart(now: now), peer: peer?.spiffeID.description, method: record.method,
                path: record.path, status: record.status, decision: record.decision, policy: record.result?.policy,
                rule: record.result?.rule, dryRun: record.result?.dryRun ?? [], reason: record.reason,
                durationSeconds: Double((now - record.started).nanoseconds) / 1e9,
                upstreamSeconds: record.upstreamDuration.map { Double($0.nanoseconds) / 1e9 },
                bytesIn: record.bytesIn, bytesOut: record.bytesOut))
    }
}
