import Foundation
import Testing
import WardPolicy

@Suite("On-disk table")
struct CompiledPoliciesTests {
    static let set = Fixture.set("""
        [{"name": "orders", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
            {"id": "reads", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/shop/*"]}],
             "to": [{"methods": ["GET"], "paths": ["/orders/{*}", "/orders"], "hosts": ["*.example.org"]}]},
            {"effect": "deny", "to": [{"paths": ["/orders/export*"]}], "when": [{"key": "request.headers[x-ok]", "notValues": ["yes"]}]}]},
         {"name": "shadow", "target": ["spiffe://example.org/ns/shop/*"], "mode": "dry-run", "rules": [
            {"effect": "deny", "from": [{"ipBlocks": ["10.0.0.0/8"]}]}]},
         {"name": "elsewhere", "target": "spiffe://example.org/ns/other/sa/x", "rules": [{"effect": "allow"}]}]
        """)

    @Test("write, load, same decisions; deterministic bytes and hash")
    func roundTrip() throws {
        let compiled = CompiledPolicies(set: Self.set)
        let text = compiled.serialized
        #expect(CompiledPolicies(set: Self.set).serialized == text)
        let loaded = try CompiledPolicies.load(bytes: Array(text.utf8), source: "table.json")
        #expect(loaded.sha256 == compiled.sha256)
        #expect(loaded.serialized == text)
        let target = "spiffe://example.org/ns/shop/sa/orders"
        let before = compiled.table(for: target)
        let after = loaded.table(for: target)
        let principals = ["spiffe://example.org/ns/shop/sa/frontend", "spiffe://example.org/ns/web/sa/x"]
        let paths = ["/orders", "/orders/1", "/orders/export.csv", "/orders/1/x", "/"]
        for principal in principals {
            for path in paths {
                for method in ["GET", "POST"] {
                    for ip in ["10.1.1.1", "192.0.2.1"] {
                        for headers in [[], [(name: "x-ok", value: "yes")]] {
                            let request = RequestFacts(method: method, path: path, host: "orders.example.org", headers: headers)
                            let connection = ConnectionFacts(principal: principal, sourceIP: IPAddress(ip))
                            #expect(before.decide(request, connection: connection) == after.decide(request, connection: connection))
                        }
                    }
                }
            }
        }
        // Decisions include the generated rule id and the dry-run report.
        let exported = after.decide(RequestFacts(method: "GET", path: "/orders/export.csv"),
            connection: ConnectionFacts(principal: principals[0], sourceIP: IPAddress("10.0.0.1")))
        #expect(exported == Decision(effect: .deny, policy: "orders", rule: "rules[1]",
            dryRun: [DryRunResult(policy: "shadow", rule: "rules[0]", effect: .deny)]))
    }

    @Test("narrowing to a target keeps only its policies")
    func narrowed() throws {
        let compiled = CompiledPolicies(set: Self.set, target: "spiffe://example.org/ns/other/sa/x")
        #expect(compiled.set.policies.map(\.name) == ["elsewhere"])
        let loaded = try CompiledPolicies.load(bytes: Array(compiled.serialized.utf8), source: "t.json")
        #expect(loaded.target == "spiffe://example.org/ns/other/sa/x")
        #expect(loaded.sha256 != CompiledPolicies(set: Self.set).sha256)
    }

    @Test("an edited file fails the hash check; other damage is refused with a reason")
    func tamper() {
        let text = CompiledPolicies(set: Self.set).serialized
        let edited = text.replacingOccurrences(of: "\"GET\"", with: "\"POST\"")
        #expect(edited != text)
        do {
            _ = try CompiledPolicies.load(bytes: Array(edited.utf8), source: "t.json")
            Issue.record("tampered table loaded")
        } catch {
            #expect(error.code == "table.hash")
        }
        for (broken, code) in [("{}", "table.format"), ("[", "table.json"),
            (text.replacingOccurrences(of: "\"GET\"", with: "\"get\""), "table.invalid")]
        {
            do {
                _ = try CompiledPolicies.load(bytes: Array(broken.utf8), source: "t.json")
                Issue.record("broken table loaded")
            } catch {
                #expect(error.code == code)
            }
        }
    }

    @Test("the table prints for people in decision order")
    func printable() {
        let table = CompiledPolicies(set: Self.set).table(for: "spiffe://example.org/ns/shop/sa/orders")
        let text = table.description
        let deny = text.range(of: "deny orders/rules[1]")
        let allow = text.range(of: "allow orders/reads")
        let dry = text.range(of: "deny shadow/rules[0]")
        #expect(deny != nil && allow != nil && dry != nil)
        if let deny, let allow, let dry { #expect(deny.lowerBound < allow.lowerBound && allow.lowerBound < dry.lowerBound) }
        #expect(text.contains("otherwise: deny (default)"))
    }
}
