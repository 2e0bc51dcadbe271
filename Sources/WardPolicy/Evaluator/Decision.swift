/// The answer for one request: allow or deny, and which policy and rule decided it.
///
/// "RBAC: access denied" with no reason is the most common complaint about mesh authorization, so a decision
/// always names its rule (or says it is the default deny), and carries what dry-run policies would have done.
public struct Decision: Sendable, Hashable, CustomStringConvertible {
    public let effect: Rule.Effect
    /// The deciding policy; nil for the default deny.
    public let policy: String?
    /// The deciding rule's id (or generated `rules[N]`); nil for the default deny.
    public let rule: String?
    /// What each dry-run policy with a matching rule would have decided, in policy order.
    public let dryRun: [DryRunResult]

    public init(effect: Rule.Effect, policy: String?, rule: String?, dryRun: [DryRunResult] = []) {
        self.effect = effect
        self.policy = policy
        self.rule = rule
        self.dryRun = dryRun
    }

    public var isAllowed: Bool { effect == .allow }

    /// Deny because no rule matched.
    public static let defaultDeny = Decision(effect: .deny, policy: nil, rule: nil)

    public var description: String {
        guard let policy, let rule else { return "deny (default deny: no rule matched)" }
        return "\(effect.rawValue) by policy \"\(policy)\" rule \"\(rule)\""
    }
}

/// A dry-run policy's would-be decision: its first matching deny rule, else its first matching allow rule.
public struct DryRunResult: Sendable, Hashable {
    public let policy: String
    public let rule: String
    public let effect: Rule.Effect

    public init(policy: String, rule: String, effect: Rule.Effect) {
        self.policy = policy
        self.rule = rule
        self.effect = effect
    }
}
