import Testing
import WardPolicy

@Suite("Matching forms")
struct MatchingTests {
    let other = "spiffe://example.org/ns/shop/sa/other"

    @Test("principals: exact, prefix, suffix, any, and notPrincipals")
    func principals() {
        #expect(Fixture.allows(#""from": [{"principals": ["\#(Fixture.frontend)"]}]"#))
        #expect(!Fixture.allows(#""from": [{"principals": ["\#(Fixture.frontend)"]}]"#, principal: other))
        #expect(Fixture.allows(#""from": [{"principals": ["spiffe://example.org/ns/shop/*"]}]"#, principal: other))
        #expect(!Fixture.allows(#""from": [{"principals": ["spiffe://example.org/ns/web/*"]}]"#))
        #expect(Fixture.allows(#""from": [{"principals": ["*/sa/frontend"]}]"#))
        #expect(!Fixture.allows(#""from": [{"principals": ["*/sa/frontend"]}]"#, principal: other))
        #expect(Fixture.allows(#""from": [{"principals": ["*"]}]"#))
        #expect(!Fixture.allows(#""from": [{"principals": ["*"]}]"#, principal: nil))
        #expect(!Fixture.allows(#""from": [{"notPrincipals": ["\#(Fixture.frontend)"]}]"#))
        #expect(Fixture.allows(#""from": [{"notPrincipals": ["\#(Fixture.frontend)"]}]"#, principal: other))
        #expect(Fixture.allows(#""from": [{"notPrincipals": ["*"]}]"#, principal: nil))
    }

    @Test("ipBlocks and notIpBlocks, IPv4 and IPv6")
    func ipBlocks() {
        let body = #""from": [{"ipBlocks": ["10.0.0.0/8", "2001:db8::/32"]}]"#
        #expect(Fixture.allows(body, sourceIP: "10.1.2.3"))
        #expect(Fixture.allows(body, sourceIP: "2001:db8:1::7"))
        #expect(Fixture.allows(body, sourceIP: "::ffff:10.9.9.9"))
        #expect(!Fixture.allows(body, sourceIP: "11.0.0.1"))
        #expect(!Fixture.allows(body, sourceIP: nil))
        let not = #""from": [{"notIpBlocks": ["192.168.0.0/16"]}]"#
        #expect(!Fixture.allows(not, sourceIP: "192.168.1.1"))
        #expect(Fixture.allows(not, sourceIP: "10.0.0.1"))
        #expect(Fixture.allows(not, sourceIP: nil))
    }

    @Test("fields inside a source are ANDed; sources are ORed")
    func sourcesCombine() {
        let and = #""from": [{"principals": ["\#(Fixture.frontend)"], "ipBlocks": ["10.0.0.0/8"]}]"#
        #expect(Fixture.allows(and, sourceIP: "10.0.0.1"))
        #expect(!Fixture.allows(and, sourceIP: "11.0.0.1"))
        let or = #""from": [{"principals": ["\#(Fixture.admin)"]}, {"ipBlocks": ["10.0.0.0/8"]}]"#
        #expect(Fixture.allows(or, sourceIP: "10.0.0.1"))
        #expect(Fixture.allows(or, principal: Fixture.admin))
        #expect(!Fixture.allows(or, sourceIP: "11.0.0.1"))
    }

    @Test("methods and notMethods")
    func methods() {
        #expect(Fixture.allows(#""to": [{"methods": ["GET", "POST"]}]"#, method: "POST"))
        #expect(!Fixture.allows(#""to": [{"methods": ["GET", "POST"]}]"#, method: "DELETE"))
        #expect(!Fixture.allows(#""to": [{"methods": ["GET"]}]"#, method: "get"))
        #expect(!Fixture.allows(#""to": [{"notMethods": ["DELETE"]}]"#, method: "DELETE"))
        #expect(Fixture.allows(#""to": [{"notMethods": ["DELETE"]}]"#, method: "PATCH"))
        #expect(Fixture.allows(#""to": [{"notMethods": ["DELETE"]}]"#, method: "PROPFIND"))
    }

    @Test("paths: exact, prefix, suffix, any, {*}, {**}")
    func paths() {
        func allows(_ pattern: String, _ path: String) -> Bool {
            Fixture.allows(#""to": [{"paths": ["\#(pattern)"]}]"#, path: path)
        }
        #expect(allows("/orders", "/orders"))
        #expect(!allows("/orders", "/orders/"))
        #expect(!allows("/orders", "/orders/1"))
        #expect(allows("/orders/*", "/orders/1/items"))
        #expect(allows("/orders/*", "/orders/"))
        #expect(!allows("/orders/*", "/orders"))
        #expect(allows("/ord*", "/orders"))
        #expect(allows("/*", "/"))
        #expect(allows("*.js", "/static/app.js"))
        #expect(!allows("*.js", "/static/app.json"))
        #expect(allows("*", "/anything/at/all"))
        #expect(allows("/orders/{*}", "/orders/17"))
        #expect(!allows("/orders/{*}", "/orders/17/items"))
        #expect(!allows("/orders/{*}", "/orders/"))
        #expect(allows("/orders/{*}/items", "/orders/17/items"))
        #expect(!allows("/orders/{*}/items", "/orders/17/other"))
        #expect(allows("/a/{**}", "/a/b"))
        #expect(allows("/a/{**}", "/a/b/c"))
        #expect(!allows("/a/{**}", "/a"))
        #expect(allows("/a/{**}", "/a/"), "a trailing slash is under /a/ too: no gap for a deny")
        #expect(allows("/a/{**}", "/a/x/.."), "normalizes to /a/")
        #expect(allows("/{*}/x/{**}", "/t/x/y/z"))
        #expect(!allows("/{*}/x/{**}", "/t/y/y/z"))
    }

    @Test("notPaths")
    func notPaths() {
        let body = #""to": [{"paths": ["/api/*"], "notPaths": ["/api/internal/*", "/api/{*}/secret"]}]"#
        #expect(Fixture.allows(body, path: "/api/orders"))
        #expect(!Fixture.allows(body, path: "/api/internal/x"))
        #expect(!Fixture.allows(body, path: "/api/v1/secret"))
        #expect(Fixture.allows(#""to": [{"notPaths": ["/admin"]}]"#, path: "/x"))
        #expect(!Fixture.allows(#""to": [{"notPaths": ["/admin"]}]"#, path: "/admin"))
    }

    @Test("hosts: case-insensitive, without the port; exact, prefix, suffix, any; notHosts")
    func hosts() {
        func allows(_ field: String, _ pattern: String, _ host: String?) -> Bool {
            Fixture.allows(#""to": [{"\#(field)": ["\#(pattern)"]}]"#, host: host)
        }
        #expect(allows("hosts", "orders.example.org", "Orders.Example.ORG"))
        #expect(allows("hosts", "orders.example.org", "orders.example.org:8443"))
        #expect(!allows("hosts", "orders.example.org", "orders.example.org.evil"))
        #expect(!allows("hosts", "orders.example.org", nil))
        #expect(allows("hosts", "*.example.org", "A.EXAMPLE.org"))
        #expect(!allows("hosts", "*.example.org", "example.com"))
        #expect(allows("hosts", "orders.*", "ORDERS.internal"))
        #expect(allows("hosts", "*", "x"))
        #expect(!allows("hosts", "*", nil))
        #expect(allows("hosts", "[::1]", "[::1]:80"))
        #expect(!allows("notHosts", "*.evil.org", "A.EVIL.org:1"))
        #expect(allows("notHosts", "*.evil.org", "good.org"))
        #expect(allows("notHosts", "*.evil.org", nil))
    }

    @Test("ports and notPorts")
    func ports() {
        #expect(Fixture.allows(#""to": [{"ports": [8080, 9090]}]"#, port: 9090))
        #expect(!Fixture.allows(#""to": [{"ports": [8080]}]"#, port: 80))
        #expect(!Fixture.allows(#""to": [{"ports": [8080]}]"#, port: nil))
        #expect(!Fixture.allows(#""to": [{"notPorts": [8080]}]"#, port: 8080))
        #expect(Fixture.allows(#""to": [{"notPorts": [8080]}]"#, port: 80))
        #expect(Fixture.allows(#""to": [{"notPorts": [8080]}]"#, port: nil))
    }

    @Test("fields inside an operation are ANDed; operations are ORed")
    func operationsCombine() {
        let body = #""to": [{"methods": ["GET"], "paths": ["/a"]}, {"methods": ["POST"], "paths": ["/b"]}]"#
        #expect(Fixture.allows(body, method: "GET", path: "/a"))
        #expect(Fixture.allows(body, method: "POST", path: "/b"))
        #expect(!Fixture.allows(body, method: "GET", path: "/b"))
    }

    @Test("when: header values and notValues (absent header), source.ip, connection.sni")
    func conditions() {
        let header = #""when": [{"key": "request.headers[X-Tenant]", "values": ["acme", "beta*"]}]"#
        #expect(Fixture.allows(header, headers: [("x-tenant", "acme")]))
        #expect(Fixture.allows(header, headers: [("X-TENANT", "beta-2")]))
        #expect(Fixture.allows(header, headers: [("x-tenant", "zzz"), ("x-tenant", "acme")]))
        #expect(!Fixture.allows(header, headers: [("x-tenant", "ACME")]))
        #expect(!Fixture.allows(header))
        let notHeader = #""when": [{"key": "request.headers[x-debug]", "notValues": ["*"]}]"#
        #expect(Fixture.allows(notHeader))
        #expect(!Fixture.allows(notHeader, headers: [("x-debug", "1")]))
        let ip = #""when": [{"key": "source.ip", "values": ["10.0.0.0/8"]}]"#
        #expect(Fixture.allows(ip, sourceIP: "10.2.3.4"))
        #expect(!Fixture.allows(ip, sourceIP: "172.16.0.1"))
        let notIP = #""when": [{"key": "source.ip", "notValues": ["10.0.0.0/8"]}]"#
        #expect(Fixture.allows(notIP, sourceIP: nil))
        #expect(!Fixture.allows(notIP, sourceIP: "10.0.0.1"))
        let sni = #""when": [{"key": "connection.sni", "values": ["*.example.org"]}]"#
        #expect(Fixture.allows(sni, sni: "Orders.example.org"))
        #expect(!Fixture.allows(sni, sni: "orders.example.com"))
        #expect(!Fixture.allows(sni, sni: nil))
        let notSNI = #""when": [{"key": "connection.sni", "notValues": ["legacy.example.org"]}]"#
        #expect(Fixture.allows(notSNI, sni: nil))
        #expect(!Fixture.allows(notSNI, sni: "legacy.example.org"))
        let both = #""when": [{"key": "request.headers[a]", "values": ["1"]}, {"key": "request.headers[b]", "values": ["2"]}]"#
        #expect(Fixture.allows(both, headers: [("a", "1"), ("b", "2")]))
        #expect(!Fixture.allows(both, headers: [("a", "1")]))
    }
}

@Suite("Decisions")
struct DecisionTests {
    @Test("an empty rule matches everything; no policy means default deny")
    func defaults() {
        #expect(Fixture.decide(Fixture.rules(#"[{"effect": "allow"}]"#)).isAllowed)
        let none = Fixture.decide(Fixture.rules(#"[{"effect": "allow"}]"#), target: "spiffe://example.org/other")
        #expect(none == .defaultDeny)
    }

    @Test("default deny names no rule")
    func defaultDeny() {
        let set = Fixture.rules(#"[{"id": "r", "effect": "allow", "to": [{"paths": ["/a"]}]}]"#)
        let decision = Fixture.decide(set, path: "/b")
        #expect(decision.effect == .deny && decision.policy == nil && decision.rule == nil)
    }

    @Test("deny wins over allow regardless of order, and across policies")
    func denyOverAllow() {
        let set = Fixture.set("""
            [{"name": "first", "target": "\(Fixture.orders)", "rules": [{"id": "open", "effect": "allow"}]},
             {"name": "second", "target": "spiffe://example.org/ns/shop/*",
              "rules": [{"effect": "allow"}, {"effect": "deny", "to": [{"methods": ["DELETE"]}]}]}]
            """)
        let deny = Fixture.decide(set, method: "DELETE")
        #expect(deny == Decision(effect: .deny, policy: "second", rule: "rules[1]"))
        let allow = Fixture.decide(set, method: "GET")
        #expect(allow == Decision(effect: .allow, policy: "first", rule: "open"))
    }

    @Test("the first matching allow in set order names the decision")
    func firstAllowNamed() {
        let set = Fixture.rules(#"[{"id": "a", "effect": "allow", "to": [{"paths": ["/x"]}]}, {"id": "b", "effect": "allow"}]"#)
        #expect(Fixture.decide(set, path: "/x").rule == "a")
        #expect(Fixture.decide(set, path: "/y").rule == "b")
    }

    @Test("dry-run policies are reported beside the decision and never change it")
    func dryRun() {
        let set = Fixture.set("""
            [{"name": "live", "target": "\(Fixture.orders)", "rules": [{"id": "all", "effect": "allow"}]},
             {"name": "shadow", "target": "\(Fixture.orders)", "mode": "dry-run",
              "rules": [{"id": "a", "effect": "allow", "to": [{"paths": ["/ok"]}]},
                        {"id": "d", "effect": "deny", "to": [{"methods": ["DELETE"]}]}]},
             {"name": "shadow2", "target": "\(Fixture.orders)", "mode": "dry-run", "rules": [{"id": "x", "effect": "deny"}]}]
            """)
        let delete = Fixture.decide(set, method: "DELETE", path: "/ok")
        #expect(delete.effect == .allow && delete.rule == "all")
        #expect(delete.dryRun == [DryRunResult(policy: "shadow", rule: "d", effect: .deny),
            DryRunResult(policy: "shadow2", rule: "x", effect: .deny)])
        let get = Fixture.decide(set, method: "GET", path: "/ok")
        #expect(get.dryRun.first == DryRunResult(policy: "shadow", rule: "a", effect: .allow))
        let onlyShadow = Fixture.rules(#"[{"effect": "allow"}]"#, mode: "dry-run")
        let decision = Fixture.decide(onlyShadow)
        #expect(decision.effect == .deny && decision.rule == nil && decision.dryRun.count == 1)
    }

    @Test("a table resolves a peer once and decides many requests")
    func peerView() {
        let set = Fixture.rules(#"[{"effect": "allow", "from": [{"principals": ["\#(Fixture.frontend)"]}], "to": [{"methods": ["GET"]}]}]"#)
        let table = DecisionTable(compiling: set, target: Fixture.orders)
        let peer = table.resolve(ConnectionFacts(principal: Fixture.frontend))
        #expect(table.decide(RequestFacts(method: "GET", path: "/a"), peer: peer).isAllowed)
        #expect(!table.decide(RequestFacts(method: "PUT", path: "/a"), peer: peer).isAllowed)
        let stranger = table.resolve(ConnectionFacts(principal: Fixture.admin))
        #expect(stranger.candidateCount == 0)
        #expect(!table.decide(RequestFacts(method: "GET", path: "/a"), peer: stranger).isAllowed)
    }

    @Test("explain names the closest rule and the field that did not match")
    func explain() {
        let set = Fixture.rules(#"[{"id": "reads", "effect": "allow", "to": [{"methods": ["GET"], "paths": ["/orders/{*}"]}]}]"#)
        let explanation = Explanation(set: set, target: Fixture.orders,
            request: RequestFacts(method: "DELETE", path: "/orders/1"), connection: ConnectionFacts(principal: Fixture.frontend))
        #expect(explanation.decision == .defaultDeny)
        #expect(explanation.closest.first?.rule == "reads")
        #expect(explanation.closest.first?.mismatches == [#"to[0].methods: "DELETE" is not one of GET"#])
    }
}
