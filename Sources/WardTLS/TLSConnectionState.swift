import NIOCore

/// The life of one TLS connection, as a plain value with `mutating` transitions (no I/O here).
struct TLSConnectionState {
    enum State {
        case idle
        case handshaking
        case active
        /// We sent close_notify (`outputOnly` for a half-close); input may still arrive.
        case closing(outputOnly: Bool)
        /// The peer sent close_notify; we may still write until we close.
        case peerClosed
        case closed
    }

    private(set) var state: State = .idle

    var isHandshaking: Bool { if case .handshaking = state { true } else { false } }
    var isActive: Bool { if case .active = state { true } else { false } }
    var isClosing: Bool { if case .closing = state { true } else { false } }

    /// Whether the peer ended its direction with close_notify (and we have not closed yet).
    var peerSentCloseNotify: Bool { if case .peerClosed = state { true } else { false } }

    /// Whether application data may be encrypted now: after the handshake, until we send close_notify (a peer's
    /// close_notify ends only its direction).
    var canEncrypt: Bool {
        switch state {
        case .active, .peerClosed: true
        case .idle, .handshaking, .closing, .closed: false
        }
    }

    /// Whether ciphertext from the peer is still wanted.
    var acceptsInput: Bool {
        switch state {
        case .handshaking, .active, .closing: true
        case .idle, .peerClosed, .closed: false
        }
    }

    /// Whether the application may still queue writes.
    var acceptsWrites: Bool {
        switch state {
        case .idle, .handshaking, .active, .peerClosed: true
        case .closing, .closed: false
        }
    }

    /// idle → handshaking; false if already started.
    mutating func beginHandshake() -> Bool {
        guard case .idle = state else { return false }
        state = .handshaking
        return true
    }

    mutating func handshakeCompleted() {
        if case .handshaking = state { state = .active }
    }

    mutating func receivedCloseNotify() {
        switch state {
        case .active: state = .peerClosed
        case .closing: state = .closed
        default: break
        }
    }

    /// Starts sending close_notify; false when there is no TLS session to close.
    mutating func beginClose(mode: CloseMode) -> Bool {
        switch state {
        case .active, .peerClosed:
            state = .closing(outputOnly: mode == .output)
            return true
        case .idle, .handshaking:
            state = .closed
            return false
        case .closing, .closed:
            return false
        }
    }

    enum TransportClose { case clean, unclean, handshakeInterrupted }

    /// The TCP connection ended; says whether that was a clean TLS close.
    mutating func peerClosedTransport() -> TransportClose {
        defer { state = .closed }
        switch state {
        case .handshaking: return .handshakeInterrupted
        case .active: return .unclean
        case .idle, .closing, .peerClosed, .closed: return .clean
        }
    }

    /// Any state → closed; false if already closed (report a failure once).
    mutating func fail() -> Bool {
        if case .closed = state { return false }
        state = .closed
        return true
    }
}

