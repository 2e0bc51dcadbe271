import Foundation
import Testing
import WardJSON

/// `--protocol tcp`: whole connections authorized by peer identity, bytes forwarded both ways.
@Suite("ward proxy: tcp", .serialized)
struct ProxyTCPTests {
    @Test func authorizesConnectionsByPeerOnly() throws {
        let policy = """
            {"name": "db", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
              {"id": "worker", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/batch/sa/worker"]}]},
              {"id": "frontend-paths", "effect": "allow",
               "from": [{"principals": ["spiffe://example.org/ns/shop/sa/frontend"]}], "to": [{"paths": ["/x"]}]}]}
            """
        let harness = try ProxyHarness(policy: policy, extraArgs: ["--protocol", "tcp"])
        defer { harness.stop() }
        // The upstream speaks HTTP; in TCP mode the proxy just carries the bytes.
        let allowed = harness.curl(as: "ns/batch/sa/worker", "/anything")
        #expect(allowed.status == 200)
        #expect(try JSONValue.parse(allowed.body)["path"] == .string("/anything"))
        // A rule with `to` cannot allow a raw connection.
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/x").status == 0)
        #expect(harness.curl(as: "ns/shop/sa/payments", "/x").status == 0)
        // Big transfer through the glue.
        let big = harness.curl(as: "ns/batch/sa/worker", "/big/\(64 << 20)", ["-o", "/dev/null"])
        #expect(big.downloaded == 64 << 20)
        let log = harness.accessLog(waitFor: 3)
        #expect(log.contains { $0["method"] == .string("TCP") && $0["decision"] == .string("deny") })
        #expect(harness.metric("ward_connections_denied_total") == 2)
    }
}
