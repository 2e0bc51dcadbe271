import NIOCore
import NIOHTTP1

/// NIO's `HTTPResponseDecoder`, told about each request head by `UpstreamConnection` instead of by watching writes.
///
/// The response decoder must know the method of every request sent (a response to `HEAD` or `CONNECT` has no
/// body whatever its headers say), so NIO makes it a `WriteObservingByteToMessageDecoder`. That turns its
/// `ByteToMessageHandler` into an outbound handler too: every write, flush and read on the upstream channel passed
/// through it, and each observed write asked the runtime for generic metadata (~6.5 k instructions per request).
/// Wrapped in this plain decoder the handler is inbound only, and `UpstreamConnection` hands over the heads it
/// sends, the only writes the decoder looks at. Parsing is NIO's, unchanged.
///
/// A head sent while a response is being decoded (the end of one response can start the next request on the same
/// connection synchronously) is held until that decode returns, as `ByteToMessageHandler` holds re-entrant
/// writes: bytes that arrived before the request was sent are never taken for its response.
///
/// Public so that the benchmark floor (`Benchmarks/`, `ward-http-floor`) builds its upstream side exactly as Ward does.
public final class UpstreamResponseDecoder: ByteToMessageDecoder {
    public typealias InboundOut = HTTPClientResponsePart

    public init() {}

    private let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
    private var decoding = false
    private var heldHeads: [HTTPRequestHead] = []

    /// A request head is about to be written to the upstream.
    public func requestSent(_ head: HTTPRequestHead) {
        if decoding {
            heldHeads.append(head)
        } else {
            decoder.write(data: .head(head))
        }
    }

    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try whileDecoding { try decoder.decode(context: context, buffer: &buffer) }
    }

    public func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try whileDecoding { try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF) }
    }

    public func decoderAdded(context: ChannelHandlerContext) { decoder.decoderAdded(context: context) }

    public func decoderRemoved(context: ChannelHandlerContext) { decoder.decoderRemoved(context: context) }

    public func shouldReclaimBytes(buffer: ByteBuffer) -> Bool { decoder.shouldReclaimBytes(buffer: buffer) }

    /// Runs one decode step, then passes on the heads sent during it; `.continue` then asks for another step over
    /// the bytes left, as `ByteToMessageHandler` does after replaying held writes.
    private func whileDecoding(_ step: () throws -> DecodingState) throws -> DecodingState {
        decoding = true
        defer { decoding = false }
        let state = try step()
        guard !heldHeads.isEmpty else { return state }
        decoding = false
        for head in heldHeads { decoder.write(data: .head(head)) }
        heldHeads.removeAll()
        return .continue
    }
}

@available(*, unavailable)
extension UpstreamResponseDecoder: Sendable {}
