import CJansson

extension JSONValue {
    /// Parses a complete JSON text. Duplicate object keys are rejected (a duplicated policy field must never
    /// silently override the first). `source` names the file in errors.
    public static func parse(_ text: String, source: String = "<input>") throws(JSONError) -> JSONValue {
        var utf8 = Array(text.utf8)
        return try parse(bytes: &utf8, source: source)
    }

    /// Parses JSON from raw bytes (a file's contents).
    public static func parse(bytes: [UInt8], source: String = "<input>") throws(JSONError) -> JSONValue {
        var copy = bytes
        return try parse(bytes: &copy, source: source)
    }

    private static func parse(bytes: inout [UInt8], source: String) throws(JSONError) -> JSONValue {
        var error = json_error_t()
        let flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL
        let root: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    OpaquePointer(json_loadb($0, buffer.count, size_t(flags), &error))
                }
            } ?? OpaquePointer(json_loadb("", 0, size_t(flags), &error))
        }
        guard let root else {
            let text = withUnsafeBytes(of: &error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw JSONError(message: text, source: source, line: Int(error.line), column: Int(error.column))
        }
        defer { json_decref(UnsafeMutablePointer(root)) }
        return JSONValue(borrowing: UnsafeMutablePointer(root))
    }

    /// Converts a jansson tree (borrowed, not consumed) into a value.
    init(borrowing json: UnsafeMutablePointer<json_t>) {
        switch json.pointee.type {
        case JSON_OBJECT:
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(json_object_size(json))
            var iter = json_object_iter(json)
            while let current = iter {
                let key = String(cString: json_object_iter_key(current))
                members.append((key: key, value: JSONValue(borrowing: json_object_iter_value(current))))
                iter = json_object_iter_next(json, current)
            }
            self = .object(JSONObject(members))
        case JSON_ARRAY:
            let count = json_array_size(json)
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for index in 0..<count { items.append(JSONValue(borrowing: json_array_get(json, index))) }
            self = .array(items)
        case JSON_STRING:
            let length = json_string_length(json)
            let chars = json_string_value(json)!
            self = .string(
                chars.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                })
        case JSON_INTEGER: self = .int(Int64(json_integer_value(json)))
        case JSON_REAL: self = .double(json_real_value(json))
        case JSON_TRUE: self = .bool(true)
        case JSON_FALSE: self = .bool(false)
        default: self = .null
        }
    }
}
