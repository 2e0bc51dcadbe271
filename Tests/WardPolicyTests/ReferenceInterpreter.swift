import WardJSON
import WardPolicy

/// A plain rule-by-rule interpreter of the policy semantics, written from the issue text and reading the
/// canonical JSON of policies, for the differential test. Deliberately naive and independent of the table.
struct ReferenceInterpreter {
    let policies: [JSONValue]

    init(_ set: PolicySet) { policies = set.policies.map(\.json) }

    struct Input {
        var target: String
        var principal: String?
        var method: String
        var path: String
        var host: String?
        var port: Int?
        var sourceIP: String?
        var sni: String?
        var headers: [(String, String)]
    }

    func decide(_ input: Input) -> Decision {
        let applicable = policies.filter { policy in
            policy["target"]!.arrayValue!.contains { stringMatches($0.stringValue!, input.target) }
        }
        func matching(_ policy: JSONValue, _ effect: String) -> String? {
            for rule in policy["rules"]!.arrayValue! where rule["effect"]!.stringValue == effect {
                if ruleMatches(rule, input) { return rule["id"]!.stringValue! }
            }
            return nil
        }
        var dryRun: [DryRunResult] = []
        for policy in applicable where policy["mode"]!.stringValue == "dry-run" {
            let name = policy["name"]!.stringValue!
            if let rule = matching(policy, "deny") {
                dryRun.append(DryRunResult(policy: name, rule: rule, effect: .deny))
            } else if let rule = matching(policy, "allow") {
                dryRun.append(DryRunResult(policy: name, rule: rule, effect: .allow))
            }
        }
        let enforced = applicable.filter { $0["mode"]!.stringValue == "enforce" }
        for effect in ["deny", "allow"] {
            for policy in enforced {
                if let rule = matching(policy, effect) {
                    return Decision(effect: effect == "deny" ? .deny : .allow, policy: policy["name"]!.stringValue!,
                        rule: rule, dryRun: dryRun)
                }
            }
        }
        return Decision(effect: .deny, policy: nil, rule: nil, dryRun: dryRun)
    }

    func ruleMatches(_ rule: JSONValue, _ input: Input) -> Bool {
        if let from = rule["from"]?.arrayValue, !from.contains(where: { sourceMatches($0, input) }) { return false }
        if let to = rule["to"]?.arrayValue, !to.contains(where: { operationMatches($0, input) }) { return false }
        for condition in rule["when"]?.arrayValue ?? [] {
            let key = condition["key"]!.stringValue!
            let negated = condition["notValues"] != nil
            let values = (condition["values"] ?? condition["notValues"])!.arrayValue!.map { $0.stringValue! }
            var matched = false
            if key == "source.ip" {
                matched = input.sourceIP.map { ip in values.contains { inBlock(ip, $0) } } ?? false
            } else if key == "connection.sni" {
                matched = input.sni.map { sni in values.contains { stringMatches($0, sni.lowercased()) } } ?? false
            } else {
                let name = String(key.dropFirst("request.headers[".count).dropLast()).lowercased()
                matched = input.headers.contains { header in header.0.lowercased() == name && values.contains { stringMatches($0, header.1) } }
            }
            if matched == negated { return false }
        }
        return true
    }

    func strings(_ object: JSONValue, _ key: String) -> [String]? { object[key]?.arrayValue?.map { $0.stringValue! } }
    func ints(_ object: JSONValue, _ key: String) -> [Int]? { object[key]?.arrayValue?.map { Int($0.intValue!) } }

    func sourceMatches(_ source: JSONValue, _ input: Input) -> Bool {
        if let list = strings(source, "principals") {
            guard let p = input.principal, list.contains(where: { stringMatches($0, p) }) else { return false }
        }
        if let list = strings(source, "notPrincipals"), let p = input.principal, list.contains(where: { stringMatches($0, p) }) {
            return false
        }
        if let list = strings(source, "ipBlocks") {
            guard let ip = input.sourceIP, list.contains(where: { inBlock(ip, $0) }) else { return false }
        }
        if let list = strings(source, "notIpBlocks"), let ip = input.sourceIP, list.contains(where: { inBlock(ip, $0) }) {
            return false
        }
        return true
    }

    func operationMatches(_ op: JSONValue, _ input: Input) -> Bool {
        if let list = strings(op, "methods"), !list.contains(input.method) { return false }
        if let list = strings(op, "notMethods"), list.contains(input.method) { return false }
        if let list = strings(op, "paths"), !list.contains(where: { pathMatches($0, input.path) }) { return false }
        if let list = strings(op, "notPaths"), list.contains(where: { pathMatches($0, input.path) }) { return false }
        var host = input.host?.lowercased()
        if let h = host, let colon = h.lastIndex(of: ":"), !h.hasPrefix("[") { host = String(h[..<colon]) }
        if host == "" { host = nil }
        if let list = strings(op, "hosts") {
            guard let h = host, list.contains(where: { stringMatches($0, h) }) else { return false }
        }
        if let list = strings(op, "notHosts"), let h = host, list.contains(where: { stringMatches($0, h) }) { return false }
        if let list = ints(op, "ports") {
            guard let port = input.port, list.contains(port) else { return false }
        }
        if let list = ints(op, "notPorts"), let port = input.port, list.contains(port) { return false }
        return true
    }

    /// `*`, `abc*`, `*abc`, `abc`.
    func stringMatches(_ pattern: String, _ value: String) -> Bool {
        if pattern == "*" { return !value.isEmpty }
        if pattern.hasSuffix("*") { return value.hasPrefix(pattern.dropLast()) }
        if pattern.hasPrefix("*") { return value.hasSuffix(pattern.dropFirst()) }
        return pattern == value
    }

    func pathMatches(_ pattern: String, _ path: String) -> Bool {
        guard pattern.contains("{") else { return stringMatches(pattern, path) }
        var pat = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var segs = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        while let p = pat.first {
            if p == "{**}" { return !segs.isEmpty }  // a remainder, or just the trailing slash
            guard let s = segs.first else { return false }
            if p == "{*}" { if s.isEmpty { return false } } else if p != s { return false }
            pat.removeFirst()
            segs.removeFirst()
        }
        return segs.isEmpty
    }

    /// IPv4-only block check for generated inputs (a.b.c.d and a.b.c.d/n).
    func inBlock(_ ip: String, _ block: String) -> Bool {
        func value(_ text: Substring) -> UInt32 {
            text.split(separator: ".").reduce(0) { $0 << 8 | UInt32($1)! }
        }
        let parts = block.split(separator: "/")
        let bits = parts.count == 2 ? Int(parts[1])! : 32
        let mask: UInt32 = bits == 0 ? 0 : ~0 << (32 - UInt32(bits))
        return value(Substring(ip)) & mask == value(parts[0]) & mask
    }
}
