/// A decision for people: what was decided, by which rule, and for a default deny the rules that came closest
/// and which of their fields did not match.
///
/// Computed rule by rule (slow, offline, `ward policy explain`), independently of the table's bitsets; the
/// decision itself comes from the table so the explanation never disagrees with enforcement.
public struct Explanation: Sendable {
    public let decision: Decision
    /// Where the deciding rule is written (`policies/orders.json [0].rules[1]`).
    public let decidingLocation: String?
    /// For a default deny: the allow rules with the fewest mismatching fields (at most three).
    public let closest: [NearMiss]

    /// A rule that did not match and why.
    public struct NearMiss: Sendable {
        public let policy: String
        public let rule: String
        public let location: String
        /// One line per field that did not match, e.g. `to[0].methods: "DELETE" is not one of GET, HEAD`.
        public let mismatches: [String]
    }

    /// Explains the decision of `set` for `request` at workload `target`.
    public init(set: PolicySet, target: String, request: RequestFacts, connection: ConnectionFacts) {
        let table = DecisionTable(compiling: set, target: target)
        let decision = table.decide(request, connection: connection)
        self.decision = decision
        let policies = set.policies(for: target)
        if let policyName = decision.policy, let policy = policies.first(where: { $0.name == policyName }),
            let rule = policy.rules.first(where: { $0.id == decision.rule })
        {
            decidingLocation = "\(policy.file) \(rule.location)"
        } else {
            decidingLocation = nil
        }
        guard decision.policy == nil else {
            closest = []
            return
        }
        var misses: [NearMiss] = []
        for policy in policies where policy.mode == .enforce {
            for rule in policy.rules where rule.effect == .allow {
                misses.append(NearMiss(policy: policy.name, rule: rule.id, location: "\(policy.file) \(rule.location)",
                    mismatches: rule.mismatches(request, connection)))
            }
        }
        closest = Array(misses.enumerated().sorted {
            ($0.element.mismatches.count, $0.offset) < ($1.element.mismatches.count, $1.offset)
        }.prefix(3).map(\.element))
    }

    /// Several lines for a terminal.
    public var text: String {
        var lines: [String] = []
        if let policy = decision.policy, let rule = decision.rule {
            lines.append("\(decision.effect.rawValue.uppercased()): policy \"\(policy)\" rule \"\(rule)\"\(decidingLocation.map { " (\($0))" } ?? "")")
            if decision.effect == .deny { lines.append("a matching deny rule of an enforced policy always denies") }
        } else {
            lines.append("DENY: default deny, no allow rule matched")
            if closest.isEmpty { lines.append("no enforced policy with an allow rule applies to this target") }
            for miss in closest {
                lines.append("closest: policy \"\(miss.policy)\" rule \"\(miss.rule)\" (\(miss.location))")
                for mismatch in miss.mismatches { lines.append("  - \(mismatch)") }
            }
        }
        for dry in decision.dryRun {
            lines.append("dry-run: policy \"\(dry.policy)\" rule \"\(dry.rule)\" would \(dry.effect.rawValue)")
        }
        return lines.joined(separator: "\n")
    }
}

extension Rule {
    /// Fields that do not match, for the source and operation that came closest; empty when the rule matches.
    func mismatches(_ request: RequestFacts, _ connection: ConnectionFacts) -> [String] {
        var result: [String] = []
        if !from.isEmpty {
            let best = from.enumerated().map { $1.mismatches(connection, at: "from[\($0)]") }.min { $0.count < $1.count }
            result += best ?? []
        }
        if !to.isEmpty {
            let best = to.enumerated().map { $1.mismatches(request, at: "to[\($0)]") }.min { $0.count < $1.count }
            result += best ?? []
        }
        for (index, condition) in when.enumerated() {
            let holds = condition.key.isConnectionLevel ? condition.holds(for: connection) : condition.holds(for: request)
            if !holds {
                let values = condition.key == .sourceIP ? condition.blocks.map(\.description) : condition.patterns.map(\.description)
                result.append("when[\(index)]: \(condition.key) \(condition.negated ? "matches one of notValues" : "does not match values") \(values.joined(separator: ", "))")
            }
        }
        return result
    }
}

private func quoted(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "(absent)" }

extension Source {
    func mismatches(_ connection: ConnectionFacts, at location: String) -> [String] {
        var result: [String] = []
        let principal = connection.principal
        if !principals.isEmpty && !(principal.map { p in principals.contains { $0.matches(p) } } ?? false) {
            result.append("\(location).principals: \(quoted(principal)) is not one of \(principals.map(\.description).joined(separator: ", "))")
        }
        if let p = principal, let hit = notPrincipals.first(where: { $0.matches(p) }) {
            result.append("\(location).notPrincipals: \(quoted(p)) matches \(hit)")
        }
        let ip = connection.sourceIP
        if !ipBlocks.isEmpty && !(ip.map { a in ipBlocks.contains { $0.contains(a) } } ?? false) {
            result.append("\(location).ipBlocks: \(quoted(ip?.description)) is not in \(ipBlocks.map(\.description).joined(separator: ", "))")
        }
        if let a = ip, let hit = notIpBlocks.first(where: { $0.contains(a) }) {
            result.append("\(location).notIpBlocks: \(a) is in \(hit)")
        }
        return result
    }
}

extension Operation {
    func mismatches(_ request: RequestFacts, at location: String) -> [String] {
        var result: [String] = []
        if !methods.isEmpty && !methods.contains(request.method) {
            result.append("\(location).methods: \(quoted(request.method)) is not one of \(methods.joined(separator: ", "))")
        }
        if notMethods.contains(request.method) { result.append("\(location).notMethods: \(quoted(request.method)) is excluded") }
        if !paths.isEmpty && !paths.contains(where: { $0.matches(request.path) }) {
            result.append("\(location).paths: \(quoted(request.path)) matches none of \(paths.map(\.description).joined(separator: ", "))")
        }
        if let hit = notPaths.first(where: { $0.matches(request.path) }) {
            result.append("\(location).notPaths: \(quoted(request.path)) matches \(hit)")
        }
        let host = request.hostWithoutPort.map { $0.lowercased() }
        if !hosts.isEmpty && !(host.map { h in hosts.contains { $0.matches(h) } } ?? false) {
            result.append("\(location).hosts: \(quoted(host)) matches none of \(hosts.map(\.description).joined(separator: ", "))")
        }
        if let h = host, let hit = notHosts.first(where: { $0.matches(h) }) {
            result.append("\(location).notHosts: \(quoted(h)) matches \(hit)")
        }
        if !ports.isEmpty && !(request.port.map(ports.contains) ?? false) {
            result.append("\(location).ports: \(request.port.map(String.init) ?? "(absent)") is not one of \(ports.map(String.init).joined(separator: ", "))")
        }
        if let port = request.port, notPorts.contains(port) { result.append("\(location).notPorts: \(port) is excluded") }
        return result
    }
}
