/// An immutable open-addressing hash map from (parent, byte string) to an `Int32`, probed without allocating.
///
/// The evaluator looks up path segments and hosts straight from the request's UTF-8 bytes; a `[String: Int]`
/// would need a `String` per lookup. Keys live in one byte arena.
struct ByteKeyTable: Sendable {
    private var slots: [Int32]  // entry index + 1; 0 is empty
    private var keyStart: [Int32] = []
    private var keyLength: [Int32] = []
    private var parents: [Int32] = []
    private var values: [Int32] = []
    private var hashes: [UInt64] = []
    private var arena: [UInt8] = []
    private var mask: Int
    /// Whether keys compare ASCII-case-insensitively (hosts). Keys must be inserted lowercased.
    let caseInsensitive: Bool

    init(caseInsensitive: Bool = false, capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        self.caseInsensitive = caseInsensitive
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, parent: Int32, foldCase: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15
        for byte in key {
            let b = foldCase && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    /// Inserts or replaces. Only used while compiling.
    mutating func insert(_ key: [UInt8], parent: Int32, value: Int32) {
        if values.count * 2 >= slots.count { grow() }
        let h = key.withUnsafeBufferPointer { Self.hash($0, parent: parent, foldCase: caseInsensitive) }
        if let existing = key.withUnsafeBufferPointer({ find($0, parent: parent, hash: h) }) {
            values[existing] = value
            return
        }
        keyStart.append(Int32(arena.count))
        keyLength.append(Int32(key.count))
        arena += key
        parents.append(parent)
        values.append(value)
        hashes.append(h)
        place(values.count - 1)
    }

    private mutating func place(_ entry: Int) {
        var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for entry in 0..<values.count { place(entry) }
    }

    private func find(_ key: UnsafeBufferPointer<UInt8>, parent: Int32, hash: UInt64) -> Int? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { return nil }
            if hashes[entry] == hash && parents[entry] == parent && Int(keyLength[entry]) == key.count {
                let start = Int(keyStart[entry])
                var equal = true
                for i in 0..<key.count {
                    var b = key[i]
                    if caseInsensitive && b >= 0x41 && b <= 0x5A { b |= 0x20 }
                    if arena[start + i] != b {
                        equal = false
                        break
                    }
                }
                if equal { return entry }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The value for `key` under `parent`, or -1.
    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>, parent: Int32) -> Int32 {
        if values.isEmpty { return -1 }
        let h = Self.hash(key, parent: parent, foldCase: caseInsensitive)
        guard let entry = find(key, parent: parent, hash: h) else { return -1 }
        return values[entry]
    }
}
