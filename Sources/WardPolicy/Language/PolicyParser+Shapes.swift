import WardJSON

/// Shape checks shared by every field: objects with known fields, arrays, strings, ports.
extension PolicyParser {
    func join(_ location: String, _ field: String) -> String { location.isEmpty ? field : "\(location).\(field)" }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x2E
                || $0 == 0x5F
        }
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
            || byte == 0x5F || byte == 0x2E
    }

    mutating func expectObject(_ json: JSONValue, at location: String, what: String, fields: [String]) -> JSONObject? {
        guard case .object(let object) = json else {
            error("policy.type", location, "expected \(what) (an object), found \(json.typeName)")
            return nil
        }
        for key in object.keys where !fields.contains(key) {
            let suggestion = fields.min { Self.distance($0, key) < Self.distance($1, key) }
            let hint = suggestion.flatMap { Self.distance($0, key) <= 2 ? "; did you mean \"\($0)\"?" : nil }
                ?? "; known fields are \(fields.map { "\"\($0)\"" }.joined(separator: ", "))"
            error("policy.field.unknown", join(location, key), "unknown field \"\(key)\" in \(what)\(hint)")
        }
        return object
    }

    mutating func requiredString(_ object: JSONObject, _ field: String, at location: String) -> String? {
        guard let value = object[field] else {
            error("policy.field.missing", location, "missing required field \"\(field)\"")
            return nil
        }
        return string(value, at: join(location, field))
    }

    mutating func string(_ value: JSONValue, at location: String) -> String? {
        guard case .string(let text) = value else {
            error("policy.field.type", location, "expected a string, found \(value.typeName)")
            return nil
        }
        return text
    }

    mutating func array(_ value: JSONValue, at location: String, nonEmpty hint: String) -> [JSONValue]? {
        guard case .array(let items) = value else {
            error("policy.field.type", location, "expected an array, found \(value.typeName)")
            return nil
        }
        if items.isEmpty {
            error("policy.field.empty", location, "the list is empty and would never match; \(hint)")
            return nil
        }
        return items
    }

    /// The values of an optional string-list field, each converted by `convert` (which reports its own errors).
    mutating func list<T>(_ object: JSONObject, _ field: String, at location: String,
        _ convert: (inout PolicyParser, String, String) -> T?) -> [T]
    {
        guard let value = object[field] else { return [] }
        let at = join(location, field)
        guard let items = array(value, at: at, nonEmpty: "remove \"\(field)\" to not constrain it") else { return [] }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            guard let text = string(item, at: at + "[\(index)]") else { continue }
            if let converted = convert(&self, text, at + "[\(index)]") { result.append(converted) }
        }
        return result
    }

    mutating func intList(_ object: JSONObject, _ field: String, at location: String) -> [Int] {
        guard let value = object[field] else { return [] }
        let at = join(location, field)
        guard let items = array(value, at: at, nonEmpty: "remove \"\(field)\" to not constrain it") else { return [] }
        var result: [Int] = []
        for (index, item) in items.enumerated() {
            let itemAt = at + "[\(index)]"
            switch item {
            case .int(let n) where n >= 1 && n <= 65535: result.append(Int(n))
            case .int(let n): error("policy.port.range", itemAt, "\(n) is not a port; ports are 1 to 65535")
            case .string(let s) where Int(s) != nil:
                error("policy.port.type", itemAt, "ports are numbers, not strings; write \(s) without quotes")
            default: error("policy.port.type", itemAt, "expected a port number (1 to 65535), found \(item.typeName)")
            }
        }
        return result
    }

    /// Levenshtein distance, for "did you mean" hints on unknown fields.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
