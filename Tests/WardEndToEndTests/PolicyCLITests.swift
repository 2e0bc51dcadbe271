import Foundation
import Testing
import WardJSON

/// `ward policy …` run as a real process.
@Suite("ward policy CLI")
struct PolicyCLITests {
    /// The package root (…/Tests/WardEndToEndTests/PolicyCLITests.swift minus three components).
    static var root: String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static let orders = "spiffe://example.org/ns/shop/sa/orders"
    static let frontend = "spiffe://example.org/ns/shop/sa/frontend"

    func write(_ files: [String: String]) throws -> String {
        let dir = try WardProcess.temporaryDirectory("ward-policy")
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test("policy test passes on the shipped examples")
    func shippedExamples() throws {
        let result = try WardProcess.ward(["policy", "test", "policies"], cwd: Self.root)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 failed"))
        #expect(!result.stdout.contains("FAIL"))
        let check = try WardProcess.ward(["policy", "check", "policies"], cwd: Self.root)
        #expect(check.status == 0)
        #expect(check.stdout.contains("0 errors, 0 warnings"))
    }

    @Test("check reports each error on one line with file and location, exit 1; --json has codes")
    func checkErrors() throws {
        let dir = try write(["orders.json": """
            [{"name": "orders", "target": "\(Self.orders)", "rules": [
              {"effect": "allow", "to": [{"methods": ["get"]}]},
              {"effect": "allow", "to": [{"paths": ["/a"], "port": [80]}]}]}]
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try WardProcess.ward(["policy", "check", dir])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0 == "\(dir)/orders.json: [0].rules[0].to[0].methods[0]: \"get\" is not an HTTP method; methods are upper case, e.g. \"GET\"" })
        #expect(lines.contains { $0.hasPrefix("\(dir)/orders.json: [0].rules[1].to[0].port: unknown field \"port\"") })
        let json = try WardProcess.ward(["policy", "check", dir, "--json"])
        #expect(json.status == 1)
        let parsed = try JSONValue.parse(json.stdout)
        #expect(parsed["ok"] == .bool(false))
        #expect(parsed["errors"] == .int(2))
        #expect(parsed["diagnostics"]?.arrayValue?.map { $0["code"]?.stringValue ?? "" } == ["policy.method.case", "policy.field.unknown"])
    }

    @Test("compile writes a verified table; eval gives the same answers from DIR and --table; tampering is refused")
    func compileAndEval() throws {
        let dir = try WardProcess.temporaryDirectory("ward-policy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = dir + "/orders.table.json"
        let compile = try WardProcess.ward(["policy", "compile", "policies", "--target", Self.orders, "-o", table], cwd: Self.root)
        #expect(compile.status == 0, "\(compile.stderr)")
        #expect(compile.stdout.contains("sha256"))
        let again = try WardProcess.ward(["policy", "compile", "policies", "--target", Self.orders, "-o", table + "2"], cwd: Self.root)
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: table, encoding: .utf8) == String(contentsOfFile: table + "2", encoding: .utf8))

        let requests = [
            #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/orders/7", "port": 8080}"#,
            #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "DELETE", "path": "/orders/7", "port": 8080}"#,
            #"{"target": "\#(Self.orders)", "principal": "spiffe://example.org/ns/shop/sa/admin", "method": "GET", "path": "/orders/../orders/export"}"#,
            #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/orders%2F7"}"#,
        ]
        let file = dir + "/requests.jsonl"
        try (requests.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let fromDir = try WardProcess.ward(["policy", "eval", "policies", "--requests", file], cwd: Self.root)
        let fromTable = try WardProcess.ward(["policy", "eval", "--table", table, "--requests", file])
        #expect(fromDir.status == 0 && fromTable.status == 0, "\(fromDir.stderr)\(fromTable.stderr)")
        #expect(fromDir.stdout == fromTable.stdout)
        let lines = fromDir.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == #"{"decision":"allow","policy":"orders","rule":"frontend-reads","dryRun":[]}"#)
        #expect(lines[1] == #"{"decision":"deny","policy":null,"rule":null,"dryRun":[]}"#)
        #expect(lines[2] == #"{"decision":"deny","policy":"orders","rule":"no-bulk-export","dryRun":[]}"#)
        #expect(lines[3].hasPrefix(#"{"decision":"deny","policy":null,"rule":null,"dryRun":[],"error":"bad request: encoded"#))

        let otherTarget = #"{"target": "spiffe://example.org/ns/shop/sa/payments", "principal": "\#(Self.orders)", "method": "POST", "path": "/payments/charge"}"#
        let narrowed = try WardProcess.ward(["policy", "eval", "--table", table, "--request", otherTarget])
        #expect(narrowed.status == 1)
        #expect(narrowed.stderr.contains("compiled for \(Self.orders) only"))

        let text = try String(contentsOfFile: table, encoding: .utf8)
        try text.replacingOccurrences(of: "frontend-reads", with: "frontend-readz").write(toFile: table, atomically: true, encoding: .utf8)
        let tampered = try WardProcess.ward(["policy", "eval", "--table", table, "--request", requests[0]])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("content hash mismatch"))
    }

    @Test("eval reports dry-run results beside the decision")
    func evalDryRun() throws {
        let request = #"{"target": "spiffe://example.org/ns/shop/sa/payments", "principal": "\#(Self.orders)", "method": "POST", "path": "/payments/charge", "host": "payments.shop.svc"}"#
        let result = try WardProcess.ward(["policy", "eval", "policies", "--request", request], cwd: Self.root)
        #expect(result.status == 0)
        #expect(result.stdout == #"{"decision":"allow","policy":"payments","rule":"orders-charges","dryRun":[{"policy":"payments-require-request-id","rule":"missing-request-id","decision":"deny"}]}"# + "\n")
    }

    @Test("explain names the closest rule and the field that did not match")
    func explain() throws {
        let request = #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "DELETE", "path": "/orders/7", "port": 8080}"#
        let result = try WardProcess.ward(["policy", "explain", "policies", "--request", request], cwd: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("DENY: default deny"))
        #expect(result.stdout.contains(#"closest: policy "orders" rule "frontend-reads""#))
        #expect(result.stdout.contains(#"to[0].methods: "DELETE" is not one of GET"#))
    }

    @Test("test reports failures like a test runner and exits 1")
    func failingTest() throws {
        let dir = try write([
            "p.json": #"{"name": "p", "target": "\#(Self.orders)", "rules": [{"id": "reads", "effect": "allow", "to": [{"methods": ["GET"]}]}]}"#,
            "p.test.json": #"{"cases": [{"name": "get", "request": {"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/"}, "expect": "allow", "rule": "reads"}, {"name": "put", "request": {"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "PUT", "path": "/"}, "expect": "allow"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try WardProcess.ward(["policy", "test", dir])
        #expect(result.status == 1)
        #expect(result.stdout.contains("PASS \(dir)/p.test.json: get"))
        #expect(result.stdout.contains("FAIL \(dir)/p.test.json: put: expected allow, got deny (default deny: no rule matched)"))
        #expect(result.stdout.contains("2 cases: 1 passed, 1 failed"))
    }

    @Test("bench --json reports the required fields")
    func bench() throws {
        let dir = try WardProcess.temporaryDirectory("ward-policy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/r.jsonl"
        try #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/orders/7", "port": 8080}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try WardProcess.ward(["policy", "bench", "policies", "--requests", file, "--json", "--samples", "1000"], cwd: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue.parse(result.stdout)
        for key in ["rules", "decisions", "decisions_per_second", "p50_ns", "p99_ns"] {
            #expect(json[key]?.intValue != nil, "\(key) missing in \(result.stdout)")
        }
        #expect(json["allowed"] == .int(1))
    }

    @Test("bench --per-request names each timed request by its place in the file, bad ones counted")
    func benchPerRequest() throws {
        let dir = try WardProcess.temporaryDirectory("ward-policy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/r.jsonl"
        let good = #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/orders/7"}"#
        let bad = #"{"target": "\#(Self.orders)", "principal": "\#(Self.frontend)", "method": "GET", "path": "/a%2Fb"}"#
        try [good, bad, good].joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir + "/per-request.jsonl"
        let result = try WardProcess.ward(
            ["policy", "bench", "policies", "--requests", file, "--samples", "100", "--per-request", out], cwd: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let positions = try lines.map { try JSONValue.parse(String($0))["request"]?.intValue }
        #expect(positions == [0, 2])
    }

    @Test("usage errors are one line on stderr with exit 1")
    func usageErrors() throws {
        let noSource = try WardProcess.ward(["policy", "eval", "--request", "{}"])
        #expect(noSource.status == 1)
        let badRequest = try WardProcess.ward(["policy", "eval", "policies", "--request", #"{"target": "x"}"#], cwd: Self.root)
        #expect(badRequest.status == 1)
        #expect(badRequest.stderr == "ward: error: --request: request field \"principal\" is required\n")
        let missing = try WardProcess.ward(["policy", "check", "/nonexistent/dir"])
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
