import Foundation
import Testing
import WardJSON

/// Helpers for the CA and SVID end-to-end suites: a temp workspace, `ward` runs with expectations, and the
/// independent checkers (openssl, Python cryptography, py-spiffe, pkilint).
struct CAWorkspace {
    let dir: String

    init() throws { dir = try WardProcess.temporaryDirectory("ward-ca-e2e") }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> String { "\(dir)/\(name)" }

    /// Runs ward in the workspace and expects success.
    @discardableResult
    func ward(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try WardProcess.ward(args, cwd: dir)
        #expect(result.status == 0, "ward \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// Runs ward and expects exit status 1 with one stderr line containing every `mentions` string.
    @discardableResult
    func wardFails(_ args: [String], mentioning mentions: [String], sourceLocation: SourceLocation = #_sourceLocation)
        throws -> ProcessResult
    {
        let result = try WardProcess.ward(args, cwd: dir)
        #expect(result.status == 1, "ward \(args.joined(separator: " ")) exited \(result.status): \(result.stderr)",
            sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one error line, got: \(result.stderr)", sourceLocation: sourceLocation)
        for mention in mentions {
            #expect(result.stderr.contains(mention), "stderr lacks \"\(mention)\": \(result.stderr)",
                sourceLocation: sourceLocation)
        }
        return result
    }

    /// Runs any program in the workspace and expects success.
    @discardableResult
    func run(_ program: String, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProcessResult
    {
        let result = try WardProcess.run(program, args, cwd: dir)
        #expect(result.status == 0, "\(program) \(args.joined(separator: " ")): \(result.stdout) \(result.stderr)",
            sourceLocation: sourceLocation)
        return result
    }

    func write(_ text: String, _ name: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func mode(_ name: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? Int ?? -1
    }

    /// A P-256 root made by the openssl CLI: (cert, key) file names.
    func opensslRoot(_ name: String = "osslroot", days: Int = 30) throws -> (cert: String, key: String) {
        try run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
            "-out", "\(name).pem", "-subj", "/O=OpenSSL Root/CN=\(name)", "-days", "\(days)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return ("\(name).pem", "\(name).key")
    }

    /// pkilint findings for a PEM certificate, except the known `spiffe://` URI finding.
    func pkilintFindings(_ name: String) throws -> [String] {
        let result = try WardProcess.run("lint_pkix_cert", ["lint", "-s", "NOTICE", "-f", "JSON", name], cwd: dir)
        let json = try JSONValue.parse(result.stdout, source: "pkilint")
        var findings: [String] = []
        for item in json["results"]?.arrayValue ?? json.arrayValue ?? [] {
            for finding in item["finding_descriptions"]?.arrayValue ?? [] {
                let code = finding["code"]?.stringValue ?? "?"
                if code == "pkix.invalid_uri_syntax" { continue }
                findings.append("\(code): \(finding["message"]?.stringValue ?? "")")
            }
        }
        return findings
    }
}
