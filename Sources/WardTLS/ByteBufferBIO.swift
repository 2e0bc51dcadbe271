import COpenSSL
import NIOCore

/// An OpenSSL `BIO` whose bytes live in NIO `ByteBuffer`s: OpenSSL reads ciphertext straight from the buffer the
/// socket filled and writes ciphertext into a buffer that goes straight to the socket.
///
/// Compared with memory BIOs this saves a copy each way and, more importantly for a mesh with many idle
/// connections, holds no memory between reads: the inbound buffer is dropped once consumed and the outbound one
/// is handed to the channel, where memory BIOs would keep their high-water allocation for the connection's life.
final class ByteBufferBIO {
    /// The `BIO*`, owned by the `SSL*` once attached with `SSL_set_bio`.
    let bio: OpaquePointer
    private var inbound: ByteBuffer?
    private var outbound: ByteBuffer?
    private let allocator: ByteBufferAllocator
    /// Capacity of the buffer started by the first write after the outbound one was taken: during the handshake
    /// one whole flight (`TLSContext.handshakeFlightCapacity`), so the certificate flight is not copied into
    /// ever larger buffers record by record; afterwards `defaultFirstWriteCapacity`.
    var firstWriteCapacity = ByteBufferBIO.defaultFirstWriteCapacity
    static let defaultFirstWriteCapacity = 1024

    init?(allocator: ByteBufferAllocator) {
        guard let method = ByteBufferBIO.method, let bio = BIO_new(method) else { return nil }
        self.bio = bio
        self.allocator = allocator
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
    }

    /// Makes `buffer` (ciphertext from the network) available to OpenSSL.
    func receive(_ buffer: ByteBuffer) {
        if var pending = inbound, pending.readableBytes > 0 {
            var incoming = buffer
            pending.writeBuffer(&incoming)
            inbound = pending
        } else {
            inbound = buffer
        }
    }

    /// Drops the inbound buffer once OpenSSL consumed it, so nothing is held while the connection is idle.
    func releaseConsumedInput() {
        if inbound?.readableBytes == 0 { inbound = nil }
    }

    /// Ciphertext received but not yet read by OpenSSL: an upper bound for the plaintext it can still yield.
    var unreadInput: Int { inbound?.readableBytes ?? 0 }

    /// Ciphertext written by OpenSSL and not yet taken.
    var pendingOutput: Int { outbound?.readableBytes ?? 0 }

    /// Makes room for `bytes` more ciphertext, so writing a large chunk's records never regrows the buffer.
    func reserveOutbound(_ bytes: Int) {
        var buffer = outbound ?? allocator.buffer(capacity: bytes)
        outbound = nil
        buffer.reserveCapacity(minimumWritableBytes: bytes)
        outbound = buffer
    }

    /// Ciphertext OpenSSL produced since the last call, or nil.
    func takeOutbound() -> ByteBuffer? {
        defer { outbound = nil }
        return outbound
    }

    fileprivate func read(into destination: UnsafeMutablePointer<CChar>, count: Int) -> Int32 {
        guard var buffer = inbound, buffer.readableBytes > 0 else { return -1 }
        let n = min(count, buffer.readableBytes)
        buffer.withUnsafeReadableBytes { bytes in
            UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress!, byteCount: n)
        }
        buffer.moveReaderIndex(forwardBy: n)
        inbound = nil  // keep the buffer uniquely referenced while updating it
        inbound = buffer
        return Int32(n)
    }

    fileprivate func write(_ source: UnsafePointer<CChar>, count: Int) {
        var buffer = outbound ?? allocator.buffer(capacity: max(count, firstWriteCapacity))
        outbound = nil
        buffer.writeBytes(UnsafeRawBufferPointer(start: source, count: count))
        outbound = buffer
    }

    /// The method table, made once per process and never changed afterwards (OpenSSL only reads it).
    nonisolated(unsafe) private static let method: OpaquePointer? = {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ward ByteBuffer") else {
            return nil
        }
        BIO_meth_set_read(method, wardBIORead)
        BIO_meth_set_write(method, wardBIOWrite)
        BIO_meth_set_ctrl(method, wardBIOControl)
        BIO_meth_set_create(method, { _ in 1 })
        BIO_meth_set_destroy(method, { _ in 1 })
        return method
    }()
}

private func owner(_ bio: OpaquePointer?) -> ByteBufferBIO? {
    guard let bio, let data = BIO_get_data(bio) else { return nil }
    return Unmanaged<ByteBufferBIO>.fromOpaque(data).takeUnretainedValue()
}

private let wardBIORead: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32 = {
    bio, destination, count in
    guard let bio, let destination, count > 0, let owner = owner(bio) else { return 0 }
    ward_BIO_clear_retry_flags(bio)
    let n = owner.read(into: destination, count: Int(count))
    if n < 0 { ward_BIO_set_retry_read(bio) }
    return n
}

private let wardBIOWrite: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    bio, source, count in
    guard let bio, let source, count > 0, let owner = owner(bio) else { return 0 }
    ward_BIO_clear_retry_flags(bio)
    owner.write(source, count: Int(count))
    return count
}

private let wardBIOControl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int = {
    _, command, _, _ in
    switch command {
    case BIO_CTRL_FLUSH: 1  // writes are never buffered beyond `outbound`
    default: 0
    }
}
