import Foundation
import Testing
import WardJSON

/// `ward proxy` against curl and Python with real SVIDs: who gets in, what the upstream sees, and that path tricks
/// cannot reach a denied path.
@Suite("ward proxy: authorization", .serialized)
struct ProxyAuthorizationTests {
    @Test func allowedAndDeniedIdentities() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/42").status == 200)
        #expect(harness.curl(as: "ns/shop/sa/admin", "/anything", ["-X", "DELETE"]).status == 200)
        let denied = harness.curl(as: "ns/shop/sa/payments", "/orders/42")
        #expect(denied.status == 403)
        #expect(denied.body.hasPrefix("access denied"))
        #expect(!denied.body.contains("orders"), "the 403 body must not name the policy")
        // Method outside the rule: denied.
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/42", ["-X", "POST", "-d", "x"]).status == 403)
        // No client certificate: no TLS session at all.
        #expect(harness.curl(as: nil, "/orders/42").status == 0)

        let log = harness.accessLog(waitFor: 4)
        let deny = try #require(log.first { $0["peer"]?.stringValue?.hasSuffix("payments") == true })
        #expect(deny["decision"] == .string("deny"))
        #expect(deny["status"] == .int(403))
        #expect(deny["policy"] == .null)  // default deny
        #expect(deny["bytes_out"] == .int(Int64("access denied\n".utf8.count)))  // the local answer's body is counted
        let allow = try #require(log.first { $0["path"] == .string("/orders/42") && $0["status"] == .int(200) })
        #expect(allow["policy"] == .string("orders"))
        #expect(allow["rule"] == .string("frontend-reads"))
        #expect(allow["peer"] == .string("spiffe://example.org/ns/shop/sa/frontend"))
        #expect((allow["bytes_out"]?.intValue ?? 0) > 0)
    }

    @Test func foreignTrustDomainCannotConnect() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let other = try TestPKI.make(in: harness.directory + "/evil", trustDomain: "evil.org", ids: ["ns/shop/sa/frontend"])
        let result = try WardProcess.run(
            "curl",
            ["-sS", "--cacert", harness.pki.bundle, "--cert", other.cert("ns/shop/sa/frontend"), "--key",
             other.key("ns/shop/sa/frontend"), "-o", "/dev/null", "-w", "%{http_code}",
             "https://localhost:\(harness.port)/orders/1"])
        #expect(result.stdout == "000")
        #expect(harness.metric(#"ward_tls_handshake_failures_total{reason="peer_rejected"}"#) >= 1)
    }

    @Test func upstreamSeesNormalizedPathAndForwardedClientCert() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let response = harness.curl(
            as: "ns/shop/sa/frontend", "/orders/./a//b/../c?q=1",
            ["-H", "x-forwarded-client-cert: By=spiffe://forged;URI=spiffe://example.org/ns/shop/sa/admin",
             "-H", "Connection: keep-alive, x-hop", "-H", "x-hop: secret", "-H", "Keep-Alive: timeout=5"])
        #expect(response.status == 200)
        let echoed = try JSONValue.parse(response.body)
        #expect(echoed["path"] == .string("/orders/a/c?q=1"))
        let headers = echoed["headers"]?.arrayValue?.compactMap { pair -> (String, String)? in
            guard let items = pair.arrayValue, items.count == 2 else { return nil }
            return (items[0].stringValue ?? "", items[1].stringValue ?? "")
        } ?? []
        let xfcc = headers.filter { $0.0 == "x-forwarded-client-cert" }.map(\.1)
        #expect(xfcc.count == 1)
        let value = try #require(xfcc.first)
        #expect(value.hasPrefix("By=spiffe://example.org/ns/shop/sa/orders;Hash="))
        #expect(value.hasSuffix(";URI=spiffe://example.org/ns/shop/sa/frontend"))
        // The hash is the SHA-256 of the frontend's leaf certificate (DER).
        let der = try WardProcess.run(
            "sh", ["-c", "openssl x509 -in \(harness.pki.cert("ns/shop/sa/frontend")) -outform DER | sha256sum"])
        #expect(value.contains("Hash=\(der.stdout.prefix(64));"))
        #expect(!headers.contains { $0.0 == "x-hop" || $0.0 == "keep-alive" })
    }

    @Test func deniedRequestLeavesTheConnectionUsable() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            """
            conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context())
            out = []
            for path in ["/admin", "/orders/1", "/admin/x", "/orders/2"]:
                conn.request("GET", path)
                r = conn.getresponse(); r.read()
                out.append(r.status)
            print(json.dumps({"statuses": out, "same_socket": conn.sock is not None}))
            """, as: "ns/shop/sa/frontend")
        #expect(result["statuses"] == [403, 200, 403, 200])
        #expect(result["same_socket"] == true)
    }

    /// The classic normalization bypasses (Istio/Envoy CVEs) against a deny on /admin: none may reach the
    /// upstream as /admin. `/ADMIN` is another path (paths are case-sensitive) and is forwarded as `/ADMIN`.
    @Test func pathNormalizationBypassAttemptsAreDeniedOrRejected() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let attempts: [(String, Set<Int>)] = [
            ("/admin", [403]), ("/public/../admin", [403]), ("//admin", [403]), ("/%61dmin", [403]),
            ("/admin%2F", [400]), ("/admin%2fx", [400]), ("/admin/", [403]), ("/./admin", [403]),
            ("/admin/x/..", [403]), ("/admin;x", [400]), ("/admin;/x", [400]), ("/admin?", [403]), ("/admin?x=1", [403]),
            ("/admin%5C", [400]), ("/admin%00", [400]), ("/a/%2e%2e/admin", [403]), ("/%2E%2E/admin", [403]),
        ]
        for (path, expected) in attempts {
            let response = harness.curl(as: "ns/shop/sa/admin", path)
            #expect(expected.contains(response.status), "\(path) gave \(response.status)")
            if response.status == 200 {
                // Forwarded: it must not be /admin or below it.
                let echoed = try JSONValue.parse(response.body)
                let forwarded = echoed["path"]?.stringValue ?? ""
                #expect(forwarded != "/admin" && !forwarded.hasPrefix("/admin/") && !forwarded.hasPrefix("/admin?"))
            }
        }
        // '#' never goes on the wire from curl; send it raw.
        let raw = try harness.python(
            """
            a = raw(b"GET /admin# HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            b = raw(b"GET /admin#/../orders HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            print(json.dumps([a[0], b[0]]))
            """)
        for status in raw.arrayValue ?? [] {
            let line = status.stringValue ?? ""
            #expect(line.contains(" 403 ") || line.contains(" 400 "), "got \(line)")
        }
        let upper = harness.curl(as: "ns/shop/sa/admin", "/ADMIN")
        #expect(upper.status == 200)
        #expect(try JSONValue.parse(upper.body)["path"] == .string("/ADMIN"))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            s = tls_context().wrap_socket(socket.create_connection((HOST, PORT)), server_hostname=HOST)
            s.settimeout(5)
            s.sendall(b"GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /orders/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while data.count(b"HTTP/1.1 ") < 3 or not data.endswith(b"}"):
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
            except socket.timeout:
                pass
            import re
            statuses = [m.decode() for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]
            paths = [p for p in ["/orders/1", "/orders/3"] if ('"path": "%s"' % p).encode() in data]
            print(json.dumps({"statuses": statuses, "paths": paths, "order": data.find(b"/orders/1") < data.find(b"/orders/3")}))
            """#, as: "ns/shop/sa/frontend")
        #expect(result["statuses"] == ["200", "403", "200"])
        #expect(result["paths"] == ["/orders/1", "/orders/3"])
        #expect(result["order"] == true)
    }

    @Test func expectContinueIsAnsweredByTheProxy() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            def attempt(path, who):
                s = tls_context(CERTS[who][0], CERTS[who][1]).wrap_socket(socket.create_connection((HOST, PORT)), server_hostname=HOST)
                s.settimeout(3)
                s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n" % path).encode())
                first = s.recv(65536).split(b"\r\n")[0].decode()
                final = ""
                if " 100 " in first:
                    s.sendall(b"hello")
                    data = b""
                    while b"}" not in data:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                    final = data.split(b"\r\n")[0].decode()
                    body = data.split(b"\r\n\r\n", 1)[1]
                    return [first, final, json.loads(body)["body_bytes"]]
                return [first, final, None]
            print(json.dumps({"allowed": attempt("/upload", "worker"), "denied": attempt("/admin", "worker")}))
            """#.replacingOccurrences(
                of: "def attempt",
                with: "CERTS = {\"worker\": (\"\(harness.pki.cert("ns/batch/sa/worker"))\", \"\(harness.pki.key("ns/batch/sa/worker"))\")}\ndef attempt"))
        #expect(result["allowed"] == ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK", 5])
        #expect(result["denied"]?.arrayValue?.first?.stringValue?.hasPrefix("HTTP/1.1 403") == true)
    }

    @Test func dryRunOutcomesAreLoggedButNotEnforced() throws {
        let policy = String(ProxyHarness.defaultPolicy.dropLast()) + """
            , {"name": "shadow", "target": "spiffe://example.org/ns/shop/sa/orders", "mode": "dry-run", "rules": [
              {"id": "would-deny-frontend", "effect": "deny",
               "from": [{"principals": ["spiffe://example.org/ns/shop/sa/frontend"]}]}]}]
            """
        let harness = try ProxyHarness(policy: policy)
        defer { harness.stop() }
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1").status == 200)
        let line = try #require(harness.accessLog().last)
        #expect(line["decision"] == "allow")
        let dryRun = try #require(line["dryRun"]?.arrayValue?.first)
        #expect(dryRun["policy"] == "shadow")
        #expect(dryRun["rule"] == "would-deny-frontend")
        #expect(dryRun["decision"] == "deny")
    }

    @Test func debugDecisionsNamesTheRule() throws {
        let harness = try ProxyHarness(extraArgs: ["--debug-decisions"])
        defer { harness.stop() }
        let response = harness.curl(as: "ns/shop/sa/admin", "/admin/x")
        #expect(response.status == 403)
        #expect(response.body.contains("no-admin-paths"))
    }

    @Test func headRequestsCarryNoBody() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            """
            conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context())
            out = []
            for method in ["HEAD", "GET", "HEAD", "GET"]:
                conn.request(method, "/orders/1")
                r = conn.getresponse(); body = r.read()
                out.append([r.status, len(body)])
            print(json.dumps(out))
            """, as: "ns/shop/sa/frontend")
        let pairs = result.arrayValue ?? []
        #expect(pairs.count == 4)
        #expect(pairs[0] == [200, 0])
        #expect(pairs[1].arrayValue?.first == 200)
        #expect((pairs[1].arrayValue?.last?.intValue ?? 0) > 0)
        #expect(pairs[2] == [200, 0])
    }
}
