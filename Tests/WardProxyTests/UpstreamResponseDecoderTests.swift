import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import WardProxy

/// The upstream response decoder learns request methods from `requestSent` instead of observing writes: responses
/// to `HEAD` must still be read without a body, and a head sent while a response is decoded must not claim bytes
/// that arrived before it was sent.
@Suite("Upstream response decoding")
struct UpstreamResponseDecoderTests {
    private func head(_ method: HTTPMethod) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/")
    }

    private func channel(
        _ decoder: UpstreamResponseDecoder, extra: (any ChannelHandler)? = nil
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
        if let extra { try channel.pipeline.syncOperations.addHandler(extra) }
        return channel
    }

    private func feed(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(channel.allocator.buffer(string: text))
    }

    private func parts(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
            switch part {
            case .head(let head): out.append("head \(head.status.code)")
            case .body(let buffer): out.append("body \(String(buffer: buffer))")
            case .end: out.append("end")
            }
        }
        return out
    }

    @Test func responsesToHeadHaveNoBody() throws {
        let decoder = UpstreamResponseDecoder()
        let channel = try channel(decoder)
        decoder.requestSent(head(.HEAD))
        try feed(channel, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        #expect(try parts(channel) == ["head 200", "end"])
        decoder.requestSent(head(.GET))
        try feed(channel, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
        #expect(try parts(channel) == ["head 200", "body hello", "end"])
        _ = try channel.finish()
    }

    @Test func responseWithoutRequestIsRefused() throws {
        let channel = try channel(UpstreamResponseDecoder())
        #expect(throws: NIOHTTPDecoderError.unsolicitedResponse) {
            try feed(channel, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        }
        _ = try? channel.finish()
    }

    /// Sends the next request head when a response ends, as the proxy can when the next pipelined request starts.
    private final class SendsOnEnd: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let decoder: UpstreamResponseDecoder
        let next: HTTPRequestHead
        init(_ decoder: UpstreamResponseDecoder, next: HTTPRequestHead) {
            self.decoder = decoder
            self.next = next
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .end = unwrapInboundIn(data) { decoder.requestSent(next) }
            context.fireChannelRead(data)
        }
    }

    @Test func headSentDuringDecodingDoesNotClaimEarlierBytes() throws {
        let decoder = UpstreamResponseDecoder()
        let channel = try channel(decoder, extra: SendsOnEnd(decoder, next: head(.HEAD)))
        decoder.requestSent(head(.GET))
        // A second response in the same read came before the second request was sent: unsolicited.
        #expect(throws: NIOHTTPDecoderError.unsolicitedResponse) {
            try feed(
                channel, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n")
        }
        _ = try? channel.finish()
    }

    @Test func headSentDuringDecodingAppliesToTheNextResponse() throws {
        let decoder = UpstreamResponseDecoder()
        let channel = try channel(decoder, extra: SendsOnEnd(decoder, next: head(.HEAD)))
        decoder.requestSent(head(.GET))
        try feed(channel, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        #expect(try parts(channel) == ["head 200", "body ok", "end"])
        try feed(channel, "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n")
        #expect(try parts(channel) == ["head 200", "end"])  // known to answer HEAD: no body awaited
        _ = try channel.finish()
    }
}
