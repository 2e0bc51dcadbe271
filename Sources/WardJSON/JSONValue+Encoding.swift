import CJansson

extension JSONValue {
    /// How `serialized` lays out text.
    public enum Layout: Sendable {
        /// One line, no spaces: logs, JSON Lines, hashes.
        case compact
        /// Indented for people and files in git.
        case pretty
    }

    /// The JSON text of this value. Object members keep their order; with `sortKeys` they are sorted instead,
    /// which gives a canonical form for content hashes.
    public func serialized(_ layout: Layout = .compact, sortKeys: Bool = false) -> String {
        let json = makeJansson()
        defer { json_decref(json) }
        var flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER
        switch layout {
        case .compact: flags |= JSON_COMPACT
        case .pretty: flags |= Int32(ward_JSON_INDENT(2))
        }
        if sortKeys { flags |= JSON_SORT_KEYS }
        guard let text = json_dumps(json, size_t(flags)) else { return "null" }
        defer { ward_json_free(text) }
        return String(cString: text)
    }

    /// A new jansson tree (one reference, owned by the caller).
    func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null: return json_null()
        case .bool(let b): return b ? json_true() : json_false()
        case .int(let i): return json_integer(json_int_t(i))
        case .double(let d): return json_real(d)
        case .string(let s):
            return s.utf8.withContiguousStorageIfAvailable { buf in
                buf.withMemoryRebound(to: CChar.self) { json_stringn_nocheck($0.baseAddress, $0.count) }
            } ?? {
                var copy = s
                return copy.withUTF8 { buf in
                    buf.withMemoryRebound(to: CChar.self) { json_stringn_nocheck($0.baseAddress, $0.count) }
                }
            }()
        case .array(let items):
            let array = json_array()!
            for item in items { json_array_append_new(array, item.makeJansson()) }
            return array
        case .object(let object):
            let json = json_object()!
            for member in object.members {
                let value = member.value.makeJansson()
                var key = member.key
                key.withUTF8 { buf in
                    buf.withMemoryRebound(to: CChar.self) { _ = json_object_setn_new_nocheck(json, $0.baseAddress, $0.count, value) }
                }
            }
            return json
        }
    }
}
