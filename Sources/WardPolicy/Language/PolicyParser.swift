import WardIdentity
import WardJSON

/// Turns one file's JSON into validated `Policy` values, collecting every problem as a `Diagnostic`.
///
/// Strict on purpose: an unknown field or a value of the wrong shape is an error, because a typo that silently
/// widens or narrows a rule is worse than a refusal. Messages say what to write instead.
struct PolicyParser {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    /// HTTP methods Ward knows; anything else is a typo or a lower-case method.
    static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    mutating func error(_ code: String, _ location: String, _ message: String) {
        diagnostics.append(Diagnostic(.error, code: code, file: file, location: location, message: message))
    }

    /// Parses a file holding one policy object or an array of them.
    mutating func parseFile(_ json: JSONValue) -> [Policy] {
        switch json {
        case .object: return parsePolicy(json, at: "").map { [$0] } ?? []
        case .array(let items):
            if items.isEmpty { error("policy.file.empty", "", "the file holds an empty array; add a policy object") }
            return items.enumerated().compactMap { parsePolicy($1, at: "[\($0)]") }
        default:
            error("policy.file.type", "", "expected a policy object or an array of policies, found \(json.typeName)")
            return []
        }
    }

    // MARK: - Policy and rule

    mutating func parsePolicy(_ json: JSONValue, at location: String) -> Policy? {
        guard let object = expectObject(json, at: location, what: "a policy",
            fields: ["name", "target", "mode", "rules"]) else { return nil }
        let before = diagnostics.count
        let name = requiredString(object, "name", at: location)
        if let name, !Self.isName(name) {
            error("policy.name.invalid", join(location, "name"),
                "\"\(name)\" is not a valid policy name; use letters, digits, '.', '-' and '_'")
        }
        var targets: [StringPattern] = []
        switch object["target"] {
        case nil: error("policy.field.missing", location, "missing required field \"target\" (a SPIFFE ID pattern or a list of them)")
        case .string(let text): targets = spiffePattern(text, at: join(location, "target"), what: "target").map { [$0] } ?? []
        case .array(let items):
            if items.isEmpty { error("policy.field.empty", join(location, "target"), "\"target\" is empty; name at least one workload") }
            for (index, item) in items.enumerated() {
                let at = join(location, "target") + "[\(index)]"
                guard let text = string(item, at: at) else { continue }
                if let pattern = spiffePattern(text, at: at, what: "target") { targets.append(pattern) }
            }
        case let other?:
            error("policy.field.type", join(location, "target"), "expected a SPIFFE ID pattern or a list of them, found \(other.typeName)")
        }
        var mode = Policy.Mode.enforce
        if let value = object["mode"] {
            if let text = string(value, at: join(location, "mode")) {
                if let parsed = Policy.Mode(rawValue: text) { mode = parsed } else {
                    error("policy.mode.invalid", join(location, "mode"), "\"\(text)\" is not a mode; use \"enforce\" or \"dry-run\"")
                }
            }
        }
        var rules: [Rule] = []
        if let value = object["rules"] {
            let at = join(location, "rules")
            if let items = array(value, at: at, nonEmpty: "add at least one rule") {
                var ids: Set<String> = []
                for (index, item) in items.enumerated() {
                    guard let rule = parseRule(item, index: index, at: at + "[\(index)]") else { continue }
                    if !ids.insert(rule.id).inserted {
                        error("policy.rule.duplicate_id", at + "[\(index)].id", "rule id \"\(rule.id)\" is used twice in this policy; rule ids must be unique")
                    }
                    rules.append(rule)
                }
            }
        } else {
            error("policy.field.missing", location, "missing required field \"rules\"")
        }
        guard diagnostics.count == before, let name else { return nil }
        return Policy(name: name, targets: targets, mode: mode, rules: rules, file: file, location: location)
    }

    mutating func parseRule(_ json: JSONValue, index: Int, at location: String) -> Rule? {
        guard let object = expectObject(json, at: location, what: "a rule", fields: ["id", "effect", "from", "to", "when"])
        else { return nil }
        let before = diagnostics.count
        var id = "rules[\(index)]"
        if let value = object["id"], let text = string(value, at: join(location, "id")) {
            if text.isEmpty || text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 >= 0x7F }) {
                error("policy.rule.id_invalid", join(location, "id"), "\"\(text)\" is not a valid rule id; use printable ASCII without spaces or quotes")
            }
            id = text
        }
        var effect = Rule.Effect.allow
        if let text = requiredString(object, "effect", at: location) {
            if let parsed = Rule.Effect(rawValue: text) { effect = parsed } else {
                error("policy.effect.invalid", join(location, "effect"), "\"\(text)\" is not an effect; use \"allow\" or \"deny\"")
            }
        }
        var from: [Source] = []
        if let value = object["from"], let items = array(value, at: join(location, "from"), nonEmpty: "remove \"from\" to match any caller") {
            from = items.enumerated().compactMap { parseSource($1, at: join(location, "from") + "[\($0)]") }
        }
        var to: [Operation] = []
        if let value = object["to"], let items = array(value, at: join(location, "to"), nonEmpty: "remove \"to\" to match any operation") {
            to = items.enumerated().compactMap { parseOperation($1, at: join(location, "to") + "[\($0)]") }
        }
        var when: [Condition] = []
        if let value = object["when"], let items = array(value, at: join(location, "when"), nonEmpty: "remove \"when\"") {
            when = items.enumerated().compactMap { parseCondition($1, at: join(location, "when") + "[\($0)]") }
        }
        guard diagnostics.count == before else { return nil }
        return Rule(id: id, effect: effect, from: from, to: to, when: when, location: location)
    }

    // MARK: - Sources, operations, conditions

    mutating func parseSource(_ json: JSONValue, at location: String) -> Source? {
        guard let object = expectObject(json, at: location, what: "a source",
            fields: ["principals", "notPrincipals", "ipBlocks", "notIpBlocks"]) else { return nil }
        if object.isEmpty {
            error("policy.source.empty", location, "an empty source matches any caller; remove it or add \"principals\"")
            return nil
        }
        var source = Source()
        source.principals = list(object, "principals", at: location) { $0.spiffePattern($1, at: $2, what: "principal") }
        source.notPrincipals = list(object, "notPrincipals", at: location) { $0.spiffePattern($1, at: $2, what: "principal") }
        source.ipBlocks = list(object, "ipBlocks", at: location) { $0.cidr($1, at: $2) }
        source.notIpBlocks = list(object, "notIpBlocks", at: location) { $0.cidr($1, at: $2) }
        return source
    }

    mutating func parseOperation(_ json: JSONValue, at location: String) -> Operation? {
        guard let object = expectObject(json, at: location, what: "an operation",
            fields: ["methods", "notMethods", "paths", "notPaths", "hosts", "notHosts", "ports", "notPorts"])
        else { return nil }
        if object.isEmpty {
            error("policy.operation.empty", location, "an empty operation matches any request; remove it or add \"methods\" or \"paths\"")
            return nil
        }
        var operation = Operation()
        operation.methods = list(object, "methods", at: location) { $0.method($1, at: $2) }
        operation.notMethods = list(object, "notMethods", at: location) { $0.method($1, at: $2) }
        operation.paths = list(object, "paths", at: location) { $0.path($1, at: $2) }
        operation.notPaths = list(object, "notPaths", at: location) { $0.path($1, at: $2) }
        operation.hosts = list(object, "hosts", at: location) { $0.host($1, at: $2) }
        operation.notHosts = list(object, "notHosts", at: location) { $0.host($1, at: $2) }
        operation.ports = intList(object, "ports", at: location)
        operation.notPorts = intList(object, "notPorts", at: location)
        return operation
    }

    mutating func parseCondition(_ json: JSONValue, at location: String) -> Condition? {
        guard let object = expectObject(json, at: location, what: "a condition", fields: ["key", "values", "notValues"])
        else { return nil }
        guard let keyText = requiredString(object, "key", at: location) else { return nil }
        guard let key = conditionKey(keyText, at: join(location, "key")) else { return nil }
        let hasValues = object["values"] != nil
        let hasNot = object["notValues"] != nil
        guard hasValues != hasNot else {
            error("policy.condition.values", location, hasValues
                ? "a condition takes \"values\" or \"notValues\", not both; split it into two conditions"
                : "missing \"values\" or \"notValues\"")
            return nil
        }
        let field = hasValues ? "values" : "notValues"
        var condition = Condition(key: key, negated: hasNot)
        if key == .sourceIP {
            condition.blocks = list(object, field, at: location) { $0.cidr($1, at: $2) }
        } else {
            condition.patterns = list(object, field, at: location) { parser, text, at in
                parser.stringPattern(text, at: at, lowercase: key == .sni)
            }
        }
        return condition
    }

    // MARK: - Values

    mutating func conditionKey(_ text: String, at location: String) -> Condition.Key? {
        switch text {
        case "source.ip": return .sourceIP
        case "connection.sni": return .sni
        default:
            let prefix = "request.headers["
            if text.hasPrefix(prefix) && text.hasSuffix("]") {
                let name = text.dropFirst(prefix.count).dropLast()
                if !name.isEmpty && name.utf8.allSatisfy(Self.isTokenByte) { return .header(name.lowercased()) }
                error("policy.condition.header_name", location,
                    "\"\(name)\" is not a header name; use letters, digits and '-', e.g. \"request.headers[x-tenant]\"")
                return nil
            }
            error("policy.condition.key", location,
                "\"\(text)\" is not a condition key; use \"request.headers[NAME]\", \"source.ip\" or \"connection.sni\"")
            return nil
        }
    }

    mutating func spiffePattern(_ text: String, at location: String, what: String) -> StringPattern? {
        let pattern: StringPattern
        do { pattern = try StringPattern(parsing: text) } catch {
            self.error("policy.spiffe.pattern", location, "\"\(text)\" is not a SPIFFE ID pattern; use an ID like \"spiffe://example.org/ns/shop/sa/frontend\", optionally ending in \"*\"")
            return nil
        }
        var probe: String
        switch pattern {
        case .present: return pattern
        case .exact(let s): probe = s
        case .prefix(let s):
            guard s.hasPrefix("spiffe://") && s.count > "spiffe://".count else {
                self.error("policy.spiffe.pattern", location, "\"\(text)\" must start with \"spiffe://\" and a trust domain, e.g. \"spiffe://example.org/*\"")
                return nil
            }
            probe = s.hasSuffix("/") ? s + "x" : s
        case .suffix(let s): probe = "spiffe://x" + (s.hasPrefix("/") ? s : "/" + s)
        }
        do { _ = try SpiffeID(probe) } catch {
            self.error("policy.spiffe.invalid", location, "\"\(text)\" is not a valid \(what): \(error.reason)")
            return nil
        }
        return pattern
    }

    mutating func cidr(_ text: String, at location: String) -> CIDR? {
        if let block = CIDR(text) { return block }
        var hint = "write an IPv4 or IPv6 block like \"10.0.0.0/8\" or \"2001:db8::/32\""
        let parts = text.split(separator: "/")
        if parts.count == 2, let address = IPAddress(parts[0]), let bits = Int(parts[1]),
            bits <= (address.isIPv4 && !parts[0].contains(":") ? 32 : 128)
        {
            let total = address.isIPv4 && !parts[0].contains(":") ? bits + 96 : bits
            hint = "host bits are set; did you mean \"\(CIDR.mask(address, total))/\(bits)\"?"
        }
        error("policy.cidr.invalid", location, "\"\(text)\" is not an IP block; \(hint)")
        return nil
    }

    mutating func method(_ text: String, at location: String) -> String? {
        if Self.methods.contains(text) { return text }
        if Self.methods.contains(text.uppercased()) {
            error("policy.method.case", location, "\"\(text)\" is not an HTTP method; methods are upper case, e.g. \"\(text.uppercased())\"")
        } else {
            error("policy.method.unknown", location, "\"\(text)\" is not an HTTP method; use one of \(Self.methods.joined(separator: ", "))")
        }
        return nil
    }

    mutating func path(_ text: String, at location: String) -> PathPattern? {
        do { return try PathPattern(parsing: text) } catch {
            self.error(error.code, location, error.message)
            return nil
        }
    }

    mutating func host(_ text: String, at location: String) -> StringPattern? {
        if text.hasPrefix("[") && text.contains("]:") {
            let bare = text.split(separator: "]")[0] + "]"
            error("policy.host.port", location, "\"\(text)\" has a port; hosts match without the port, so write \"\(bare)\" and use \"ports\"")
            return nil
        }
        if text.contains(":") && !text.hasPrefix("[") {
            error("policy.host.port", location, "\"\(text)\" has a port; hosts match without the port, so write \"\(text.split(separator: ":")[0])\" and use \"ports\"")
            return nil
        }
        return stringPattern(text, at: location, lowercase: true)
    }

    mutating func stringPattern(_ text: String, at location: String, lowercase: Bool) -> StringPattern? {
        do {
            let pattern = try StringPattern(parsing: text)
            return lowercase ? pattern.lowercased : pattern
        } catch {
            self.error("policy.pattern.invalid", location, text.isEmpty
                ? "an empty string never matches; use \"*\" for any non-empty value"
                : "\"\(text)\" has a \"*\" inside; use \"abc\", \"abc*\", \"*abc\" or \"*\"")
            return nil
        }
    }
}
