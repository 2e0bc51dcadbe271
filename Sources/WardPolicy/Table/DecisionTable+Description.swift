import WardJSON

/// The table for people: rules in decision order, with the index sizes.
extension DecisionTable: CustomStringConvertible {
    public var description: String {
        var lines = ["decision table for \(target)"]
        lines.append("  \(rules.count) rules, \(clauses.count) clauses, \(wordCount) words per bitset, \(arena.count / max(wordCount, 1)) bitsets (\(bitsetBytes) bytes)")
        lines.append("  methods indexed: \(methodNames.isEmpty ? "-" : methodNames.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")); ports indexed: \(ports.isEmpty ? "-" : ports.map(String.init).joined(separator: " "))")
        lines.append("  path trie: \(pathTrie.nodes.count) nodes (\(pathTrie.slotBytes) bytes of slots), \(pathSuffixes.count) suffixes; hosts: \(hostExact.count) exact, \(hostPrefixes.count) prefixes, \(hostSuffixes.count) suffixes; \(principalPatterns.count) principal patterns")
        var region = ""
        for rule in rules {
            let start = Int(rule.clauseStart)
            let name = start >= dryRunStart ? "dry-run (reported, never enforced)"
                : start >= allowStart ? "2. enforced allow (if no deny matched)" : "1. enforced deny (checked first)"
            if name != region {
                region = name
                lines.append(name + ":")
            }
            lines.append("  [\(start)..<\(rule.clauseEnd)] \(rule.effect.rawValue) \(rule.policyName)/\(rule.id)")
        }
        if rules.isEmpty { lines.append("  (no policies apply: every request is denied by default)") }
        lines.append("  otherwise: deny (default)")
        return lines.joined(separator: "\n")
    }
}

extension CompiledPolicies: CustomStringConvertible {
    /// The table file for people: header, then every policy's rules in canonical JSON, one line each.
    public var description: String {
        var lines = ["Ward policy table (\(Self.format))", "sha256: \(sha256)",
            "target: \(target ?? "(all workloads)")", "policies: \(set.policies.count), rules: \(set.ruleCount)"]
        for policy in set.policies {
            lines.append("")
            lines.append("policy \(policy.name) [\(policy.mode.rawValue)] target \(policy.targets.map(\.description).joined(separator: ", "))")
            for rule in policy.rules {
                lines.append("  \(rule.json.serialized(.compact))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
