/// The immutable segment trie (see `PathTrieBuilder`).
///
/// Every edge, literal or `{*}`, lives in one open-addressing slot table keyed by the *child's identity hash*: a
/// hash of the parent's identity hash and the segment. A request's hashes therefore follow from its bytes alone,
/// so the CPU can fetch the slots of all levels at once instead of one cache miss after another (the parent's
/// node id, which is only known after the previous load, is compared but never needed to find a slot). Slots are
/// 64 bytes, 64-byte aligned: one level costs one cache line, with the child's node record inline.
///
/// Immutable after `init`; the slot storage is owned here and freed in `deinit`, hence `@unchecked Sendable`.
final class PathTrie: @unchecked Sendable {
    typealias Node = PathTrieBuilder.Node

    static let rootHash: UInt64 = 0x243F_6A88_85A3_08D3

    /// An edge: the segment's first 16 bytes inline, the child's node record copied in, and when the child's
    /// exact set has a single non-zero word, that word too (so the commonest hit needs no further lookup).
    struct Slot {
        var key0: UInt64 = 0
        var key1: UInt64 = 0
        /// The child's exact set's only non-zero word when the set has one (then `node.exact` is a `clauseRef`
        /// to its lowest clause, which also gives the word's index); 0 when not inlined.
        var exactBits: UInt64 = 0
        var parent: Int32 = 0
        /// Segment length; `empty` marks an empty slot, `oneEdge` a `{*}` edge.
        var keyLength: Int32 = Slot.empty
        var child: Int32 = 0
        var node = Node()

        static let empty: Int32 = -1
        static let oneEdge: Int32 = -2
    }

    let nodes: [Node]
    private let slots: UnsafeMutablePointer<Slot>
    let mask: Int
    let longKeys: [UInt8]
    /// Per slot, where the bytes of its key beyond the 16th start in `longKeys` (empty when no key is that
    /// long; kept out of the slot so the slot has room for the child's literal count).
    let longKeyStart: [Int32]
    let prefixBytes: [UInt8]
    let prefixByteStart: [Int32]
    let prefixSets: [Int32]

    /// `singleWord(set)` gives a set's only non-zero word (bits, index), or nil when it has several.
    init(nodes: [Node], nodeHashes: [UInt64], edges: [(parent: Int32, key: [UInt8], child: Int32)],
        oneEdges: [(parent: Int32, child: Int32)], prefixBytes: [UInt8], prefixByteStart: [Int32], prefixSets: [Int32],
        singleWord: (Int32) -> (bits: UInt64, word: Int32)?)
    {
        precondition(MemoryLayout<Slot>.stride == 64, "a trie slot is one cache line")
        var size = 16
        while size < (edges.count + oneEdges.count) * 2 { size <<= 1 }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size * MemoryLayout<Slot>.stride, alignment: 64)
        let slots = raw.bindMemory(to: Slot.self, capacity: size)
        slots.initialize(repeating: Slot(), count: size)
        var longKeyStart: [Int32] = []
        func place(_ entry: Slot, hash: UInt64, keyStart: Int32 = -1) {
            var entry = entry
            if entry.node.exact >= 0, let single = singleWord(entry.node.exact) {
                entry.exactBits = single.bits
                entry.node.exact = Self.clauseRef(Int(single.word) << 6 | single.bits.trailingZeroBitCount)
            }
            var slot = Int(truncatingIfNeeded: hash) & (size - 1)
            while slots[slot].keyLength != Slot.empty { slot = (slot + 1) & (size - 1) }
            slots[slot] = entry
            if keyStart >= 0 {
                if longKeyStart.isEmpty { longKeyStart = [Int32](repeating: 0, count: size) }
                longKeyStart[slot] = keyStart
            }
        }
        var longKeys: [UInt8] = []
        for edge in edges {
            let (hash, key0, key1) = edge.key.withUnsafeBufferPointer { Self.childHash($0, parent: nodeHashes[Int(edge.parent)]) }
            place(Slot(key0: key0, key1: key1, parent: edge.parent, keyLength: Int32(edge.key.count),
                child: edge.child, node: nodes[Int(edge.child)]), hash: hash,
                keyStart: edge.key.count > 16 ? Int32(longKeys.count) : -1)
            if edge.key.count > 16 { longKeys += edge.key[16...] }
        }
        for edge in oneEdges {
            place(Slot(parent: edge.parent, keyLength: Slot.oneEdge, child: edge.child, node: nodes[Int(edge.child)]),
                hash: nodeHashes[Int(edge.child)])
        }
        self.nodes = nodes
        self.slots = slots
        self.mask = size - 1
        self.longKeys = longKeys
        self.longKeyStart = longKeyStart
        self.prefixBytes = prefixBytes
        self.prefixByteStart = prefixByteStart
        self.prefixSets = prefixSets
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        UnsafeMutableRawPointer(slots).deallocate()
    }

    /// Bytes held by the slot table.
    var slotBytes: Int { (mask + 1) * MemoryLayout<Slot>.stride }

    /// The identity hash of the child reached from a node with identity `parent` by the literal `key`, plus the
    /// key's first 16 bytes packed little-endian (compared instead of the bytes). Word-at-a-time: a segment of up
    /// to 16 bytes costs two multiplies, not one per byte.
    @inline(__always)
    static func childHash(_ key: UnsafeBufferPointer<UInt8>, parent: UInt64) -> (hash: UInt64, key0: UInt64, key1: UInt64) {
        let n = key.count
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        if let base = key.baseAddress, n > 0 {
            let raw = UnsafeRawPointer(base)
            if n >= 8 {
                k0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
                k1 = n >= 16 ? UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    : partialWord(raw + 8, n - 8)
            } else {
                k0 = partialWord(raw, n)
            }
        }
        var h = (parent ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ k0) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ k1 ^ (h >> 31)) &* 0x94D0_49BB_1331_11EB
        if n > 16 { for i in 16..<n { h = (h ^ UInt64(key[i])) &* 0x100_0000_01b3 } }
        return (mix(h), k0, k1)
    }

    /// `count` (0...7) bytes at `p` packed little-endian, reading only those bytes (two overlapping loads).
    @inline(__always)
    private static func partialWord(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        switch count {
        case 0: return 0
        case 1...3:
            let first = UInt64(p.load(fromByteOffset: 0, as: UInt8.self))
            let middle = UInt64(p.load(fromByteOffset: count / 2, as: UInt8.self))
            let last = UInt64(p.load(fromByteOffset: count - 1, as: UInt8.self))
            return first | middle << UInt64(8 * (count / 2)) | last << UInt64(8 * (count - 1))
        default:
            let low = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            return low | high << UInt64(8 * (count - 4))
        }
    }

    /// The reference to a set holding only clause `clause` (`rest`, `anyNext` and prefix sets): negative, so
    /// -1 still means none and non-negative values stay sparse indexes.
    static func clauseRef(_ clause: Int) -> Int32 { Int32(-2 - clause) }

    /// The identity hash of a node's `{*}` child.
    @inline(__always)
    static func oneHash(parent: UInt64) -> UInt64 { mix(parent ^ 0x5BD1_E995_5BD1_E995) }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }

    /// The slot of the literal edge `segment` below node `parent`, or -1.
    @inline(__always)
    private func edge(_ segment: UnsafeBufferPointer<UInt8>, hash: UInt64, key0: UInt64, key1: UInt64, parent: Int32) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let length = Int(slots[slot].keyLength)
            if length == Int(Slot.empty) { return -1 }
            if slots[slot].key0 == key0 && slots[slot].key1 == key1
                && slots[slot].parent == parent && length == segment.count
            {
                if length <= 16 { return slot }
                let start = Int(longKeyStart[slot])
                var equal = true
                for i in 16..<length where longKeys[start + i - 16] != segment[i] {
                    equal = false
                    break
                }
                if equal { return slot }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The slot of the `{*}` edge below node `parent` (which has one).
    @inline(__always)
    private func oneEdge(hash: UInt64, parent: Int32) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let length = slots[slot].keyLength
            if length == Slot.empty { return -1 }
            if length == Slot.oneEdge && slots[slot].parent == parent { return slot }
            slot = (slot + 1) & mask
        }
    }

    /// Writes the set of every pattern matching `path` (normalized bytes, starting with `/`) to `hits`,
    /// advancing `count`; returns false when `hits` is too small (the caller then uses `forEachHit`).
    @inline(__always)
    func collect(_ path: UnsafeBufferPointer<UInt8>, into hits: UnsafeMutableBufferPointer<PathHit>, count: inout Int) -> Bool {
        guard path.count > 0 else { return true }
        var overflow = false
        walk(node: 0, hash: Self.rootHash, current: nodes[0], start: 1, path, hits, &count, &overflow)
        return !overflow
    }

    /// Follows the literal edges in a loop and recurses only into `{*}` branches (hits are a set: their order
    /// does not matter to the caller, which merges them by word).
    private func walk(node: Int32, hash: UInt64, current: Node, start: Int, _ path: UnsafeBufferPointer<UInt8>,
        _ hits: UnsafeMutableBufferPointer<PathHit>, _ count: inout Int, _ overflow: inout Bool)
    {
        /// A set reference: a sparse index, or one clause (`clauseRef`).
        @inline(__always) func hit(_ ref: Int32) {
            if count < hits.count {
                hits[count] = ref >= 0 ? PathHit(sparse: ref) : PathHit(clause: Int(-2 - ref))
                count += 1
            } else {
                overflow = true
            }
        }
        /// The exact set of the child behind `slot`, with its single word when inlined.
        @inline(__always) func hitExact(_ slot: Int) {
            if count < hits.count {
                let ref = slots[slot].node.exact
                hits[count] = ref >= 0 ? PathHit(sparse: ref)
                    : PathHit(sparse: -1, bits: slots[slot].exactBits, word: Int32((-2 - Int(ref)) >> 6))
                count += 1
            } else {
                overflow = true
            }
        }
        var node = node
        var hash = hash
        var current = current
        var start = start
        while true {
            var end = start
            while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
            let isLast = end >= path.count
            let segmentLength = end - start
            let segment = UnsafeBufferPointer(rebasing: path[start..<end])
            // The child's hash depends only on bytes: computed before anything below waits on memory.
            let (childHash, key0, key1) = Self.childHash(segment, parent: hash)
            if current.anyNext != -1 { hit(current.anyNext) }
            var entry = Int(current.prefixStart)
            while entry < Int(current.prefixEnd) {
                let from = Int(prefixByteStart[entry])
                let length = Int(prefixByteStart[entry + 1]) - from
                if length <= segmentLength {
                    var matches = true
                    for i in 0..<length where path[start + i] != prefixBytes[from + i] {
                        matches = false
                        break
                    }
                    if matches { hit(prefixSets[entry]) }
                }
                entry += 1
            }
            // `{**}` takes a non-empty remainder, or the trailing slash alone (`/a/` for `/a/{**}`).
            if current.rest != -1 && (segmentLength > 0 || isLast) { hit(current.rest) }
            if current.one >= 0 && segmentLength > 0 {
                if isLast {
                    // The `{*}` child's exact set is kept in this node: no probe for the `{*}` edge's slot.
                    if current.oneExact != -1 { hit(current.oneExact) }
                } else {
                    let oneHash = Self.oneHash(parent: hash)
                    let slot = oneEdge(hash: oneHash, parent: node)
                    if slot >= 0 {
                        walk(node: current.one, hash: oneHash, current: slots[slot].node, start: end + 1, path, hits,
                            &count, &overflow)
                    }
                }
            }
            guard current.hasLiterals else { return }
            let slot = edge(segment, hash: childHash, key0: key0, key1: key1, parent: node)
            guard slot >= 0 else { return }
            if isLast {
                if slots[slot].node.exact != -1 { hitExact(slot) }
                return
            }
            node = slots[slot].child
            hash = childHash
            current = slots[slot].node
            start = end + 1
        }
    }
}

/// A matching pattern's set: its index in the table's sparse entries, and when the set has a single non-zero
/// word, that word (`bits != 0`), read from the trie slot the walk already loaded.
struct PathHit {
    var bits: UInt64
    var word: Int32
    var sparse: Int32

    init(sparse: Int32, bits: UInt64 = 0, word: Int32 = 0) {
        self.bits = bits
        self.word = word
        self.sparse = sparse
    }

    /// A set of one clause, known without its sparse entry (`sparse` is -1: use `bits` and `word`).
    init(clause: Int) {
        self.bits = 1 << UInt64(clause & 63)
        self.word = Int32(clause >> 6)
        self.sparse = -1
    }
}

extension PathTrie {
    /// Calls `body` for every matching pattern's set, however many (the dense fallback; allocates when large).
    func forEachHit(_ path: UnsafeBufferPointer<UInt8>, _ body: (PathHit) -> Void) {
        var capacity = 64
        while true {
            var hits = [PathHit](repeating: PathHit(sparse: 0), count: capacity)
            var count = 0
            let complete = hits.withUnsafeMutableBufferPointer { collect(path, into: $0, count: &count) }
            if complete {
                for i in 0..<count { body(hits[i]) }
                return
            }
            capacity *= 4
        }
    }
}
