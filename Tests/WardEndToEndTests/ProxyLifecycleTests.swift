import Foundation
import Testing
import WardJSON

#if canImport(Glibc)
import Glibc
#endif

/// Reload, drain, metrics, admin and configuration errors of a real `ward proxy` process.
@Suite("ward proxy: operating it", .serialized)
struct ProxyLifecycleTests {
    /// A Python load generator: keep-alive and fresh connections in threads for `seconds`; counts statuses.
    static let load = """
        import collections
        results = collections.Counter()
        stop = time.time() + SECONDS
        def worker(fresh):
            conn = None
            while time.time() < stop:
                try:
                    if conn is None or fresh:
                        conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context(), timeout=10)
                    conn.request("GET", "/orders/1")
                    r = conn.getresponse(); r.read()
                    results[str(r.status)] += 1
                    if fresh: conn.close()
                except Exception as e:
                    results[type(e).__name__] += 1
                    conn = None
        threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(4)]
        [t.start() for t in threads]; [t.join() for t in threads]
        print(json.dumps(results))
        """

    private func runLoad(_ harness: ProxyHarness, seconds: Double, during change: @escaping @Sendable () throws -> Void)
        throws -> [String: Int]
    {
        nonisolated(unsafe) var outcome: Result<JSONValue, Error>?
        let thread = Thread {
            outcome = Result { try harness.python("SECONDS = \(seconds)\n" + Self.load, as: "ns/shop/sa/frontend") }
        }
        thread.start()
        usleep(UInt32(seconds * 300_000))
        try change()
        while outcome == nil { usleep(50_000) }
        let counts = try outcome!.get().objectValue?.members ?? []
        return Dictionary(uniqueKeysWithValues: counts.map { ($0.key, Int($0.value.intValue ?? 0)) })
    }

    @Test func reloadEachFileKindUnderLoadWithoutFailures() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let pki = harness.pki
        let id = ProxyHarness.proxyID
        let dir = harness.directory

        // 1. SVID and key: a new SVID written beside, then moved into place (cert and key as a pair).
        let svidCounts = try runLoad(harness, seconds: 3) {
            try pki.issue(id, into: "\(dir)/new-svid")
            _ = rename("\(dir)/new-svid.key", pki.key(id))
            _ = rename("\(dir)/new-svid.pem", pki.cert(id))
        }
        #expect(svidCounts.keys.sorted() == ["200"], "\(svidCounts)")
        #expect(harness.metric(#"ward_reloads_total{result="success"}"#) >= 1)

        // 2. Bundle: the same CA plus another one.
        let other = try TestPKI.make(in: dir + "/other", trustDomain: "example.org", ids: [])
        let bundleCounts = try runLoad(harness, seconds: 3) {
            let combined = try String(contentsOfFile: pki.bundle, encoding: .utf8)
                + String(contentsOfFile: other.bundle, encoding: .utf8)
            try combined.write(toFile: pki.bundle + ".new", atomically: true, encoding: .utf8)
            _ = rename(pki.bundle + ".new", pki.bundle)
        }
        #expect(bundleCounts.keys.sorted() == ["200"], "\(bundleCounts)")

        // 3. Policies: a new file that adds a rule (the load's requests stay allowed).
        let before = harness.metric(#"ward_reloads_total{result="success"}"#)
        let policyCounts = try runLoad(harness, seconds: 3) {
            try """
            {"name": "extra", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
              {"id": "payments-status", "effect": "allow",
               "from": [{"principals": ["spiffe://example.org/ns/shop/sa/payments"]}],
               "to": [{"methods": ["GET"], "paths": ["/orders/1"]}]}]}
            """.write(toFile: harness.policyDirectory + "/extra.json", atomically: true, encoding: .utf8)
        }
        #expect(policyCounts.keys.sorted() == ["200"], "\(policyCounts)")
        #expect(harness.metric(#"ward_reloads_total{result="success"}"#) > before)
        #expect(harness.curl(as: "ns/shop/sa/payments", "/orders/1").status == 200)
    }

    @Test func compiledTableIsLoadedAndReloaded() throws {
        let dir = try WardProcess.temporaryDirectory("ward-proxy-table")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/src", withIntermediateDirectories: true)
        try ProxyHarness.defaultPolicy.write(toFile: dir + "/src/orders.json", atomically: true, encoding: .utf8)
        let target = "spiffe://example.org/ns/shop/sa/orders"
        let compiled = try WardProcess.ward(["policy", "compile", dir + "/src", "--target", target, "-o", dir + "/table.json"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let harness = try ProxyHarness(extraArgs: ["--table", dir + "/table.json"])
        defer { harness.stop() }
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1").status == 200)
        #expect(harness.curl(as: "ns/shop/sa/payments", "/orders/1").status == 403)
        let hash = try JSONValue.parse(harness.admin("/config").body)["policy"]?["hash"]
        // Recompile with payments allowed: the table file changes on disk and the proxy picks it up.
        try ProxyHarness.defaultPolicy.replacingOccurrences(of: "ns/shop/sa/admin\"]}]}", with: "ns/shop/sa/admin\", \"spiffe://example.org/ns/shop/sa/payments\"]}]}")
            .write(toFile: dir + "/src/orders.json", atomically: true, encoding: .utf8)
        let recompiled = try WardProcess.ward(
            ["policy", "compile", dir + "/src", "--target", target, "-o", dir + "/table.json.new"])
        #expect(recompiled.status == 0, "\(recompiled.stderr)")
        _ = rename(dir + "/table.json.new", dir + "/table.json")
        var status = 0
        for _ in 0..<40 {
            status = harness.curl(as: "ns/shop/sa/payments", "/orders/1").status
            if status == 200 { break }
            usleep(100_000)
        }
        #expect(status == 200)
        #expect(try JSONValue.parse(harness.admin("/config").body)["policy"]?["hash"] != hash)
        // A damaged table is refused; the running one stays.
        try "{\"format\": \"ward-policy-table/1\"}".write(toFile: dir + "/table.json", atomically: true, encoding: .utf8)
        usleep(800_000)
        #expect(harness.curl(as: "ns/shop/sa/payments", "/orders/1").status == 200)
        #expect(harness.metric(#"ward_reloads_total{result="failure"}"#) >= 1)
    }

    @Test func policyDeletionRevokesOnOpenConnections() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            """
            conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context())
            conn.request("GET", "/orders/1"); r = conn.getresponse(); r.read(); first = r.status
            open(POLICY, "w").write(json.dumps([{"name": "orders", "target": "spiffe://example.org/ns/shop/sa/orders",
                "rules": [{"id": "admin-only", "effect": "allow",
                           "from": [{"principals": ["spiffe://example.org/ns/shop/sa/admin"]}]}]}]))
            statuses = []
            for i in range(40):
                time.sleep(0.1)
                conn.request("GET", "/orders/1"); r = conn.getresponse(); r.read()
                statuses.append(r.status)
                if r.status == 403: break
            print(json.dumps({"first": first, "last": statuses[-1], "same_connection": conn.sock is not None}))
            """.replacingOccurrences(of: "POLICY", with: "\"\(harness.policyDirectory)/orders.json\""),
            as: "ns/shop/sa/frontend")
        #expect(result["first"] == 200)
        #expect(result["last"] == 403)
        #expect(result["same_connection"] == true)
    }

    @Test func brokenChangesKeepTheRunningConfiguration() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let failuresBefore = harness.metric(#"ward_reloads_total{result="failure"}"#)
        try "{ not json".write(toFile: harness.policyDirectory + "/broken.json", atomically: true, encoding: .utf8)
        harness.proxy?.signal(SIGHUP)
        usleep(800_000)
        #expect(harness.metric(#"ward_reloads_total{result="failure"}"#) > failuresBefore)
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1").status == 200)
        #expect(harness.curl(as: "ns/shop/sa/payments", "/orders/1").status == 403)
        #expect(harness.proxy?.stderr.contains("reload failed") == true)
        // A key that does not match the SVID: refused, old identity stays.
        try harness.pki.issue("ns/other/sa/x", into: harness.directory + "/mismatch")
        try FileManager.default.removeItem(atPath: harness.policyDirectory + "/broken.json")
        let keyPath = harness.pki.key(ProxyHarness.proxyID)
        _ = rename(harness.directory + "/mismatch.key", keyPath)
        usleep(800_000)
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1").status == 200)
        let config = try JSONValue.parse(harness.admin("/config").body)
        #expect(config["identity"]?["spiffeID"] == .string("spiffe://example.org/ns/shop/sa/orders"))
        #expect(config["lastReloadError"]?.stringValue?.isEmpty == false)
    }

    @Test func sigtermDrainsInFlightRequestsAndExitsZero() throws {
        let harness = try ProxyHarness(extraArgs: ["--drain-timeout", "5"])
        defer { harness.stop() }
        nonisolated(unsafe) var slow: ProxyHarness.Response?
        let thread = Thread { slow = harness.curl(as: "ns/shop/sa/frontend", "/slow", ["-H", "x-delay: 2"]) }
        thread.start()
        usleep(700_000)
        harness.proxy?.signal(SIGTERM)
        usleep(300_000)
        // No longer accepting.
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1", timeout: 2).status == 0)
        let status = harness.proxy?.waitForExit(timeout: 10)
        #expect(status == 0)
        while slow == nil { usleep(50_000) }
        #expect(slow?.status == 200, "the in-flight request must complete: \(slow?.body ?? "")")
    }

    @Test func metricsMoveAndAdminEndpointsAnswer() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        #expect(harness.admin("/healthz").status == 200)
        #expect(harness.admin("/readyz").status == 200)
        let allowBefore = harness.metric(#"ward_requests_total{decision="allow",status="200"}"#)
        for _ in 0..<3 { _ = harness.curl(as: "ns/shop/sa/frontend", "/orders/1") }
        _ = harness.curl(as: "ns/shop/sa/payments", "/orders/1")
        _ = harness.curl(as: nil, "/orders/1")
        #expect(harness.metric(#"ward_requests_total{decision="allow",status="200"}"#) == allowBefore + 3)
        #expect(harness.metric(#"ward_requests_total{decision="deny",status="403"}"#) == 1)
        #expect(harness.metric("ward_connections_total") >= 4)
        let failures = harness.admin("/metrics").body.split(separator: "\n")
            .filter { $0.hasPrefix("ward_tls_handshake_failures_total{") }
        #expect(!failures.isEmpty)
        #expect(harness.metric("ward_svid_expiry_timestamp_seconds") > Date().timeIntervalSince1970)
        #expect(harness.metric("ward_policy_rules") == 4)
        #expect(harness.admin("/metrics").body.contains("ward_request_duration_seconds_bucket"))
        let config = try JSONValue.parse(harness.admin("/config").body)
        #expect(config["identity"]?["spiffeID"] == .string("spiffe://example.org/ns/shop/sa/orders"))
        #expect(config["policy"]?["hash"]?.stringValue?.count == 64)
        #expect(config["listeners"]?.arrayValue?.count == 2)
        #expect(!harness.admin("/config").body.contains("PRIVATE KEY"))
    }

    @Test func configErrorsNameTheKey() throws {
        let dir = try WardProcess.temporaryDirectory("ward-proxy-config")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"upstream": "127.0.0.1:1", "listen": "127.0.0.1:0", "upstreamTimout": 3}"#
            .write(toFile: dir + "/proxy.json", atomically: true, encoding: .utf8)
        let result = try WardProcess.ward(["proxy", "--config", dir + "/proxy.json"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("upstreamTimout"))
        let missing = try WardProcess.ward(["proxy", "--upstream", "127.0.0.1:1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("svid"))
        // Identity that does not load: exit 1 naming the file, no crash.
        let pki = try TestPKI.make(in: dir + "/pki", trustDomain: "example.org", ids: ["a", "b"])
        try FileManager.default.createDirectory(atPath: dir + "/policies", withIntermediateDirectories: true)
        try ProxyHarness.defaultPolicy.write(toFile: dir + "/policies/p.json", atomically: true, encoding: .utf8)
        let mismatch = try WardProcess.ward(
            ["proxy", "--upstream", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--admin", "off", "--svid", pki.cert("a"),
             "--key", pki.key("b"), "--bundle", pki.bundle, "--policies", dir + "/policies"])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains(pki.key("b")), "\(mismatch.stderr)")
        #expect(!mismatch.stderr.contains("crashed"))
        // Invalid policies: exit 1 naming the file.
        try "[{\"name\": 1}]".write(toFile: dir + "/policies/p.json", atomically: true, encoding: .utf8)
        let badPolicy = try WardProcess.ward(
            ["proxy", "--upstream", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--admin", "off", "--svid", pki.cert("a"),
             "--key", pki.key("a"), "--bundle", pki.bundle, "--policies", dir + "/policies"])
        #expect(badPolicy.status == 1)
        #expect(badPolicy.stderr.contains("p.json"), "\(badPolicy.stderr)")
    }

    @Test func configFileRunsTheProxy() throws {
        // Every setting through a JSON file instead of flags.
        let harness = try ProxyHarness()
        defer { harness.stop() }
        harness.proxy?.stop()
        let port = try ProxyHarness.freePort()
        let admin = try ProxyHarness.freePort()
        let config = """
            {"listen": "127.0.0.1:\(port)", "upstream": "127.0.0.1:\(harness.upstreamPort)", "admin": "127.0.0.1:\(admin)",
             "svid": "pki/ns_shop_sa_orders.pem", "key": "pki/ns_shop_sa_orders.key", "bundle": "pki/ca.pem",
             "policies": "policies", "accessLog": "off", "threads": 1}
            """
        try config.write(toFile: harness.directory + "/proxy.json", atomically: true, encoding: .utf8)
        let process = try BackgroundProcess(
            WardProcess.wardPath, ["proxy", "--config", harness.directory + "/proxy.json"],
            logDirectory: harness.directory, name: "proxy-from-file")
        defer { process.stop() }
        harness.port = port
        harness.adminPort = admin
        for _ in 0..<100 where harness.admin("/readyz").status != 200 { usleep(50_000) }
        #expect(harness.curl(as: "ns/shop/sa/frontend", "/orders/1").status == 200)
    }
}
