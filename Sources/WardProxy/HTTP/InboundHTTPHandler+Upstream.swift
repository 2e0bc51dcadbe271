import NIOCore
import NIOHTTP1

extension InboundHTTPHandler: UpstreamDelegate {
    func connectUpstream(fresh: Bool, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let completion: (Result<UpstreamConnection, Error>) -> Void = { [self] result in
            switch result {
            case .success(let connection):
                guard self.context != nil, exchange.phase == .connecting else {
                    shared.pool.release(connection, on: loop)
                    return
                }
                upstreamReady(connection)
            case .failure:
                guard self.context != nil, exchange.phase == .connecting else { return }
                shared.metrics.countUpstreamError(kind: "unavailable")
                answerLocally(.serviceUnavailable, reason: "upstream_unavailable", close: false)
            }
        }
        if fresh {
            shared.pool.connect(on: loop, completion)
        } else {
            shared.pool.acquire(on: loop, completion)
        }
    }

    private func upstreamReady(_ connection: UpstreamConnection) {
        guard let forwardHead, let context else { return }
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
        let timeout = shared.config.upstreamTimeout
        if timeout > .zero {
            responseTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                self?.upstreamTimedOut()
            }
        }
        if connection.isWritable { resumeClientReads() }
    }

    private func upstreamTimedOut() {
        responseTimer = nil
        guard !exchange.responseStarted, let upstream else { return }
        self.upstream = nil
        upstream.close()
        shared.metrics.countUpstreamError(kind: "timeout")
        answerLocally(.gatewayTimeout, reason: "upstream_timeout", close: false)
    }

    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
        guard connection === upstream, let context else { return }
        switch part {
        case .head(let head):
            responseTimer?.cancel()
            responseTimer = nil
            if let sent = record?.upstreamSent { record?.upstreamDuration = .now() - sent }
            exchange.responseHead(upstreamKeepAlive: head.isKeepAlive)
            record?.status = Int(head.status.code)
            var outbound = HTTPResponseHead(version: responseVersion, status: head.status, headers: head.headers)
            HopByHop.strip(&outbound.headers)
            if responseVersion == .http1_0, !outbound.headers.contains(name: "content-length") {
                exchange.closeWhenDone()  // HTTP/1.0 has no chunking: the body ends with the connection
            }
            if exchange.closeAfter { outbound.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(outbound)), promise: nil)
        case .body(let buffer):
            record?.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable { connection.pauseReads() }
        case .end(let trailers):
            let action = exchange.responseEnd()
            finishExchange(action, end: .end(trailers))
        }
    }

    func upstreamReadComplete(_ connection: UpstreamConnection) {
        guard connection === upstream else { return }
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
        responseTimer?.cancel()
        responseTimer = nil
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
