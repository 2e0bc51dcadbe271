/// A segment trie over normalized paths holding every exact, prefix and template path pattern of a table.
///
/// One walk over the request path's segments finds every pattern that matches, whatever its kind; `{*}`
/// branches are followed alongside literal ones. Values are offsets of rule bitsets in the table's arena.
struct PathTrie: Sendable {
    struct Node: Sendable {
        /// Set when a path ending exactly here matches (exact paths, templates ending in `{*}` or a literal).
        var exact: Int32 = -1
        /// Child for a `{*}` segment.
        var one: Int32 = -1
        /// Set when one or more further segments (non-empty) match (`{**}`).
        var rest: Int32 = -1
        /// Prefix patterns whose last partial segment starts at this node: range into `prefixes`.
        var prefixes: [PrefixEntry] = []
    }

    struct PrefixEntry: Sendable {
        var segmentPrefix: [UInt8]
        var set: Int32
    }

    private(set) var nodes: [Node] = [Node()]
    private(set) var children = ByteKeyTable()

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
        nodes[Int(node)].prefixes.append(PrefixEntry(segmentPrefix: segmentPrefix, set: set))
    }

    /// Node of an exact path / template (all but a final `{**}`), for builders that need the exact slot.
    func exactSet(_ node: Int32) -> Int32 { nodes[Int(node)].exact }
    func restSet(_ node: Int32) -> Int32 { nodes[Int(node)].rest }
    func prefixSet(_ node: Int32, _ segmentPrefix: [UInt8]) -> Int32 {
        nodes[Int(node)].prefixes.first { $0.segmentPrefix == segmentPrefix }?.set ?? -1
    }

    // MARK: Matching

    /// Calls `hit` with the set of every pattern matching `path` (normalized bytes, starting with `/`).
    @inline(__always)
    func walk(_ path: UnsafeBufferPointer<UInt8>, _ hit: (Int32) -> Void) {
        guard path.count > 0 else { return }
        walk(node: 0, start: 1, path, hit)
    }

    private func walk(node: Int32, start: Int, _ path: UnsafeBufferPointer<UInt8>, _ hit: (Int32) -> Void) {
        var end = start
        while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
        let isLast = end >= path.count
        let current = nodes[Int(node)]
        let segmentLength = end - start
        for entry in current.prefixes where entry.segmentPrefix.count <= segmentLength {
            var matches = true
            for i in 0..<entry.segmentPrefix.count where path[start + i] != entry.segmentPrefix[i] {
                matches = false
                break
            }
            if matches { hit(entry.set) }
        }
        if current.rest >= 0 && segmentLength > 0 { hit(current.rest) }
        let segment = UnsafeBufferPointer(rebasing: path[start..<end])
        let child = children.lookup(segment, parent: node)
        if child >= 0 {
            if isLast {
                let exact = nodes[Int(child)].exact
                if exact >= 0 { hit(exact) }
            } else {
                walk(node: child, start: end + 1, path, hit)
            }
        }
        if current.one >= 0 && segmentLength > 0 {
            if isLast {
                let exact = nodes[Int(current.one)].exact
                if exact >= 0 { hit(exact) }
            } else {
                walk(node: current.one, start: end + 1, path, hit)
            }
        }
    }
}
