import Foundation
import WardJSON

extension DemoRun {
    /// The results for people: one row per request.
    func table(_ results: [DemoResult], keepFiles: Bool) -> String {
        var rows: [[String]] = [["caller", "request", "result", "decided by"]]
        for result in results {
            let caller = (result.request.foreignTrustDomain ? "evil.example/" : "") + result.request.caller
            var request = "\(result.request.method.rawValue) \(result.request.path)"
            if let decided = result.decidedPath, decided != result.request.path, result.decision != "invalid" {
                request += " (as \(decided))"
            }
            if !result.request.headers.isEmpty {
                request += " + " + result.request.headers.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
            }
            let outcome: String
            if let status = result.status {
                outcome = "\(status) \(status == 200 ? "allowed" : status == 403 ? "denied" : "refused")"
            } else {
                outcome = "no connection"
            }
            rows.append([caller, request, outcome, result.decidedBy])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = [
            "Ward demo: a throwaway CA for spiffe://\(Self.trustDomain), SVIDs for the shop's workloads, and the",
            "orders service behind `ward proxy` (mTLS on 127.0.0.1:\(port), policies from policies/).",
            "Every row is a real mTLS request from the named SPIFFE ID through the proxy.",
            "",
        ]
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                column == 3 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            lines.append("  " + cells.joined(separator: "  "))
            if index == 0 { lines.append("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("")
        lines.append(
            "Callers see only the status; the deciding rule is in the proxy's access log"
                + (keepFiles ? ": \(accessLogPath)" : " (keep it with --dir or --keep-running)."))
        return lines.joined(separator: "\n")
    }

    func json(_ results: [DemoResult]) -> JSONValue {
        [
            "trustDomain": .string(Self.trustDomain),
            "proxy": [
                "spiffeID": .string(serviceID.description), "listen": .string("127.0.0.1:\(port)"),
                "accessLog": .string(accessLogPath),
            ],
            "requests": .array(
                results.map { result in
                    var object = JSONObject([
                        (key: "caller", value: .string(
                            (result.request.foreignTrustDomain ? "spiffe://evil.example/" : "spiffe://\(Self.trustDomain)/")
                                + result.request.caller)),
                        (key: "method", value: .string(result.request.method.rawValue)),
                        (key: "path", value: .string(result.request.path)),
                        (key: "status", value: result.status.map { .int(Int64($0)) } ?? .null),
                        (key: "decision", value: result.decision.map(JSONValue.string) ?? .null),
                        (key: "policy", value: result.policy.map(JSONValue.string) ?? .null),
                        (key: "rule", value: result.rule.map(JSONValue.string) ?? .null),
                    ])
                    if let reason = result.reason { object["reason"] = .string(reason) }
                    if let decided = result.decidedPath { object["decidedPath"] = .string(decided) }
                    if let forwarded = result.forwardedPath { object["forwardedPath"] = .string(forwarded) }
                    if let error = result.error { object["error"] = .string(error) }
                    object["note"] = .string(result.request.note)
                    return .object(object)
                }),
        ]
    }

    /// Curl commands against the running demo.
    func tryItYourself() -> String {
        func curl(_ id: String, _ path: String, _ extra: String = "") -> String {
            let file = directory + "/" + Self.fileName(id)
            return "  curl --cacert \(directory)/bundle.pem --cert \(file).pem --key \(file).key \(extra)"
                + "https://localhost:\(port)\(path)"
        }
        let admin = server.adminAddress?.port ?? 0
        return """

            The proxy keeps running (Ctrl-C to stop). Try:
            \(curl("ns/shop/sa/frontend", "/orders/42"))
            \(curl("ns/shop/sa/payments", "/orders/42"))
            \(curl("ns/shop/sa/admin", "/orders/export", "-H 'x-export-approved: yes' "))
              curl http://127.0.0.1:\(admin)/metrics
              curl http://127.0.0.1:\(admin)/config
              tail -f \(accessLogPath)
            """
    }
}
