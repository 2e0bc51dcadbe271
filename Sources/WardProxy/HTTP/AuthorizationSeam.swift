import NIOHTTP1
import WardPolicy

/// What one decision said: enough for the response, the access log and the metrics.
public struct AuthorizationResult: Sendable, Equatable {
    public var allowed: Bool
    /// The deciding policy and rule; both nil for the default deny.
    public var policy: String?
    public var rule: String?
    /// What dry-run policies would have decided, reported beside the enforced decision and never applied.
    public var dryRun: [DryRunOutcome]

    public init(allowed: Bool, policy: String?, rule: String?, dryRun: [DryRunOutcome] = []) {
        self.allowed = allowed
        self.policy = policy
        self.rule = rule
        self.dryRun = dryRun
    }

    /// The default deny (nothing allowed it): also what the proxy falls back to when in doubt.
    public static let defaultDeny = AuthorizationResult(allowed: false, policy: nil, rule: nil)
}

/// A dry-run policy's would-be decision.
public struct DryRunOutcome: Sendable, Equatable {
    public var allowed: Bool
    public var policy: String
    public var rule: String?

    public init(allowed: Bool, policy: String, rule: String?) {
        self.allowed = allowed
        self.policy = policy
        self.rule = rule
    }
}

/// The decision engine as the proxy sees it: the seam between `WardProxy` and `WardPolicy`.
///
/// The peer never changes on a connection, so everything that depends only on it is resolved once by
/// `resolve(connection:)`; what is left per request is method, path, host and headers. An engine is immutable: a
/// reload builds a new one and swaps it in, so a request is always decided by one complete policy set.
public protocol DecisionEngine: Sendable {
    /// Work done once per connection.
    func resolve(connection: ConnectionFacts) -> any PeerDecider
    /// Whether the connection may exist at all (`--protocol tcp`): rules without `to` only.
    func decideConnection(_ connection: ConnectionFacts) -> AuthorizationResult
    /// Identifies the loaded policies (content hash) for `/config`, metrics and logs.
    var contentHash: String { get }
    var ruleCount: Int { get }
}

/// Decides requests for one peer on one connection.
public protocol PeerDecider {
    /// `path` is the normalized path, exactly what will be forwarded.
    func decide(method: HTTPMethod, path: String, host: String?, port: Int, headers: HTTPHeaders) -> AuthorizationResult
}

/// An engine that denies everything: what the proxy holds when no policy could be loaded (fail closed).
public struct DenyAllEngine: DecisionEngine, PeerDecider {
    public init() {}
    public func resolve(connection: ConnectionFacts) -> any PeerDecider { self }
    public func decideConnection(_ connection: ConnectionFacts) -> AuthorizationResult { .defaultDeny }
    public func decide(method: HTTPMethod, path: String, host: String?, port: Int, headers: HTTPHeaders)
        -> AuthorizationResult
    {
        .defaultDeny
    }
    public var contentHash: String { "none" }
    public var ruleCount: Int { 0 }
}
