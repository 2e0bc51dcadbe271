import NIOHTTP1
import WardPolicy

/// The `DecisionEngine` backed by a compiled `WardPolicy.DecisionTable` for this proxy's own SPIFFE ID.
public struct PolicyEngine: DecisionEngine {
    let table: DecisionTable
    /// For `--protocol tcp`: the same policies with request-level parts removed (see `connectionLevel`).
    let connectionTable: DecisionTable
    public let contentHash: String
    public var ruleCount: Int { table.ruleCount }
    /// Whether any rule has a `request.headers[…]` condition. Headers are read by nothing else, so without one
    /// the request's headers are not copied for each decision.
    let readsHeaders: Bool

    /// Compiles `set` for `target` (the proxy's SPIFFE ID); `hash` identifies the set in logs and metrics.
    public init(set: PolicySet, target: String, hash: String) {
        table = DecisionTable(compiling: set, target: target)
        connectionTable = DecisionTable(compiling: Self.connectionLevel(set), target: target)
        contentHash = hash
        readsHeaders = set.policies.contains { policy in
            policy.rules.contains { rule in rule.when.contains { !$0.key.isConnectionLevel } }
        }
    }

    public func resolve(connection: ConnectionFacts) -> any PeerDecider {
        TablePeerDecider(table: table, view: table.resolve(connection), readsHeaders: readsHeaders)
    }

    public func decideConnection(_ connection: ConnectionFacts) -> AuthorizationResult {
        let decision = connectionTable.decide(RequestFacts(method: "CONNECT", path: "/"), connection: connection)
        return AuthorizationResult(decision)
    }

    /// Connection-level reading of a policy set, failing closed: an allow rule that needs anything of an HTTP
    /// request (`to`, header conditions) cannot allow a raw connection and is dropped; a deny rule keeps its
    /// `from` and connection conditions and loses the request-level parts, so it denies more, never less.
    static func connectionLevel(_ set: PolicySet) -> PolicySet {
        PolicySet(
            policies: set.policies.map { policy in
                var policy = policy
                policy.rules = policy.rules.compactMap { rule in
                    let requestLevel = !rule.to.isEmpty || rule.when.contains { !$0.key.isConnectionLevel }
                    guard requestLevel else { return rule }
                    guard rule.effect == .deny else { return nil }
                    var broadened = rule
                    broadened.to = []
                    broadened.when = rule.when.filter { $0.key.isConnectionLevel }
                    return broadened
                }
                return policy
            })
    }
}

/// One connection's resolved view of the table.
struct TablePeerDecider: PeerDecider {
    let table: DecisionTable
    let view: PeerView
    let readsHeaders: Bool

    func decide(method: HTTPMethod, path: String, host: String?, port: Int, headers: HTTPHeaders)
        -> AuthorizationResult
    {
        var pairs: [(name: String, value: String)] = []
        if readsHeaders {
            pairs.reserveCapacity(headers.count)
            for (name, value) in headers { pairs.append((name, value)) }
        }
        let facts = RequestFacts(method: method.rawValue, path: path, host: host, port: port, headers: pairs)
        return AuthorizationResult(table.decide(facts, peer: view))
    }
}

extension AuthorizationResult {
    init(_ decision: Decision) {
        self.init(
            allowed: decision.isAllowed, policy: decision.policy, rule: decision.rule,
            dryRun: decision.dryRun.map { DryRunOutcome(allowed: $0.effect == .allow, policy: $0.policy, rule: $0.rule) })
    }
}
