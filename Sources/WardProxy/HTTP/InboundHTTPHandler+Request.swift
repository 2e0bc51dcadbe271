import Foundation
import NIOCore
import NIOHTTP1
import WardPolicy

extension InboundHTTPHandler {
    func requestHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        headTimer.headReceived()
        guard exchange.requestStarted(close: !head.isKeepAlive) else {
            context.close(promise: nil)  // fail closed: never two exchanges at once
            return
        }
        record = ExchangeRecord(method: head.method.rawValue, path: head.uri)
        bodyBytesSent = 0
        retried = false
        responseVersion = head.version.minor == 0 ? .http1_0 : .http1_1
        pendingParts.removeAll(keepingCapacity: true)

        let present = InspectedHeaders(head.headers)
        let body = BodyFraming(head.headers, present: present)
        if let problem = body.problem {
            answerLocally(.badRequest, reason: problem, close: true)
            return
        }
        if head.method == .CONNECT {
            // The decoder treats what follows CONNECT as a tunnel: nothing after it can be parsed as HTTP.
            answerLocally(.badRequest, reason: "connect_not_supported", close: true)
            return
        }
        // A body we refuse to read to the end (or one the client waits to send) means closing after the answer.
        let expectsContinue = present.contains(.expect) && head.expectsContinue
        let closeIfRefused = body.mustCloseIfRefused(expectContinue: expectsContinue)
        guard hasPeer else {
            answerLocally(.forbidden, reason: "no_peer", close: true)
            return
        }
        let hosts = present.hosts(in: head.headers)
        if head.version.minor >= 1, hosts.count != 1 {
            answerLocally(.badRequest, reason: hosts.isEmpty ? "missing_host" : "multiple_host", close: closeIfRefused)
            return
        }
        // The one normalization (also refuses `;` path parameters, which servers like Tomcat strip).
        let normalized: NormalizedPath
        do {
            normalized = try NormalizedPath(head.uri)
        } catch {
            answerLocally(.badRequest, reason: error.code, close: closeIfRefused)
            return
        }
        record?.path = normalized.path
        guard let decider = currentDecider() else {
            answerLocally(.forbidden, reason: "no_peer", close: true)
            return
        }
        let host = hosts.first.map(String.init)
        let result = decider.decide(
            method: head.method, path: normalized.path, host: host, port: destinationPort, headers: head.headers)
        record?.result = result
        record?.decision = result.allowed ? "allow" : "deny"
        guard result.allowed else {
            answerLocally(.forbidden, reason: nil, close: closeIfRefused, decision: result)
            return
        }

        // One copy of the header list: hop-by-hop headers, `Expect` and any caller-sent XFCC dropped, Ward's own
        // headers appended (`HTTPHeaders.add` would copy the list again and re-check each name).
        var added = addedHeaders  // copied only in the rare cases below
        if body.isChunked { added.insert(("transfer-encoding", "chunked"), at: 0) }
        if head.version.minor == 0, hosts.isEmpty, let upstream = shared.config.upstream {
            added.append(("host", upstream.description))  // forwarded as HTTP/1.1, which needs one
        }
        forwardHead = HTTPRequestHead(
            version: .http1_1, method: head.method, uri: normalized.forwardTarget,
            headers: HopByHop.forwarded(
                head.headers,
                dropping: present.contains(.expect) ? ["expect", ForwardedClientCert.name] : [ForwardedClientCert.name],
                appending: added))
        exchange.allowed()
        if expectsContinue {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))),
                promise: nil)
        }
        pauseClientReads()
        connectUpstream(fresh: false, context: context)
    }

    func requestBody(_ buffer: ByteBuffer) {
        switch exchange.phase {
        case .connecting:
            record?.bytesIn += buffer.readableBytes
            pendingParts.append(.body(.byteBuffer(buffer)))
        case .forwarding:
            record?.bytesIn += buffer.readableBytes
            guard let upstream else { return }
            bodyBytesSent += buffer.readableBytes
            upstream.write(.body(.byteBuffer(buffer)))
            if !upstream.isWritable { pauseClientReads() }
        case .answeredLocally, .idle:
            break  // the answer is out; the body is read and dropped
        }
    }

    func requestEnd() {
        switch exchange.phase {
        case .connecting:
            pendingParts.append(.end(nil))
            _ = exchange.requestEnd()
        case .forwarding:
            if let upstream {
                upstream.write(.end(nil))
                upstream.flush()
            }
            complete(exchange.requestEnd())
        case .answeredLocally:
            complete(exchange.requestEnd())
        case .idle:
            break
        }
    }

    /// The decoder rejected the bytes: answer `400` (`431` for oversized headers) and close, since the framing of
    /// anything after them can no longer be trusted.
    func malformed(_ error: HTTPParserError, context: ChannelHandlerContext) {
        let status: HTTPResponseStatus = error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        switch exchange.phase {
        case .idle:
            guard exchange.requestStarted(close: true) else { return }
            responseVersion = .http1_1
            record = ExchangeRecord(method: "-", path: "-")
            answerLocally(status, reason: "malformed: \(error)", close: true)
        case .connecting, .forwarding:
            if exchange.responseStarted {
                record?.reason = "malformed_body: \(error)"
                context.close(promise: nil)
            } else {
                answerLocally(status, reason: "malformed_body: \(error)", close: true)
            }
        case .answeredLocally:
            context.close(promise: nil)
        }
    }
}

/// How a request says its body is framed, and what about that is unacceptable.
///
/// Request smuggling lives in disagreements about framing between hops, so anything ambiguous is refused with
/// `400` and a close: both `Content-Length` and `Transfer-Encoding`, differing `Content-Length` values, or a
/// `Transfer-Encoding` other than exactly `chunked`.
struct BodyFraming {
    var problem: String?
    var isChunked = false
    var contentLength: Int?

    /// `present` (default: found here) lets the caller share one scan of the header names.
    init(_ headers: HTTPHeaders, present: InspectedHeaders? = nil) {
        let present = present ?? InspectedHeaders(headers)
        let lengths = present.contains(.contentLength) ? headers[canonicalForm: "content-length"] : []
        let codings = present.contains(.transferEncoding) ? headers[canonicalForm: "transfer-encoding"] : []
        if !lengths.isEmpty, !codings.isEmpty {
            problem = "both_content_length_and_transfer_encoding"
            return
        }
        if !codings.isEmpty {
            guard codings.count == 1, codings[0].lowercased() == "chunked" else {
                problem = "unsupported_transfer_encoding"
                return
            }
            isChunked = true
        }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), let value = Int(first), value >= 0 else {
                problem = "conflicting_content_length"
                return
            }
            contentLength = value
        }
    }

    var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }

    /// Whether refusing this request should close the connection rather than read and drop its body.
    func mustCloseIfRefused(expectContinue: Bool) -> Bool {
        guard hasBody else { return false }
        return expectContinue || isChunked || (contentLength ?? 0) > InboundHTTPHandler.maxDiscardedBody
    }
}

extension HTTPRequestHead {
    var expectsContinue: Bool {
        headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
    }
}
