import WardJSON
import WardPolicy

/// Builds policy sets and requests from JSON text for tests.
enum Fixture {
    static let frontend = "spiffe://example.org/ns/shop/sa/frontend"
    static let orders = "spiffe://example.org/ns/shop/sa/orders"
    static let admin = "spiffe://example.org/ns/shop/sa/admin"

    /// Parses `text` as the file `policies/test.json`; returns the set and all diagnostics.
    static func parse(_ text: String, file: String = "policies/test.json", lint: Bool = true)
        -> (set: PolicySet, diagnostics: [Diagnostic])
    {
        PolicySet.parse(files: [(name: file, bytes: Array(text.utf8))], lint: lint)
    }

    /// A policy set that must be valid.
    static func set(_ text: String) -> PolicySet {
        let (set, diagnostics) = parse(text, lint: false)
        precondition(!diagnostics.hasErrors, "fixture invalid: \(diagnostics)")
        return set
    }

    /// One enforced policy for `orders` with the given rules JSON.
    static func rules(_ rules: String, mode: String = "enforce") -> PolicySet {
        set("""
            {"name": "p", "target": "\(orders)", "mode": "\(mode)", "rules": \(rules)}
            """)
    }

    /// Decides a request against `set` for target `orders`.
    static func decide(_ set: PolicySet, principal: String? = frontend, method: String = "GET", path: String = "/",
        host: String? = nil, port: Int? = nil, headers: [(String, String)] = [], sourceIP: String? = nil,
        sni: String? = nil, target: String = orders) -> Decision
    {
        let table = DecisionTable(compiling: set, target: target)
        let normalized = try! NormalizedPath(path).path
        return table.decide(
            RequestFacts(method: method, path: normalized, host: host, port: port,
                headers: headers.map { (name: $0.0, value: $0.1) }),
            connection: ConnectionFacts(principal: principal, sourceIP: sourceIP.flatMap { IPAddress($0) }, sni: sni))
    }

    /// Decides with a single allow rule whose `to`/`from`/`when` is given and reports allow/deny.
    static func allows(_ ruleBody: String, principal: String? = frontend, method: String = "GET", path: String = "/",
        host: String? = nil, port: Int? = nil, headers: [(String, String)] = [], sourceIP: String? = nil,
        sni: String? = nil) -> Bool
    {
        let set = rules("[{\"effect\": \"allow\", \(ruleBody)}]")
        return decide(set, principal: principal, method: method, path: path, host: host, port: port,
            headers: headers, sourceIP: sourceIP, sni: sni).isAllowed
    }
}
