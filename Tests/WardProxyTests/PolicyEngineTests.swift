import NIOHTTP1
import Testing
import WardPolicy

@testable import WardProxy

@Suite("PolicyEngine")
struct PolicyEngineTests {
    private let target = "spiffe://example.org/ns/shop/sa/orders"

    private func engine(_ json: String) throws -> PolicyEngine {
        let parsed = PolicySet.parse(files: [(name: "p.json", bytes: Array(json.utf8))], lint: false)
        #expect(!parsed.diagnostics.contains { $0.severity == .error }, "\(parsed.diagnostics)")
        return PolicyEngine(set: parsed.set, target: target, hash: "h")
    }

    private let policy = """
        {"name": "orders", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
          {"id": "no-admin", "effect": "deny", "to": [{"paths": ["/admin", "/admin/{**}"]}]},
          {"id": "frontend", "effect": "allow", "from": [{"principals": ["spiffe://example.org/frontend"]}],
           "to": [{"methods": ["GET"], "paths": ["/{**}"]}]},
          {"id": "batch", "effect": "allow", "from": [{"principals": ["spiffe://example.org/batch"]}]}
        ]}
        """

    @Test func decidesPerRequestAfterResolvingThePeerOnce() throws {
        let engine = try engine(policy)
        let frontend = engine.resolve(connection: ConnectionFacts(principal: "spiffe://example.org/frontend"))
        let allowed = frontend.decide(method: .GET, path: "/orders/1", host: "orders", port: 8080, headers: [:])
        #expect(allowed == AuthorizationResult(allowed: true, policy: "orders", rule: "frontend"))
        let denied = frontend.decide(method: .GET, path: "/admin", host: nil, port: 8080, headers: [:])
        #expect(denied == AuthorizationResult(allowed: false, policy: "orders", rule: "no-admin"))
        let other = engine.resolve(connection: ConnectionFacts(principal: "spiffe://example.org/other"))
        #expect(other.decide(method: .GET, path: "/", host: nil, port: 1, headers: [:]) == .defaultDeny)
    }

    @Test func headersReachTheTableOnlyWhenARuleReadsThem() throws {
        #expect(try !engine(policy).readsHeaders)
        let engine = try engine(
            """
            {"name": "tenants", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
              {"id": "acme", "effect": "allow", "from": [{"principals": ["spiffe://example.org/frontend"]}],
               "when": [{"key": "request.headers[X-Tenant]", "values": ["acme"]}]}]}
            """)
        #expect(engine.readsHeaders)
        let frontend = engine.resolve(connection: ConnectionFacts(principal: "spiffe://example.org/frontend"))
        #expect(frontend.decide(method: .GET, path: "/", host: nil, port: 1, headers: ["x-tenant": "acme"]).allowed)
        #expect(!frontend.decide(method: .GET, path: "/", host: nil, port: 1, headers: ["x-tenant": "beta"]).allowed)
        #expect(!frontend.decide(method: .GET, path: "/", host: nil, port: 1, headers: [:]).allowed)
    }

    @Test func connectionLevelDropsRequestAllowsAndBroadensDenies() throws {
        let engine = try engine(policy)
        // The frontend's allow needs a request (methods, paths): it cannot allow a raw connection.
        #expect(!engine.decideConnection(ConnectionFacts(principal: "spiffe://example.org/frontend")).allowed)
        // The deny on /admin becomes a deny of everything for TCP (fail closed), so even batch is denied.
        let batch = engine.decideConnection(ConnectionFacts(principal: "spiffe://example.org/batch"))
        #expect(!batch.allowed)
        #expect(batch.rule == "no-admin")
    }

    @Test func connectionLevelAllowsPeerOnlyRules() throws {
        let engine = try engine(
            """
            {"name": "db", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
              {"id": "batch", "effect": "allow", "from": [{"principals": ["spiffe://example.org/batch"]}]}]}
            """)
        #expect(engine.decideConnection(ConnectionFacts(principal: "spiffe://example.org/batch")).allowed)
        #expect(!engine.decideConnection(ConnectionFacts(principal: "spiffe://example.org/x")).allowed)
    }

    @Test func denyAllEngineDeniesEverything() {
        let engine = DenyAllEngine()
        #expect(!engine.decideConnection(ConnectionFacts(principal: "spiffe://a/b")).allowed)
        #expect(!engine.resolve(connection: ConnectionFacts(principal: nil)).decide(
            method: .GET, path: "/", host: nil, port: 1, headers: [:]).allowed)
    }
}
