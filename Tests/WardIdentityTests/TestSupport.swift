import Foundation
import Testing
import WardTestSupport

@testable import WardIdentity

/// Helpers shared by the identity tests: temp directories and the real `openssl` CLI.
enum TestSupport {
    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "ward-identity-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Runs a program found on PATH; returns (status, stdout + stderr).
    @discardableResult
    static func run(_ program: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, output: String) {
        let result = try TestProcess.run(program, args, cwd: cwd)
        return (result.status, result.stdout + result.stderr)
    }

    /// Runs `openssl args…` in `dir`, failing the test if it fails.
    @discardableResult
    static func openssl(_ args: [String], in dir: String) throws -> String {
        let result = try run("openssl", args, cwd: dir)
        #expect(result.status == 0, "openssl \(args.joined(separator: " ")) failed: \(result.output)")
        return result.output
    }

    static func write(_ text: String, _ path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

/// A small PKI made entirely by the `openssl` CLI, for interop: a root (optionally constrained to a trust
/// domain) and leaves with arbitrary extensions.
struct OpenSSLPKI {
    let dir: String
    let rootCert: String
    let rootKey: String

    /// Creates a P-256 root valid for `days` with the usual CA extensions (plus a URI name constraint and SPIFFE
    /// SAN when `trustDomain` is given).
    init(dir: String, days: Int = 30, trustDomain: String? = nil, name: String = "root") throws {
        self.dir = dir
        rootCert = "\(dir)/\(name).pem"
        rootKey = "\(dir)/\(name).key"
        var extensions = [
            "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=hash",
        ]
        if let trustDomain {
            extensions += ["nameConstraints=critical,permitted;URI:\(trustDomain)", "subjectAltName=URI:spiffe://\(trustDomain)"]
        }
        try TestSupport.openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", rootKey,
                "-out", rootCert, "-subj", "/O=OpenSSL Test/CN=\(name) \(UUID().uuidString.prefix(8))", "-days", "\(days)"]
                + extensions.flatMap { ["-addext", $0] }, in: dir)
    }

    /// Issues a leaf for a fresh P-256 key with the given config-file extension lines; returns (cert, key) paths.
    func leaf(
        _ name: String, extensions: [String], days: Int = 1, issuerCert: String? = nil, issuerKey: String? = nil
    ) throws -> (cert: String, key: String) {
        let key = "\(dir)/\(name).key", csr = "\(dir)/\(name).csr", cert = "\(dir)/\(name).pem"
        let ext = "\(dir)/\(name).ext"
        try TestSupport.write("[v3]\n" + extensions.joined(separator: "\n") + "\n", ext)
        try TestSupport.openssl(
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                "-subj", "/O=OpenSSL Test"], in: dir)
        try TestSupport.openssl(
            ["x509", "-req", "-in", csr, "-CA", issuerCert ?? rootCert, "-CAkey", issuerKey ?? rootKey,
                "-set_serial", "0x\(String(UInt64.random(in: 1...UInt64.max >> 1), radix: 16))", "-days", "\(days)",
                "-extfile", ext, "-extensions", "v3", "-out", cert], in: dir)
        return (cert, key)
    }

    /// Extension lines of a well-formed SVID for `id`.
    static func svidExtensions(uris: [String], ca: Bool = false, keyUsage: String = "critical,digitalSignature") -> [String] {
        [
            "basicConstraints=critical,CA:\(ca ? "TRUE" : "FALSE")", "keyUsage=\(keyUsage)",
            "extendedKeyUsage=serverAuth,clientAuth", "subjectKeyIdentifier=hash",
            "authorityKeyIdentifier=keyid:always",
            "subjectAltName=" + uris.map { "URI:\($0)" }.joined(separator: ","),
        ]
    }
}
