import NIOCore
import NIOHTTP1

extension InboundHTTPHandler: UpstreamDelegate {
    func connectUpstream(fresh: Bool, context: ChannelHandlerContext) {
        if !fresh, let pooled = loopPool?.take() {
            use(pooled)  // the common case: no callback to allocate
            return
        }
        let completion: (Result<UpstreamConnection, Error>) -> Void = { [self] result in
            switch result {
            case .success(let connection):
                use(connection)
            case .failure:
                guard self.context != nil, exchange.phase == .connecting else { return }
                shared.metrics.countUpstreamError(kind: "unavailable")
                answerLocally(.serviceUnavailable, reason: "upstream_unavailable", close: false)
            }
        }
        shared.pool.connect(on: context.eventLoop, completion)
    }

    /// Forwards the waiting request over `connection`, or gives the connection back when the exchange no longer
    /// waits for one (the client left, or the request was answered meanwhile).
    private func use(_ connection: UpstreamConnection) {
        guard let forwardHead, let context, exchange.phase == .connecting else {
            giveBack(connection)
            return
        }
        connection.delegate = self
        connection.uses += 1
        upstream = connection
        exchange.upstreamReady()
        connection.write(.head(forwardHead))
        for part in pendingParts {
            if case .body(.byteBuffer(let buffer)) = part { bodyBytesSent += buffer.readableBytes }
            connection.write(part)
        }
        pendingParts.removeAll(keepingCapacity: true)
        if !inReadBurst { connection.flush() }  // else at the burst's end (or the request's end)
        record?.upstreamSent = .now()
        armResponseTimer(context: context)
        if connection.isWritable { resumeClientReads() }
    }

    /// Starts (or restarts) the wait for the upstream: for the response head, then between parts of the response
    /// body (an upstream that stalls mid-response is cut after the same timeout, like Envoy's stream idle timeout).
    /// One scheduled task per connection at most, re-armed lazily, so a keep-alive connection does not schedule
    /// and cancel a timer for every request or body part.
    func armResponseTimer(context: ChannelHandlerContext) {
        let timeout = shared.config.upstreamTimeout
        guard timeout > .zero else { return }
        let deadline = NIODeadline.now() + timeout
        responseDeadline = deadline
        if responseTimer == nil { scheduleResponseTimer(at: deadline, context: context) }
    }

    private func scheduleResponseTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        responseTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.responseTimerFired()
        }
    }

    private func responseTimerFired() {
        responseTimer = nil
        guard let deadline = responseDeadline, let context else { return }  // nothing is waiting
        if deadline > .now() {
            scheduleResponseTimer(at: deadline, context: context)
        } else {
            upstreamTimedOut()
        }
    }

    private func upstreamTimedOut() {
        responseDeadline = nil
        guard let upstream else { return }
        if exchange.responseStarted {
            // Mid-response: the status is already sent, so the caller learns it from the connection closing.
            guard !exchange.responseEnded else { return }
            self.upstream = nil
            upstream.close()
            shared.metrics.countUpstreamError(kind: "timeout")
            record?.reason = "upstream_idle_timeout"
            context?.close(promise: nil)
            return
        }
        self.upstream = nil
        upstream.close()
        shared.metrics.countUpstreamError(kind: "timeout")
        answerLocally(.gatewayTimeout, reason: "upstream_timeout", close: false)
    }

    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
        guard connection === upstream, let context else { return }
        switch part {
        case .head(let head):
            if responseDeadline != nil { armResponseTimer(context: context) }  // now the wait between body parts
            if let sent = record?.upstreamSent { record?.upstreamDuration = .now() - sent }
            exchange.responseHead(upstreamKeepAlive: head.isKeepAlive)
            record?.status = Int(head.status.code)
            // The upstream's head with the forwarded headers: its status and version storage is shared, not
            // allocated again, unless the caller's HTTP version differs.
            var outbound = head
            outbound.headers = HopByHop.forwarded(head.headers)
            if outbound.version != responseVersion { outbound.version = responseVersion }
            if responseVersion == .http1_0, !outbound.headers.contains(name: "content-length") {
                exchange.closeWhenDone()  // HTTP/1.0 has no chunking: the body ends with the connection
            }
            if exchange.closeAfter { outbound.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(outbound)), promise: nil)
            clientFlushPending = true
        case .body(let buffer):
            record?.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            clientFlushPending = true
            if !context.channel.isWritable {
                connection.pauseReads()
                responseDeadline = nil  // a slow caller is not an idle upstream; re-armed when reads resume
            } else if responseDeadline != nil {
                armResponseTimer(context: context)
            }
        case .end(let trailers):
            responseDeadline = nil
            let action = exchange.responseEnd()
            finishExchange(action, end: .end(trailers))
        }
    }

    /// Flushes what this read burst wrote to the client, unless the response's end already did.
    func upstreamReadComplete(_ connection: UpstreamConnection) {
        guard connection === upstream, clientFlushPending else { return }
        clientFlushPending = false
        context?.flush()
    }

    func upstreamWritabilityChanged(_ connection: UpstreamConnection, writable: Bool) {
        guard connection === upstream, exchange.phase == .forwarding else { return }
        if writable { resumeClientReads() } else { pauseClientReads() }
    }

    func upstreamClosed(_ connection: UpstreamConnection) {
        guard connection === upstream else { return }
        upstream = nil
        exchange.upstreamLost()
        guard !exchange.responseEnded else { return }  // answered early; the rest of the request is dropped
        responseDeadline = nil
        if exchange.responseStarted {
            // The response is cut short: the caller can only learn that from the connection closing.
            shared.metrics.countUpstreamError(kind: "reset")
            record?.reason = "upstream_reset"
            context?.close(promise: nil)
            return
        }
        // A pooled connection the upstream had already closed: retry once on a new one if nothing of the body
        // was sent, since the upstream cannot have acted on the request.
        if connection.uses > 1, !retried, bodyBytesSent == 0, exchange.requestEnded, let context {
            retried = true
            pendingParts = [.end(nil)]
            exchange.retryConnecting()
            connectUpstream(fresh: true, context: context)
            return
        }
        shared.metrics.countUpstreamError(kind: "unavailable")
        answerLocally(.serviceUnavailable, reason: "upstream_unavailable", close: false)
    }
}
