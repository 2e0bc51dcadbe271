/// A segment trie over normalized paths holding every exact, prefix and template path pattern of a table.
///
/// One walk over the request path's segments finds every pattern that matches, whatever its kind; `{*}`
/// branches are followed alongside literal ones. While building, values are arena offsets of rule sets; `frozen`
/// maps them to the table's sparse entries and lays the edges out for the evaluator (`PathTrie`).
struct PathTrieBuilder {
    struct Node: Sendable {
        /// Set when a path ending exactly here matches (exact paths, templates ending in `{*}` or a literal).
        var exact: Int32 = -1
        /// Child for a `{*}` segment.
        var one: Int32 = -1
        /// Set when one or more further segments (non-empty) match (`{**}`).
        var rest: Int32 = -1
        /// Set of the prefix patterns ending in `/*` here (`/a/*` at node `a`): any next segment, even empty,
        /// matches. The commonest prefix form, kept out of the prefix arrays so that it costs no reads of them.
        var anyNext: Int32 = -1
        /// The exact set of the `{*}` child (`one`), so that a path whose last segment is the `{*}` needs no
        /// probe for that child's slot (frozen form only; -1 when none).
        var oneExact: Int32 = -1
        /// Prefix patterns whose last partial segment is non-empty and starts at this node: `prefixStart..<
        /// prefixEnd` of the flat prefix arrays (filled by `finalize`). Plain integers, so reading a node never
        /// touches a reference count. The top bit of the stored start says whether the node has literal children.
        private var prefixStartAndLiterals: UInt32 = 0
        var prefixEnd: Int32 = 0

        var prefixStart: Int32 {
            get { Int32(bitPattern: prefixStartAndLiterals & 0x7FFF_FFFF) }
            set { prefixStartAndLiterals = prefixStartAndLiterals & 0x8000_0000 | UInt32(newValue) }
        }

        /// Whether the node has literal children. When not, the walk stops instead of probing the slot table
        /// for the next segment: the probe of an absent edge still costs a cache line (the empty slot), and
        /// below a `{*}`, `{**}` or prefix node (most template and prefix hits) there is usually nothing else.
        var hasLiterals: Bool {
            get { prefixStartAndLiterals & 0x8000_0000 != 0 }
            set { prefixStartAndLiterals = prefixStartAndLiterals & 0x7FFF_FFFF | (newValue ? 0x8000_0000 : 0) }
        }
    }

    struct PrefixEntry: Sendable {
        var segmentPrefix: [UInt8]
        var set: Int32
    }

    private(set) var nodes: [Node] = [Node()]
    /// Each node's identity hash: a hash of the pattern prefix that leads to it (see `PathTrie.childHash`).
    private var nodeHashes: [UInt64] = [PathTrie.rootHash]
    private(set) var children = ByteKeyTable()
    /// Every literal edge (parent, segment, child) and `{*}` edge (parent, child), for the frozen slot table.
    private var edges: [(parent: Int32, key: [UInt8], child: Int32)] = []
    private var oneEdges: [(parent: Int32, child: Int32)] = []
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
                    nodeHashes.append(key.withUnsafeBufferPointer { PathTrie.childHash($0, parent: nodeHashes[Int(current)]).hash })
                    let created = Int32(nodes.count - 1)
                    nodes[Int(current)].hasLiterals = true
                    children.insert(key, parent: current, value: created)
                    edges.append((current, key, created))
                    current = created
                }
            case .one:
                if nodes[Int(current)].one < 0 {
                    nodes.append(Node())
                    nodeHashes.append(PathTrie.oneHash(parent: nodeHashes[Int(current)]))
                    nodes[Int(current)].one = Int32(nodes.count - 1)
                    oneEdges.append((current, nodes[Int(current)].one))
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
        if segmentPrefix.isEmpty {
            nodes[Int(node)].anyNext = set
        } else {
            pending[node, default: []].append(PrefixEntry(segmentPrefix: segmentPrefix, set: set))
        }
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
        if segmentPrefix.isEmpty { return nodes[Int(node)].anyNext }
        return pending[node]?.first { $0.segmentPrefix == segmentPrefix }?.set ?? -1
    }

    /// The immutable trie the evaluator walks, with every set (an arena offset while building) replaced by
    /// `mappingSets(offset)`: the table's index of the set in its sparse form. `singleWord(sparseIndex)` (see
    /// `PathTrie.init`) lets slots carry their child's one-word exact set; `{**}` and prefix sets that hold a
    /// single clause are stored as that clause (`PathTrie.clauseRef`), so their hits need no read of the sparse
    /// entries either.
    func frozen(mappingSets map: (Int32) -> Int32, singleWord: (Int32) -> (bits: UInt64, word: Int32)?) -> PathTrie {
        func ref(_ offset: Int32) -> Int32 {
            guard offset >= 0 else { return -1 }
            let index = map(offset)
            if let single = singleWord(index), single.bits.nonzeroBitCount == 1 {
                return PathTrie.clauseRef(Int(single.word) << 6 | single.bits.trailingZeroBitCount)
            }
            return index
        }
        let building = nodes
        let nodes = nodes.map { node in
            var node = node
            if node.one >= 0 { node.oneExact = ref(building[Int(node.one)].exact) }
            if node.exact >= 0 { node.exact = map(node.exact) }
            node.rest = ref(node.rest)
            node.anyNext = ref(node.anyNext)
            return node
        }
        return PathTrie(nodes: nodes, nodeHashes: nodeHashes, edges: edges, oneEdges: oneEdges, prefixBytes: prefixBytes,
            prefixByteStart: prefixByteStart, prefixSets: prefixSets.map(ref), singleWord: singleWord)
    }
}
