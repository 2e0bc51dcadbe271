import Foundation
import Testing
import WardJSON

#if canImport(Glibc)
import Glibc
#endif

/// `ward demo`, README's first command: real CA, real SVIDs, the shop policies, real mTLS requests.
@Suite("ward demo", .serialized)
struct DemoTests {
    /// The repository root (where `policies/` lives).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func jsonReportsEachDecisionWithItsRule() throws {
        let result = try WardProcess.ward(["demo", "--json"], cwd: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONValue.parse(result.stdout)
        let requests = try #require(report["requests"]?.arrayValue)
        #expect(requests.count >= 8)
        func find(_ caller: String, _ method: String, _ path: String) -> JSONValue? {
            requests.first {
                $0["caller"]?.stringValue?.hasSuffix(caller) == true && $0["method"]?.stringValue == method
                    && $0["path"]?.stringValue == path
            }
        }
        let read = try #require(find("example.org/ns/shop/sa/frontend", "GET", "/orders/42"))
        #expect(read["status"] == 200)
        #expect(read["rule"] == "frontend-reads")
        #expect(read["forwardedPath"] == "/orders/42")
        let payments = try #require(find("ns/shop/sa/payments", "GET", "/orders/42"))
        #expect(payments["status"] == 403)
        #expect(payments["decision"] == "deny")
        #expect(payments["policy"] == .null)
        let traversal = try #require(find("ns/shop/sa/frontend", "GET", "/orders/42/../export"))
        #expect(traversal["status"] == 403)
        #expect(traversal["rule"] == "no-bulk-export")
        #expect(traversal["decidedPath"] == "/orders/export")
        let foreign = try #require(requests.first { $0["caller"]?.stringValue?.hasPrefix("spiffe://evil.example/") == true })
        #expect(foreign["status"] == .null)
        #expect(foreign["error"]?.stringValue?.contains("TLS") == true)
        #expect(requests.contains { $0["status"] == 400 })
    }

    @Test func tableForPeople() throws {
        let result = try WardProcess.ward(["demo"], cwd: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("orders / frontend-reads"))
        #expect(result.stdout.contains("default deny"))
        #expect(result.stdout.contains("403 denied"))
    }

    @Test func keepRunningPrintsWorkingCurlCommands() throws {
        let dir = try WardProcess.temporaryDirectory("ward-demo-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Run from the repository root so the default policies/ is found.
        let process = try BackgroundProcess(
            "/bin/sh", ["-c", "cd '\(Self.root)' && exec '\(WardProcess.wardPath)' demo --keep-running"],
            logDirectory: dir, name: "demo")
        defer { process.kill() }
        var commands: [String] = []
        for _ in 0..<200 {
            commands = process.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("curl --cacert") }
            if commands.count >= 2 { break }
            usleep(50_000)
        }
        #expect(commands.count >= 2, "\(process.stdout)\(process.stderr)")
        let allowed = try WardProcess.run("sh", ["-c", commands[0] + " -sS -w '\\n%{http_code}'"])
        #expect(allowed.stdout.hasSuffix("200"), "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains("URI=spiffe://example.org/ns/shop/sa/frontend"))
        let denied = try WardProcess.run("sh", ["-c", commands[1] + " -sS -w '\\n%{http_code}'"])
        #expect(denied.stdout.hasSuffix("403"))
        process.signal(SIGINT)
        #expect(process.waitForExit(timeout: 10) == 0)
    }
}
