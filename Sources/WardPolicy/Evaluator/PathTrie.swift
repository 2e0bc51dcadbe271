/// A segment trie over normalized paths holding every exact, prefix and template path pattern of a table.
///
/// One walk over the request path's segments finds every pattern that matches, whatever its kind; `{*}`
/// branches are followed alongside literal ones. Values are offsets of rule bitsets in the table's arena.
struct PathTrieBuilder {
    struct Node: Sendable {
        /// Set when a path ending exactly here matches (exact paths, templates ending in `{*}` or a literal).
        var exact: Int32 = -1
        /// Child for a `{*}` segment.
        var one: Int32 = -1
        /// Set when one or more further segments (non-empty) match (`{**}`).
        var rest: Int32 = -1
        /// Prefix patterns whose last partial segment starts at this node: `prefixStart..<prefixEnd` of the flat
        /// prefix arrays (filled by `finalize`). Plain integers, so reading a node never touches a reference count.
        var prefixStart: Int32 = 0
        var prefixEnd: Int32 = 0
    }

    struct PrefixEntry: Sendable {
        var segmentPrefix: [UInt8]
        var set: Int32
    }

    private(set) var nodes: [Node] = [Node()]
    private(set) var children = ByteKeyTable()
    /// Every literal edge (parent, segment, child), for the frozen trie's slot table.
    private var edges: [(parent: Int32, key: [UInt8], child: Int32)] = []
    /// Prefix entries while building, per node.
    private var pending: [Int32: [PrefixEntry]] = [:]
    /// Flat prefix entries: bytes of entry `i` are `prefixBytes[prefixByteStart[i]..<prefixByteStart[i + 1]]`.
    private var prefixBytes: [UInt8] = []
    private var prefixByteStart: [Int32] = [0]
    private var prefixSets: [Int32] = []

    // MARK: Building

    /// The node reached by following literal segments and `{*}` from the root, creating nodes as needed.
    mutating func node(for segments: [PathPattern.TemplateSegment]) -> Int32 {
        var current: Int32 = 0
        for segment in segments {
            switch segment {
            case .literal(let text):
                let key = Array(text.utf8)
                let found = key.withUnsafeBufferPointer { children.lookup($0, parent: current) }
                if found >= 0 {
                    current = found
                } else {
                    nodes.append(Node())
                    let created = Int32(nodes.count - 1)
                    children.insert(key, parent: current, value: created)
                    edges.append((current, key, created))
                    current = created
                }
            case .one:
                if nodes[Int(current)].one < 0 {
                    nodes.append(Node())
                    nodes[Int(current)].one = Int32(nodes.count - 1)
                }
                current = nodes[Int(current)].one
            case .rest:
                preconditionFailure("{**} is not a node")
            }
        }
        return current
    }

    /// Splits a normalized literal path (`/a/b`, `/a/`) into segments (`["a", "b"]`, `["a", ""]`).
    static func literalSegments(_ path: String) -> [PathPattern.TemplateSegment] {
        path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { .literal(String($0)) }
    }

    mutating func setExact(_ node: Int32, _ set: Int32) { nodes[Int(node)].exact = set }
    mutating func setRest(_ node: Int32, _ set: Int32) { nodes[Int(node)].rest = set }
    mutating func addPrefix(_ node: Int32, _ segmentPrefix: [UInt8], _ set: Int32) {
        pending[node, default: []].append(PrefixEntry(segmentPrefix: segmentPrefix, set: set))
    }

    /// Lays the prefix entries out flat; call once after the last `addPrefix`.
    mutating func finalize() {
        for node in nodes.indices {
            nodes[node].prefixStart = Int32(prefixSets.count)
            for entry in pending[Int32(node)] ?? [] {
                prefixBytes += entry.segmentPrefix
                prefixByteStart.append(Int32(prefixBytes.count))
                prefixSets.append(entry.set)
            }
            nodes[node].prefixEnd = Int32(prefixSets.count)
        }
        pending = [:]
    }

    /// Node of an exact path / template (all but a final `{**}`), for builders that need the exact slot.
    func exactSet(_ node: Int32) -> Int32 { nodes[Int(node)].exact }
    func restSet(_ node: Int32) -> Int32 { nodes[Int(node)].rest }
    func prefixSet(_ node: Int32, _ segmentPrefix: [UInt8]) -> Int32 {
        pending[node]?.first { $0.segmentPrefix == segmentPrefix }?.set ?? -1
    }

    /// The immutable trie the evaluator walks.
    func frozen() -> PathTrie {
        PathTrie(nodes: nodes, edges: edges, prefixBytes: prefixBytes, prefixByteStart: prefixByteStart,
            prefixSets: prefixSets)
    }
}

/// The immutable segment trie (see `PathTrieBuilder`): a final class with only `let`s so the evaluator reaches
/// it through one reference without copying its arrays.
final class PathTrie: Sendable {
    typealias Node = PathTrieBuilder.Node

    /// A literal edge in an open-addressing table keyed by (parent node, segment): the segment's first 16 bytes
    /// inline and the child's node record copied in, so one trie level costs one slot read.
    struct Slot: Sendable {
        var hash: UInt64 = 0
        var key0: UInt64 = 0
        var key1: UInt64 = 0
        var parent: Int32 = 0
        /// -1 marks an empty slot.
        var keyLength: Int32 = -1
        /// Where bytes beyond the 16th live in `longKeys`.
        var keyStart: Int32 = 0
        var child: Int32 = 0
        var node = Node()
    }

    let nodes: [Node]
    let slots: [Slot]
    let mask: Int
    let longKeys: [UInt8]
    let prefixBytes: [UInt8]
    let prefixByteStart: [Int32]
    let prefixSets: [Int32]

    init(nodes: [Node], edges: [(parent: Int32, key: [UInt8], child: Int32)], prefixBytes: [UInt8],
        prefixByteStart: [Int32], prefixSets: [Int32])
    {
        var size = 16
        while size < edges.count * 2 { size <<= 1 }
        var slots = [Slot](repeating: Slot(), count: size)
        var longKeys: [UInt8] = []
        for edge in edges {
            let (hash, key0, key1) = edge.key.withUnsafeBufferPointer { Self.hash($0, parent: edge.parent) }
            var slot = Int(truncatingIfNeeded: hash) & (size - 1)
            while slots[slot].keyLength >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Slot(hash: hash, key0: key0, key1: key1, parent: edge.parent, keyLength: Int32(edge.key.count),
                keyStart: Int32(longKeys.count), child: edge.child, node: nodes[Int(edge.child)])
            if edge.key.count > 16 { longKeys += edge.key[16...] }
        }
        self.nodes = nodes
        self.slots = slots
        self.mask = size - 1
        self.longKeys = longKeys
        self.prefixBytes = prefixBytes
        self.prefixByteStart = prefixByteStart
        self.prefixSets = prefixSets
    }

    /// FNV-1a over the segment and parent, plus the first 16 bytes packed little-endian.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, parent: Int32) -> (UInt64, UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        for (i, byte) in key.enumerated() {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
            if i < 8 { k0 |= UInt64(byte) << UInt64(8 * i) } else if i < 16 { k1 |= UInt64(byte) << UInt64(8 * (i - 8)) }
        }
        return (h ^ (h >> 29), k0, k1)
    }

    /// The slot of the literal edge `segment` below `parent`, or -1.
    @inline(__always)
    func edge(_ segment: UnsafeBufferPointer<UInt8>, parent: Int32) -> Int {
        let (hash, key0, key1) = Self.hash(segment, parent: parent)
        return slots.withUnsafeBufferPointer { slots in
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let length = Int(slots[slot].keyLength)
                if length < 0 { return -1 }
                if slots[slot].hash == hash && slots[slot].key0 == key0 && slots[slot].key1 == key1
                    && slots[slot].parent == parent && length == segment.count
                {
                    if length <= 16 { return slot }
                    let start = Int(slots[slot].keyStart)
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
    }

    /// Writes the set of every pattern matching `path` (normalized bytes, starting with `/`) to `hits`,
    /// advancing `count`; returns false when `hits` is too small (the caller then uses `walk(_:_:)`).
    @inline(__always)
    func collect(_ path: UnsafeBufferPointer<UInt8>, into hits: UnsafeMutableBufferPointer<Int32>, count: inout Int) -> Bool {
        guard path.count > 0 else { return true }
        var overflow = false
        walk(node: 0, start: 1, path, hits, &count, &overflow)
        return !overflow
    }

    private func walk(node: Int32, start: Int, _ path: UnsafeBufferPointer<UInt8>,
        _ hits: UnsafeMutableBufferPointer<Int32>, _ count: inout Int, _ overflow: inout Bool)
    {
        walk(node: node, current: nodes[Int(node)], start: start, path, hits, &count, &overflow)
    }

    private func walk(node: Int32, current: Node, start: Int, _ path: UnsafeBufferPointer<UInt8>,
        _ hits: UnsafeMutableBufferPointer<Int32>, _ count: inout Int, _ overflow: inout Bool)
    {
        @inline(__always) func hit(_ set: Int32) {
            if count < hits.count { hits[count] = set; count += 1 } else { overflow = true }
        }
        var end = start
        while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
        let isLast = end >= path.count
        let segmentLength = end - start
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
        if current.rest >= 0 && (segmentLength > 0 || isLast) { hit(current.rest) }
        let slot = edge(UnsafeBufferPointer(rebasing: path[start..<end]), parent: node)
        if slot >= 0 {
            let child = slots[slot].node
            if isLast {
                if child.exact >= 0 { hit(child.exact) }
            } else {
                walk(node: slots[slot].child, current: child, start: end + 1, path, hits, &count, &overflow)
            }
        }
        if current.one >= 0 && segmentLength > 0 {
            let one = nodes[Int(current.one)]
            if isLast {
                if one.exact >= 0 { hit(one.exact) }
            } else {
                walk(node: current.one, current: one, start: end + 1, path, hits, &count, &overflow)
            }
        }
    }
}

extension PathTrie {
    /// Calls `body` for every matching pattern's set, however many (the dense fallback; allocates when large).
    func forEachHit(_ path: UnsafeBufferPointer<UInt8>, _ body: (Int32) -> Void) {
        var capacity = 64
        while true {
            var hits = [Int32](repeating: 0, count: capacity)
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
