/// An immutable open-addressing hash map from (parent, byte string) to an `Int32`, probed without allocating.
///
/// The evaluator looks up path segments and hosts straight from the request's UTF-8 bytes; a `[String: Int]`
/// would need a `String` per lookup. Each slot holds the whole entry (hash, parent, value, key position), so a
/// probe touches one slot's cache line plus the key bytes in the shared arena.
struct ByteKeyTable: Sendable {
    struct Slot: Sendable {
        var hash: UInt64 = 0
        var parent: Int32 = 0
        var value: Int32 = 0
        var keyStart: Int32 = 0
        /// -1 marks an empty slot.
        var keyLength: Int32 = -1
    }

    private var slots: [Slot]
    private var arena: [UInt8] = []
    private var mask: Int
    private(set) var count = 0
    /// Whether keys compare ASCII-case-insensitively (hosts). Keys must be inserted lowercased.
    let caseInsensitive: Bool

    init(caseInsensitive: Bool = false, capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
        self.caseInsensitive = caseInsensitive
    }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, parent: Int32, foldCase: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15
        if foldCase {
            for byte in key { h = (h ^ UInt64(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)) &* 0x100_0000_01b3 }
        } else {
            for byte in key { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return h ^ (h >> 29)
    }

    /// Inserts or replaces. Only used while compiling.
    mutating func insert(_ key: [UInt8], parent: Int32, value: Int32) {
        if (count + 1) * 2 > slots.count { grow() }
        let h = key.withUnsafeBufferPointer { Self.hash($0, parent: parent, foldCase: caseInsensitive) }
        if let existing = key.withUnsafeBufferPointer({ find($0, parent: parent, hash: h) }) {
            slots[existing].value = value
            return
        }
        let entry = Slot(hash: h, parent: parent, value: value, keyStart: Int32(arena.count), keyLength: Int32(key.count))
        arena += key
        place(entry)
        count += 1
    }

    private mutating func place(_ entry: Slot) {
        var slot = Int(truncatingIfNeeded: entry.hash) & mask
        while slots[slot].keyLength >= 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        for entry in old where entry.keyLength >= 0 { place(entry) }
    }

    /// The slot holding `key` under `parent`, or nil.
    @inline(__always)
    private func find(_ key: UnsafeBufferPointer<UInt8>, parent: Int32, hash: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let entry = slots[slot]
                    if entry.keyLength < 0 { return nil }
                    if entry.hash == hash && entry.parent == parent && Int(entry.keyLength) == key.count {
                        let start = Int(entry.keyStart)
                        var equal = true
                        for i in 0..<key.count {
                            var b = key[i]
                            if caseInsensitive && b >= 0x41 && b <= 0x5A { b |= 0x20 }
                            if arena[start + i] != b {
                                equal = false
                                break
                            }
                        }
                        if equal { return slot }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// The value for `key` under `parent`, or -1.
    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>, parent: Int32) -> Int32 {
        if count == 0 { return -1 }
        let h = Self.hash(key, parent: parent, foldCase: caseInsensitive)
        guard let slot = find(key, parent: parent, hash: h) else { return -1 }
        return slots[slot].value
    }
}
