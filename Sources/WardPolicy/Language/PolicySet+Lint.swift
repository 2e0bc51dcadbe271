/// Lint warnings: rules that can never match, rules shadowed by others, targets with nothing allowed.
///
/// Coverage checks are conservative: a warning means the rule really is dead or shadowed; silence does not
/// prove the opposite.
extension PolicySet {
    public func lint() -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        func warn(_ code: String, _ policy: Policy, _ rule: Rule?, _ message: String) {
            warnings.append(Diagnostic(.warning, code: code, file: policy.file,
                location: rule?.location ?? policy.location, message: message))
        }
        // Rules that can never match.
        var live: [(policy: Policy, rule: Rule)] = []
        for policy in policies {
            for rule in policy.rules {
                if let reason = rule.neverMatchesReason {
                    warn("lint.never_matches", policy, rule, "rule \"\(rule.id)\" can never match: \(reason)")
                } else {
                    live.append((policy, rule))
                }
            }
        }
        // Shadowed rules. A rule whose paths all start with the literal segment K can only be covered by a rule
        // whose paths all start with K too, or by one without such a key; bucketing keeps this near-linear.
        var buckets: [String?: [Int]] = [:]
        let keys = live.map(\.rule.pathBucket)
        for (index, key) in keys.enumerated() { buckets[key, default: []].append(index) }
        for (index, later) in live.enumerated() {
            let keyed = keys[index].map { buckets[$0] ?? [] } ?? []
            let candidates = keys[index] == nil ? (buckets[nil] ?? []) : (keyed + (buckets[nil] ?? [])).sorted()
            for earlierIndex in candidates where earlierIndex != index {
                let other = live[earlierIndex]
                let sameScope = other.policy.name == later.policy.name
                    || (other.policy.mode == .enforce && later.policy.mode == .enforce
                        && later.policy.targets.allSatisfy { t in other.policy.targets.contains { $0.covers(t) } })
                guard sameScope, other.rule.covers(later.rule) else { continue }
                if other.rule.effect == .deny && later.rule.effect == .allow
                    && (other.policy.mode == .enforce || sameScope && other.policy.mode == later.policy.mode)
                {
                    warn("lint.allow_shadowed_by_deny", later.policy, later.rule,
                        "allow rule \"\(later.rule.id)\" never takes effect: deny rule \"\(other.rule.id)\" of policy \"\(other.policy.name)\" matches every request it matches")
                    break
                }
                if other.rule.effect == later.rule.effect && earlierIndex < index {
                    warn("lint.shadowed", later.policy, later.rule,
                        "rule \"\(later.rule.id)\" is redundant: earlier rule \"\(other.rule.id)\" of policy \"\(other.policy.name)\" already matches every request it matches")
                    break
                }
            }
        }
        // Targets with no allow rule.
        var reported: Set<String> = []
        for policy in policies where policy.mode == .enforce {
            for target in policy.targets where !reported.contains(target.description) {
                reported.insert(target.description)
                let hasAllow = policies.contains { other in
                    other.mode == .enforce && other.targets.contains { $0.covers(target) || target.covers($0) }
                        && other.rules.contains { $0.effect == .allow }
                }
                if !hasAllow {
                    warn("lint.no_allow", policy, nil,
                        "target \"\(target)\" has no allow rule in any enforced policy, so every request to it is denied; add an allow rule")
                }
            }
        }
        return warnings
    }
}

extension Rule {
    /// The first literal path segment shared by every path of every `to` entry (`"orders"` for `/orders/{*}` and
    /// `/orders`); nil when some entry has no paths or a path without such a segment.
    var pathBucket: String? {
        guard !to.isEmpty else { return nil }
        var key: String?
        for operation in to {
            guard !operation.paths.isEmpty else { return nil }
            for path in operation.paths {
                guard let segment = path.firstLiteralSegment else { return nil }
                if key == nil { key = segment } else if key != segment { return nil }
            }
        }
        return key
    }

    /// Why this rule can never match, or nil when it may.
    var neverMatchesReason: String? {
        if !from.isEmpty, let reason = from.lazy.compactMap(\.neverMatchesReason).first,
            from.allSatisfy({ $0.neverMatchesReason != nil })
        {
            return reason
        }
        if !to.isEmpty, let reason = to.lazy.compactMap(\.neverMatchesReason).first,
            to.allSatisfy({ $0.neverMatchesReason != nil })
        {
            return reason
        }
        for condition in when where !condition.negated {
            for other in when where other.negated && other.key == condition.key {
                let excluded = condition.key == .sourceIP
                    ? condition.blocks.allSatisfy { b in other.blocks.contains { $0.covers(b) } }
                    : condition.patterns.allSatisfy { p in other.patterns.contains { $0.covers(p) } }
                if excluded { return "every value allowed by \"values\" of \(condition.key) is excluded by its \"notValues\"" }
            }
            for other in when where !other.negated && other.key == condition.key && other != condition {
                if case .header = condition.key,
                    condition.patterns.allSatisfy({ if case .exact = $0 { true } else { false } }),
                    other.patterns.allSatisfy({ if case .exact = $0 { true } else { false } }),
                    Set(condition.patterns).isDisjoint(with: other.patterns)
                {
                    return "two conditions on \(condition.key) require different exact values"
                }
            }
        }
        return nil
    }

    /// Whether every request this rule's conditions match is matched by `other`'s conditions... inverted:
    /// whether this rule matches every request that `other` matches.
    func covers(_ other: Rule) -> Bool {
        guard when.allSatisfy({ mine in other.when.contains { mine.isImplied(by: $0) } }) else { return false }
        if !from.isEmpty {
            guard !other.from.isEmpty, other.from.allSatisfy({ theirs in from.contains { $0.covers(theirs) } })
            else { return false }
        }
        if !to.isEmpty {
            guard !other.to.isEmpty, other.to.allSatisfy({ theirs in to.contains { $0.covers(theirs) } })
            else { return false }
        }
        return true
    }
}

extension Condition {
    /// Whether `other` holding guarantees this condition holds.
    func isImplied(by other: Condition) -> Bool {
        guard key == other.key, negated == other.negated else { return false }
        if key == .sourceIP {
            return negated
                ? blocks.allSatisfy { mine in other.blocks.contains { $0.covers(mine) } }
                : other.blocks.allSatisfy { theirs in blocks.contains { $0.covers(theirs) } }
        }
        return negated
            ? patterns.allSatisfy { mine in other.patterns.contains { $0.covers(mine) } }
            : other.patterns.allSatisfy { theirs in patterns.contains { $0.covers(theirs) } }
    }
}

/// `mine` (positive list) covers `theirs` when mine is empty, or theirs is non-empty and each of its values is
/// covered; a negative list covers when each of mine's exclusions is inside one of theirs.
private func positiveCovers<T>(_ mine: [T], _ theirs: [T], _ covers: (T, T) -> Bool) -> Bool {
    mine.isEmpty || (!theirs.isEmpty && theirs.allSatisfy { t in mine.contains { covers($0, t) } })
}

private func negativeCovers<T>(_ mine: [T], _ theirs: [T], _ covers: (T, T) -> Bool) -> Bool {
    mine.allSatisfy { m in theirs.contains { covers($0, m) } }
}

extension Source {
    var neverMatchesReason: String? {
        if !principals.isEmpty && principals.allSatisfy({ p in notPrincipals.contains { $0.covers(p) } }) {
            return "every principal in \"principals\" is excluded by \"notPrincipals\""
        }
        if !ipBlocks.isEmpty && ipBlocks.allSatisfy({ b in notIpBlocks.contains { $0.covers(b) } }) {
            return "every block in \"ipBlocks\" is excluded by \"notIpBlocks\""
        }
        return nil
    }

    func covers(_ other: Source) -> Bool {
        positiveCovers(principals, other.principals) { $0.covers($1) }
            && negativeCovers(notPrincipals, other.notPrincipals) { $0.covers($1) }
            && positiveCovers(ipBlocks, other.ipBlocks) { $0.covers($1) }
            && negativeCovers(notIpBlocks, other.notIpBlocks) { $0.covers($1) }
    }
}

extension Operation {
    var neverMatchesReason: String? {
        if !methods.isEmpty && methods.allSatisfy(notMethods.contains) {
            return "every method in \"methods\" is excluded by \"notMethods\""
        }
        if !ports.isEmpty && ports.allSatisfy(notPorts.contains) {
            return "every port in \"ports\" is excluded by \"notPorts\""
        }
        if !paths.isEmpty && paths.allSatisfy({ p in notPaths.contains { $0.covers(p) } }) {
            return "every path in \"paths\" is excluded by \"notPaths\""
        }
        if !hosts.isEmpty && hosts.allSatisfy({ h in notHosts.contains { $0.covers(h) } }) {
            return "every host in \"hosts\" is excluded by \"notHosts\""
        }
        return nil
    }

    func covers(_ other: Operation) -> Bool {
        positiveCovers(methods, other.methods, ==) && negativeCovers(notMethods, other.notMethods, ==)
            && positiveCovers(ports, other.ports, ==) && negativeCovers(notPorts, other.notPorts, ==)
            && positiveCovers(paths, other.paths) { $0.covers($1) }
            && negativeCovers(notPaths, other.notPaths) { $0.covers($1) }
            && positiveCovers(hosts, other.hosts) { $0.covers($1) }
            && negativeCovers(notHosts, other.notHosts) { $0.covers($1) }
    }
}

extension PathPattern {
    /// The first segment when the pattern fixes it completely (`a` for `/a`, `/a/b`, `/a/*`, `/a/{*}`).
    var firstLiteralSegment: String? {
        let text: String
        switch self {
        case .exact(let s): text = s
        case .prefix(let s):
            // `/ab*` does not fix the first segment; `/ab/*` does.
            guard s.dropFirst().contains("/") else { return nil }
            text = s
        case .template(let segments):
            guard case .literal(let first)? = segments.first else { return nil }
            return first
        case .suffix, .present: return nil
        }
        guard let first = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).first,
            !first.isEmpty
        else { return nil }
        return String(first)
    }
}
