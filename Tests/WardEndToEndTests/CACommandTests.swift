import Foundation
import Testing
import WardJSON

/// `ward ca …` end to end, checked by independent tools.
@Suite("ward ca", .serialized)
struct CACommandTests {
    @Test func initIssueAndInteroperate() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        let initOut = try ws.ward(["ca", "init", "--trust-domain", "example.org"]).stdout
        #expect(initOut.contains("root CA for trust domain example.org"))
        #expect(try ws.mode("certs/ca/ca.key") == 0o600)
        #expect(try ws.read("certs/ca/ca.key").hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let bundle = try JSONValue.parse(try ws.read("certs/bundle.spiffe.json"))
        #expect(bundle["spiffe_sequence"] == 1 && bundle["spiffe_refresh_hint"]?.intValue ?? 0 > 0)
        #expect(!initOut.contains("PRIVATE KEY"))

        let issued = try ws.ward([
            "ca", "issue", "spiffe://example.org/ns/prod/sa/web", "--dns", "web.example.org", "--dns", "web.internal",
        ]).stdout
        #expect(issued.contains("Issued spiffe://example.org/ns/prod/sa/web"))
        #expect(try ws.mode("certs/web/svid.key") == 0o600)
        #expect(try ws.read("certs/web/bundle.pem") == (try ws.read("certs/bundle.pem")))

        // openssl accepts the chain in strict mode, for both purposes.
        for purpose in ["sslserver", "sslclient"] {
            let verify = try ws.run("openssl", [
                "verify", "-x509_strict", "-purpose", purpose, "-CAfile", "certs/bundle.pem", "certs/web/svid.pem",
            ])
            #expect(verify.stdout.contains("certs/web/svid.pem: OK"))
        }
        // Python cryptography and py-spiffe parse the SVID, its key and the bundles (JSON JWKs included).
        let python = try ws.run("python3", ["-c", CACommandTests.pythonCheck, "certs", "web", "example.org"]).stdout
        #expect(python.contains("spiffe://example.org/ns/prod/sa/web"))
        #expect(python.contains("bundle ok 1"))
        // pkilint reports nothing but the known spiffe-URI finding, on the leaf and on the CA.
        #expect(try ws.pkilintFindings("certs/web/svid.pem") == [])
        #expect(try ws.pkilintFindings("certs/ca/ca.pem") == [])
        let pair = try WardProcess.run(
            "lint_pkix_signer_signee_cert_chain", ["lint", "certs/ca/ca.pem", "certs/web/svid.pem"], cwd: ws.dir)
        #expect(pair.status == 0 && pair.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(pair.stdout)")

        // ward ca bundle prints both forms; --json output of issue is JSON.
        #expect(try ws.ward(["ca", "bundle"]).stdout == (try ws.read("certs/bundle.pem")))
        let spiffe = try JSONValue.parse(try ws.ward(["ca", "bundle", "--format", "spiffe"]).stdout)
        #expect(spiffe == bundle)
        let json = try JSONValue.parse(try ws.ward([
            "ca", "issue", "spiffe://example.org/api", "--json", "--key-type", "ed25519", "--ttl", "30m",
        ]).stdout)
        #expect(json["spiffe_id"] == "spiffe://example.org/api" && json["key_type"] == "Ed25519")
        #expect(json["files"]?["key"] == "certs/api/svid.key")

        // Re-init needs --force, and then the bundle sequence increases.
        try ws.wardFails(["ca", "init", "--trust-domain", "example.org"], mentioning: ["certs", "--force"])
        try ws.ward(["ca", "init", "--trust-domain", "example.org", "--force", "--key-type", "ec-p384"])
        #expect(try JSONValue.parse(try ws.read("certs/bundle.spiffe.json"))["spiffe_sequence"] == 2)
    }

    @Test func everyKeyTypeVerifiesWithOpenSSL() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        try ws.ward(["ca", "init", "--trust-domain", "td.test", "--dir", "d", "--key-type", "rsa-2048", "--ttl", "48h"])
        for type in ["ec-p256", "ec-p384", "ed25519", "rsa-3072"] {
            try ws.ward(["ca", "issue", "spiffe://td.test/\(type)", "--dir", "d", "--key-type", type])
            try ws.run("openssl", ["verify", "-x509_strict", "-CAfile", "d/bundle.pem", "d/\(type)/svid.pem"])
            try ws.run("python3", ["-c", CACommandTests.pythonCheck, "d", type, "td.test"])
        }
    }

    @Test("intermediate CA under a root made by Ward and by openssl", arguments: ["ward", "openssl"])
    func intermediate(_ maker: String) throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        let root: (cert: String, key: String)
        if maker == "ward" {
            try ws.ward(["ca", "init", "--trust-domain", "example.org", "--dir", "root"])
            root = ("root/ca/ca.pem", "root/ca/ca.key")
        } else {
            root = try ws.opensslRoot()
        }
        let out = try ws.ward([
            "ca", "init", "--trust-domain", "example.org", "--ttl", "24h", "--upstream-cert", root.cert,
            "--upstream-key", root.key,
        ]).stdout
        #expect(out.contains("intermediate CA"))
        #expect(try ws.read("certs/bundle.pem") == (try ws.read(root.cert)))
        try ws.ward(["ca", "issue", "spiffe://example.org/ns/x", "--out", "x"])
        let chain = try ws.read("x/svid.pem")
        #expect(chain.components(separatedBy: "BEGIN CERTIFICATE").count == 3)  // leaf + intermediate
        try ws.write(
            String(chain[chain.range(of: "-----BEGIN CERTIFICATE-----", options: .backwards)!.lowerBound...]), "inter.pem")
        let verify = try ws.run("openssl", [
            "verify", "-x509_strict", "-CAfile", "certs/bundle.pem", "-untrusted", "inter.pem", "x/svid.pem",
        ])
        #expect(verify.stdout.contains("OK"))
        try ws.run("python3", ["-c", CACommandTests.pythonCheck, ".", "x", "example.org"])
        #expect(try ws.ward(["svid", "verify", "x/svid.pem", "--bundle", "certs/bundle.pem"]).stdout
            == "spiffe://example.org/ns/x\n")
        #expect(try ws.pkilintFindings("certs/ca/ca.pem") == [])
        // An intermediate cannot outlive the upstream root.
        try ws.wardFails([
            "ca", "init", "--trust-domain", "example.org", "--dir", "long", "--ttl", "100000h", "--upstream-cert",
            root.cert, "--upstream-key", root.key,
        ], mentioning: ["--ttl"])
    }

    @Test func signCSRs() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        try ws.ward(["ca", "init", "--trust-domain", "example.org"])
        try ws.run("openssl", [
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "w.key",
            "-out", "w.csr", "-subj", "/CN=admin", "-addext", "subjectAltName=URI:spiffe://example.org/admin",
        ])
        let pem = try ws.ward(["ca", "sign", "--csr", "w.csr", "--spiffe-id", "spiffe://example.org/ns/w"]).stdout
        try ws.write(pem, "w.pem")
        let text = try ws.run("openssl", ["x509", "-in", "w.pem", "-noout", "-ext", "subjectAltName"]).stdout
        #expect(text.contains("URI:spiffe://example.org/ns/w") && !text.contains("admin"))
        try ws.run("openssl", ["verify", "-x509_strict", "-CAfile", "certs/bundle.pem", "w.pem"])
        // The certificate carries the CSR's key.
        let certKey = try ws.run("openssl", ["x509", "-in", "w.pem", "-noout", "-pubkey"]).stdout
        let csrKey = try ws.run("openssl", ["pkey", "-in", "w.key", "-pubout"]).stdout
        #expect(certKey == csrKey)
        try ws.ward(["ca", "sign", "--csr", "w.csr", "--spiffe-id", "spiffe://example.org/ns/w", "--out", "out.pem"])
        #expect(try ws.read("out.pem").hasPrefix("-----BEGIN CERTIFICATE-----"))

        // A CSR whose signature does not verify is refused.
        try ws.run("openssl", ["req", "-in", "w.csr", "-outform", "DER", "-out", "w.der"])
        var der = Array(try Data(contentsOf: URL(fileURLWithPath: ws.path("w.der"))))
        der[der.count - 3] ^= 0x01
        try Data(der).write(to: URL(fileURLWithPath: ws.path("bad.der")))
        try ws.wardFails(["ca", "sign", "--csr", "bad.der", "--spiffe-id", "spiffe://example.org/ns/w"],
            mentioning: ["bad.der", "signature"])
        let log = try ws.read("certs/ca/issuance.log").split(separator: "\n")
        #expect(log.count == 2)
    }

    @Test func concurrentIssuanceKeepsEveryLogRecord() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        try ws.ward(["ca", "init", "--trust-domain", "example.org"])
        // Start every process before waiting for any, so they really run at once.
        let count = 16
        var processes: [Process] = []
        for index in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: WardProcess.wardPath)
            process.arguments = ["ca", "issue", "spiffe://example.org/w\(index)", "--ttl", "5m"]
            process.currentDirectoryURL = URL(fileURLWithPath: ws.dir)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: {
                FileManager.default.createFile(atPath: ws.path("err\(index)"), contents: nil)
                return ws.path("err\(index)")
            }()))
            processes.append(process)
        }
        for process in processes { try process.run() }
        for (index, process) in processes.enumerated() {
            process.waitUntilExit()
            let stderr = (try? ws.read("err\(index)")) ?? ""
            #expect(process.terminationStatus == 0, "\(stderr)")
        }
        let lines = try ws.read("certs/ca/issuance.log").split(separator: "\n")
        #expect(lines.count == count)
        var ids = Set<String>(), serials = Set<String>()
        for line in lines {
            let record = try JSONValue.parse(String(line))
            ids.insert(record["spiffe_id"]?.stringValue ?? "")
            serials.insert(record["serial"]?.stringValue ?? "")
            #expect(record["not_after"]?.stringValue != nil && record["time"]?.stringValue != nil)
        }
        #expect(ids.count == count && serials.count == count)
        #expect(try !ws.read("certs/ca/issuance.log").contains("PRIVATE"))
    }

    /// Python: cryptography loads the SVID chain and key; py-spiffe parses the SVID and the PEM bundle; the SPIFFE
    /// JSON bundle's x5c and JWK fields match each authority's public key. argv: dir, svid subdir, trust domain.
    static let pythonCheck = #"""
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
from spiffe import X509Svid, X509Bundle, TrustDomain, SpiffeId
d, name, td = sys.argv[1], sys.argv[2], sys.argv[3]
chain = x509.load_pem_x509_certificates(open(f"{d}/{name}/svid.pem", "rb").read())
key = serialization.load_pem_private_key(open(f"{d}/{name}/svid.key", "rb").read(), None)
assert key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
    chain[0].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
svid = X509Svid.load(f"{d}/{name}/svid.pem", f"{d}/{name}/svid.key", serialization.Encoding.PEM)
print(svid.spiffe_id)
SpiffeId(str(svid.spiffe_id))
bundle_dir = d if d != "." else "certs"
X509Bundle.load(TrustDomain(td), f"{bundle_dir}/bundle.pem", serialization.Encoding.PEM)
def b64u(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
doc = json.load(open(f"{bundle_dir}/bundle.spiffe.json"))
assert isinstance(doc["spiffe_sequence"], int) and isinstance(doc["spiffe_refresh_hint"], int)
for k in doc["keys"]:
    assert k["use"] == "x509-svid" and "kid" not in k and len(k["x5c"]) == 1
    cert = x509.load_der_x509_certificate(base64.b64decode(k["x5c"][0]))
    pub = cert.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        assert k["kty"] == "EC" and b64u(k["x"]) == n.x.to_bytes(size, "big") and b64u(k["y"]) == n.y.to_bytes(size, "big")
    elif isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        assert k["kty"] == "RSA" and int.from_bytes(b64u(k["n"]), "big") == n.n and int.from_bytes(b64u(k["e"]), "big") == n.e
    else:
        assert k["kty"] == "OKP" and k["crv"] == "Ed25519" and b64u(k["x"]) == pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
print("bundle ok", len(doc["keys"]))
"""#
}
