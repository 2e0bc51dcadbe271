/// One authorization policy as written: which workloads enforce it, whether it is enforced, and its rules.
///
/// A validated value (the parser never produces a `Policy` with an unknown field or a bad value), so the
/// compiler and the reference semantics work on plain data.
public struct Policy: Sendable, Hashable {
    /// Whether a policy changes decisions or is only reported beside them.
    public enum Mode: String, Sendable, Hashable {
        case enforce
        case dryRun = "dry-run"
    }

    /// Unique in its set; names it in every decision.
    public var name: String
    /// SPIFFE ID patterns of the workloads whose proxy enforces this policy.
    public var targets: [StringPattern]
    public var mode: Mode
    public var rules: [Rule]
    /// Where it came from (`policies/orders.json` and `[0]`), for diagnostics.
    public var file: String
    public var location: String

    public init(name: String, targets: [StringPattern], mode: Mode = .enforce, rules: [Rule], file: String = "",
        location: String = "")
    {
        self.name = name
        self.targets = targets
        self.mode = mode
        self.rules = rules
        self.file = file
        self.location = location
    }

    /// Whether the workload `target` enforces (or dry-runs) this policy.
    public func applies(to target: String) -> Bool { targets.contains { $0.matches(target) } }
}

/// A rule: an effect and the conditions under which it matches.
///
/// It matches when some `from` source, some `to` operation and every `when` condition match; an empty `from`
/// or `to` matches anything.
public struct Rule: Sendable, Hashable {
    public enum Effect: String, Sendable, Hashable {
        case allow
        case deny
    }

    /// The rule's `id`, or the generated stable `rules[N]`.
    public var id: String
    public var effect: Effect
    public var from: [Source]
    public var to: [Operation]
    public var when: [Condition]
    /// JSON location inside its file, for diagnostics.
    public var location: String

    public init(id: String, effect: Effect, from: [Source] = [], to: [Operation] = [], when: [Condition] = [],
        location: String = "")
    {
        self.id = id
        self.effect = effect
        self.from = from
        self.to = to
        self.when = when
        self.location = location
    }
}

/// Who is calling: fields are ANDed, values inside a field ORed; an empty field does not constrain.
public struct Source: Sendable, Hashable {
    public var principals: [StringPattern] = []
    public var notPrincipals: [StringPattern] = []
    public var ipBlocks: [CIDR] = []
    public var notIpBlocks: [CIDR] = []

    public init(principals: [StringPattern] = [], notPrincipals: [StringPattern] = [], ipBlocks: [CIDR] = [],
        notIpBlocks: [CIDR] = [])
    {
        self.principals = principals
        self.notPrincipals = notPrincipals
        self.ipBlocks = ipBlocks
        self.notIpBlocks = notIpBlocks
    }
}

/// What is being called: fields are ANDed, values inside a field ORed; an empty field does not constrain.
public struct Operation: Sendable, Hashable {
    public var methods: [String] = []
    public var notMethods: [String] = []
    public var paths: [PathPattern] = []
    public var notPaths: [PathPattern] = []
    /// Lowercased; compared case-insensitively without the port.
    public var hosts: [StringPattern] = []
    public var notHosts: [StringPattern] = []
    public var ports: [Int] = []
    public var notPorts: [Int] = []

    public init(methods: [String] = [], notMethods: [String] = [], paths: [PathPattern] = [],
        notPaths: [PathPattern] = [], hosts: [StringPattern] = [], notHosts: [StringPattern] = [],
        ports: [Int] = [], notPorts: [Int] = [])
    {
        self.methods = methods
        self.notMethods = notMethods
        self.paths = paths
        self.notPaths = notPaths
        self.hosts = hosts
        self.notHosts = notHosts
        self.ports = ports
        self.notPorts = notPorts
    }
}

/// A `when` condition: the value under `key` matches one of `values`, or (negated) is absent or matches none.
public struct Condition: Sendable, Hashable {
    /// What a condition reads.
    public enum Key: Sendable, Hashable, CustomStringConvertible {
        /// `request.headers[name]`; `name` lowercased.
        case header(String)
        /// `source.ip`: values are IPs or CIDRs.
        case sourceIP
        /// `connection.sni`.
        case sni

        public var description: String {
            switch self {
            case .header(let name): "request.headers[\(name)]"
            case .sourceIP: "source.ip"
            case .sni: "connection.sni"
            }
        }

        /// Whether the value is fixed for a connection (resolved once per peer, not per request).
        public var isConnectionLevel: Bool {
            if case .header = self { false } else { true }
        }
    }

    public var key: Key
    /// True for `notValues`.
    public var negated: Bool
    /// String patterns (header, SNI).
    public var patterns: [StringPattern]
    /// IP blocks (`source.ip`).
    public var blocks: [CIDR]

    public init(key: Key, negated: Bool, patterns: [StringPattern] = [], blocks: [CIDR] = []) {
        self.key = key
        self.negated = negated
        self.patterns = patterns
        self.blocks = blocks
    }
}
