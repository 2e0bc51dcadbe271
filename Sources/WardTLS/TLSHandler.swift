import COpenSSL
import NIOCore

/// Runs TLS through OpenSSL 3 on a NIO channel, as server or client, with SPIFFE peer verification.
///
/// Place it first in the pipeline. Inbound it turns ciphertext into plaintext `ByteBuffer`s, outbound the
/// reverse. After a successful handshake it fires a `TLSHandshakeCompleted` user event carrying the verified
/// peer; every failure is fired as a `TLSError` through `errorCaught` and the connection is closed.
///
/// Writes are queued and encrypted only on `flush`, small ones coalesced into one TLS record. The context is
/// read once from the `TLSContextProvider` when the connection starts, so a context swap never touches an open
/// connection.
public final class TLSHandler: ChannelInboundHandler, ChannelOutboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let provider: TLSContextProvider
    private let serverName: String?
    private var state = TLSConnectionState()
    private var connection: SSLConnection?
    private var pendingWrites: [(buffer: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    /// The batch being encrypted; swapped with `pendingWrites` so neither array is reallocated per flush.
    private var flushing: [(buffer: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    private var plaintext: ByteBuffer?
    /// The handshake timeout, armed while handshaking. A scheduled callback rather than a scheduled task: no promise,
    /// future or closure is allocated per connection for a timer that almost never fires.
    private var handshakeTimer: NIOScheduledCallback?

    /// Writes smaller than this are coalesced into one TLS record.
    private static let coalesceLimit = 16 * 1024
    /// Most ciphertext gathered into one buffer: a larger batch goes out as several writes of about this size (a
    /// `ByteBuffer` holds at most 4 GiB, and a huge batch should not need one huge allocation).
    private static let batchLimit = 16 * 1024 * 1024

    /// - Parameters:
    ///   - provider: where the current context comes from (shared by all connections).
    ///   - serverName: SNI to send (client role only).
    public init(provider: TLSContextProvider, serverName: String? = nil) {
        self.provider = provider
        self.serverName = serverName
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard state.beginHandshake() else { return }
        let tlsContext = provider.current
        guard let connection = SSLConnection(
            context: tlsContext, serverName: serverName, allocator: context.channel.allocator) else {
            fail(context: context, TLSError(.handshakeFailed, "could not create a TLS connection"))
            return
        }
        self.connection = connection
        // Scheduling fails only on an event loop that is shutting down, which closes the channel anyway.
        handshakeTimer = try? context.eventLoop.assumeIsolated().scheduleCallback(
            in: tlsContext.configuration.handshakeTimeout, handler: HandshakeTimeout(handler: self, context: context))
        if tlsContext.role == .client { advance(context: context) }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelHandshakeTimer()
        switch state.peerClosedTransport() {
        case .handshakeInterrupted:
            context.fireErrorCaught(TLSError(.handshakeFailed, "the peer closed the connection during the handshake"))
        case .unclean:
            context.fireErrorCaught(TLSError(.uncleanShutdown, "the peer closed the connection without close_notify"))
        case .clean:
            break
        }
        failPendingWrites(TLSError(.io, "the connection closed"))
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelHandshakeTimer()
        failPendingWrites(TLSError(.io, "the TLS handler was removed"))
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection, state.acceptsInput else { return }
        connection.feed(unwrapInboundIn(data))
        advance(context: context)
        connection.releaseConsumedInput()
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        deliverPlaintext(context: context)
        context.fireChannelReadComplete()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            if state.isActive {
                // TCP EOF without close_notify: a truncation as far as TLS is concerned.
                deliverPlaintext(context: context)
                _ = state.peerClosedTransport()
                context.fireErrorCaught(TLSError(.uncleanShutdown, "the peer closed its side without close_notify"))
                context.close(promise: nil)
                return
            }
            // After the peer's close_notify the pipeline has already been told; the TCP FIN adds nothing.
            if state.peerSentCloseNotify { return }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Drives the handshake or decrypts, then sends whatever OpenSSL produced.
    private func advance(context: ChannelHandlerContext) {
        guard let connection else { return }
        if state.isHandshaking {
            let outcome = connection.doHandshake()
            sendCiphertext(context: context, flush: true)
            switch outcome {
            case .wantRead: return
            case .closed:
                fail(context: context, TLSError(.handshakeFailed, "the peer closed TLS during the handshake"))
                return
            case .failed(let error):
                fail(context: context, error)
                return
            case .complete:
                completeHandshake(context: context, connection: connection)
            }
        }
        guard state.isActive || state.isClosing, connection.hasBufferedInput else { return }
        // Take the buffer out so appending to it never copies (copy-on-write).
        var buffer = plaintext ?? context.channel.allocator.buffer(capacity: 0)
        plaintext = nil
        let outcome = connection.readPlaintext(into: &buffer)
        plaintext = buffer.readableBytes > 0 ? buffer : nil
        sendCiphertext(context: context, flush: true)
        switch outcome {
        case .wantRead, .complete: break
        case .closed: receivedCloseNotify(context: context)
        case .failed(let error): fail(context: context, error)
        }
    }

    private func completeHandshake(context: ChannelHandlerContext, connection: SSLConnection) {
        cancelHandshakeTimer()
        state.handshakeCompleted()
        // The event is the peer's only consumer: the connection lets go of it (and of the chain's DER, over a
        // KiB) instead of holding it for the life of an idle connection.
        let peer = connection.verifiedPeer
        connection.verifiedPeer = nil
        let event = TLSHandshakeCompleted(
            peer: peer,
            alpn: connection.negotiatedALPN,
            serverName: connection.serverName,
            protocolVersion: connection.protocolVersion,
            cipher: connection.cipher
        )
        context.fireUserInboundEventTriggered(event)
        if !pendingWrites.isEmpty { flush(context: context) }
    }

    private func deliverPlaintext(context: ChannelHandlerContext) {
        guard let buffer = plaintext else { return }
        plaintext = nil
        context.fireChannelRead(wrapInboundOut(buffer))
    }

    private func receivedCloseNotify(context: ChannelHandlerContext) {
        deliverPlaintext(context: context)
        context.fireChannelReadComplete()
        state.receivedCloseNotify()
        let halfClosure = (try? context.channel.syncOptions?.getOption(.allowRemoteHalfClosure)) ?? false
        if halfClosure {
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        } else {
            close(context: context, mode: .all, promise: nil)
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state.acceptsWrites else {
            promise?.fail(TLSError(.io, "write on a closed TLS connection"))
            return
        }
        pendingWrites.append((unwrapOutboundIn(data), promise))
    }

    public func flush(context: ChannelHandlerContext) {
        if encryptPendingWrites(context: context) { context.flush() }
    }

    /// Encrypts the queued writes and hands the ciphertext to the channel without flushing it; true when there was
    /// something to send and it all went well (after a failure the connection is already being closed).
    ///
    /// The whole batch is encrypted into one buffer reserved up front and handed on as one write. Draining it per
    /// 64 KiB chunk instead left malloc with dozens of blocks freed together after every flush, so its heap
    /// shrank and grew again each time and every page was faulted in and zeroed anew (half the server's CPU in a
    /// bulk download); one block per batch is one allocation, which malloc learns to keep.
    private func encryptPendingWrites(context: ChannelHandlerContext) -> Bool {
        guard state.canEncrypt, let connection, !pendingWrites.isEmpty else { return false }
        swap(&flushing, &pendingWrites)
        defer { flushing.removeAll(keepingCapacity: true) }
        var plaintextBytes = 0
        for write in flushing { plaintextBytes += write.buffer.readableBytes }
        connection.reserveCiphertext(forPlaintext: min(plaintextBytes, Self.batchLimit), writes: flushing.count)
        var promises: [EventLoopPromise<Void>] = []
        var coalesced: ByteBuffer?
        var handedOn = false  // part of a batch over `batchLimit` already went to the channel

        func encryptCoalesced() -> TLSError? {
            guard var buffer = coalesced else { return nil }
            coalesced = nil
            return encrypt(context: context, connection: connection, &buffer, handedOn: &handedOn)
        }

        /// After a failure no write of the batch is reported sent: every promise fails (none leaks).
        func abandon(_ error: TLSError) -> Bool {
            for write in flushing { write.promise?.fail(error) }
            fail(context: context, error)
            return false
        }

        for (buffer, promise) in flushing {
            if let promise { promises.append(promise) }
            if buffer.readableBytes < Self.coalesceLimit
                && (coalesced?.readableBytes ?? 0) + buffer.readableBytes <= Self.coalesceLimit
            {
                if coalesced == nil {
                    coalesced = buffer
                } else {
                    var incoming = buffer
                    coalesced!.writeBuffer(&incoming)
                }
                continue
            }
            if let error = encryptCoalesced() { return abandon(error) }
            var big = buffer
            if let error = encrypt(context: context, connection: connection, &big, handedOn: &handedOn) {
                return abandon(error)
            }
        }
        if let error = encryptCoalesced() { return abandon(error) }
        // The promises ride on the batch's last write: an empty one when the batch ended exactly at `batchLimit`.
        let cipher = connection.drainCiphertext() ?? (handedOn ? context.channel.allocator.buffer(capacity: 0) : nil)
        guard let cipher else {
            promises.forEach { $0.succeed(()) }  // only empty writes: nothing to send
            return false
        }
        var promise: EventLoopPromise<Void>? = promises.first
        if promises.count > 1 {
            let combined = context.eventLoop.makePromise(of: Void.self)
            promises.forEach { combined.futureResult.cascade(to: $0) }
            promise = combined
        }
        context.write(wrapOutboundOut(cipher), promise: promise)
        return true
    }

    /// Encrypts all of `buffer` into the connection's outbound ciphertext; the error if OpenSSL refused. Once a
    /// batch's ciphertext reaches `batchLimit` it is handed to the channel (unflushed, so no event can re-enter
    /// this handler) and a new buffer begins; the batch's last write, which carries the promises, stays last.
    private func encrypt(
        context: ChannelHandlerContext, connection: SSLConnection, _ buffer: inout ByteBuffer, handedOn: inout Bool
    ) -> TLSError? {
        while buffer.readableBytes > 0 {
            let count = min(buffer.readableBytes, Self.batchLimit)
            let outcome = buffer.readWithUnsafeReadableBytes { bytes in
                (count, connection.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes.prefix(count))))
            }
            if case .failed(let error) = outcome { return error }
            if connection.pendingCiphertext >= Self.batchLimit, let cipher = connection.drainCiphertext() {
                context.write(wrapOutboundOut(cipher), promise: nil)
                handedOn = true
            }
        }
        return nil
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .input:
            context.close(mode: mode, promise: promise)
        case .output, .all:
            // Queued application data goes out before close_notify, and in the same socket write as it.
            let encrypted = encryptPendingWrites(context: context)
            guard let connection, state.beginClose(mode: mode) else {
                if encrypted { context.flush() }
                context.close(mode: mode, promise: promise)
                return
            }
            connection.shutdown()
            guard let cipher = connection.drainCiphertext() else {
                if encrypted { context.flush() }
                context.close(mode: mode, promise: promise)
                return
            }
            // Let close_notify reach the socket before closing it.
            context.writeAndFlush(wrapOutboundOut(cipher)).assumeIsolated().whenComplete { _ in
                context.close(mode: mode, promise: promise)
            }
        }
    }

    // MARK: Helpers

    private func sendCiphertext(context: ChannelHandlerContext, flush: Bool) {
        guard let connection, let cipher = connection.drainCiphertext() else {
            return
        }
        context.write(wrapOutboundOut(cipher), promise: nil)
        if flush { context.flush() }
    }

    private func fail(context: ChannelHandlerContext, _ error: TLSError) {
        guard state.fail() else { return }
        cancelHandshakeTimer()
        sendCiphertext(context: context, flush: true)  // an alert, if OpenSSL produced one
        failPendingWrites(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func cancelHandshakeTimer() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
    }

    /// Called by `HandshakeTimeout` when the timer fires.
    fileprivate func handshakeTimedOut(context: ChannelHandlerContext) {
        handshakeTimer = nil
        guard state.isHandshaking, let connection else { return }
        let timeout = connection.context.configuration.handshakeTimeout
        fail(context: context, TLSError(.handshakeTimeout, "no TLS handshake within \(timeout.nanoseconds / 1_000_000) ms"))
    }

    private func failPendingWrites(_ error: TLSError) {
        let writes = pendingWrites
        pendingWrites.removeAll()
        writes.forEach { $0.promise?.fail(error) }
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}

/// The handshake timeout's callback: a value of two references, so the event loop stores it without a further
/// allocation. Kept out of `TLSHandler`'s public API.
private struct HandshakeTimeout: NIOScheduledCallbackHandler {
    let handler: TLSHandler
    let context: ChannelHandlerContext

    func handleScheduledCallback(eventLoop: some EventLoop) {
        handler.handshakeTimedOut(context: context)
    }
}
