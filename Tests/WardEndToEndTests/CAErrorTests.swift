import Foundation
import Testing

/// Every bad input gets one line naming the file or flag, and exit status 1: never a crash or a hang.
@Suite("ward ca errors", .serialized)
struct CAErrorTests {
    @Test func badInputs() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        // No CA yet.
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x"], mentioning: ["certs"])
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x", "--dir", "nowhere"], mentioning: ["nowhere"])
        try ws.wardFails(["ca", "bundle", "--dir", "nowhere"], mentioning: ["nowhere"])
        // Flags that do not parse.
        try ws.wardFails(["ca", "init", "--trust-domain", "Example.org"], mentioning: ["--trust-domain", "lowercase"])
        try ws.wardFails(["ca", "init", "--trust-domain", "a b"], mentioning: ["--trust-domain"])
        try ws.wardFails(["ca", "init", "--trust-domain", "td", "--ttl", "forever"], mentioning: ["--ttl", "forever"])
        try ws.wardFails(["ca", "init", "--trust-domain", "td", "--key-type", "dsa"], mentioning: ["--key-type", "ec-p256"])
        #expect(!FileManager.default.fileExists(atPath: ws.path("certs/ca")))

        try ws.ward(["ca", "init", "--trust-domain", "example.org", "--ttl", "2h"])
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x", "--ttl", "3h"], mentioning: ["--ttl", "CA"])
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x", "--ttl", "0s"], mentioning: ["--ttl"])
        try ws.wardFails(["ca", "issue", "spiffe://other.org/x"], mentioning: ["other.org", "example.org"])
        try ws.wardFails(["ca", "issue", "spiffe://example.org/a/../b"], mentioning: ["SPIFFE_ID", "\"..\""])
        try ws.wardFails(["ca", "issue", "spiffe://example.org"], mentioning: ["path"])
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x", "--dns", "bad name"], mentioning: ["--dns"])
        try ws.wardFails(["ca", "bundle", "--format", "jwks"], mentioning: ["--format"])
        try ws.wardFails(["ca", "sign", "--csr", "missing.csr", "--spiffe-id", "spiffe://example.org/x"],
            mentioning: ["missing.csr"])
        try ws.write("garbage\n", "garbage.csr")
        try ws.wardFails(["ca", "sign", "--csr", "garbage.csr", "--spiffe-id", "spiffe://example.org/x"],
            mentioning: ["garbage.csr", "CERTIFICATE REQUEST"])

        // Upstream files: missing, malformed, encrypted, mismatched, not a CA.
        let root = try ws.opensslRoot()
        try ws.run("openssl", ["pkcs8", "-topk8", "-in", root.key, "-out", "enc.key", "-passout", "pass:x", "-v2", "aes-256-cbc"])
        try ws.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"])
        try ws.write("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "broken.pem")
        let intermediate = ["ca", "init", "--trust-domain", "example.org", "--dir", "inter"]
        try ws.wardFails(intermediate + ["--upstream-cert", "nope.pem", "--upstream-key", root.key], mentioning: ["nope.pem"])
        try ws.wardFails(intermediate + ["--upstream-cert", "broken.pem", "--upstream-key", root.key], mentioning: ["broken.pem"])
        try ws.wardFails(intermediate + ["--upstream-cert", root.cert, "--upstream-key", "enc.key"],
            mentioning: ["enc.key", "encrypted"])
        try ws.wardFails(intermediate + ["--upstream-cert", root.cert, "--upstream-key", "other.key"],
            mentioning: ["other.key", "does not match"])
        try ws.wardFails(intermediate + ["--upstream-cert", root.cert, "--upstream-key", root.cert],
            mentioning: [root.cert])
        try ws.wardFails(intermediate + ["--upstream-cert", root.cert], mentioning: ["--upstream-key"])
        try ws.ward(["ca", "issue", "spiffe://example.org/leaf"])
        try ws.wardFails(intermediate + ["--upstream-cert", "certs/leaf/svid.pem", "--upstream-key", "certs/leaf/svid.key"],
            mentioning: ["certs/leaf/svid.pem", "not a CA"])
        #expect(!FileManager.default.fileExists(atPath: ws.path("inter/ca/ca.key")))

        // A CA directory with a mismatched, then an encrypted key.
        let caKey = ws.path("certs/ca/ca.key")
        try FileManager.default.removeItem(atPath: caKey)
        try FileManager.default.copyItem(atPath: ws.path("other.key"), toPath: caKey)
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x"], mentioning: ["certs/ca/ca.key", "does not match"])
        try FileManager.default.removeItem(atPath: caKey)
        try FileManager.default.copyItem(atPath: ws.path("enc.key"), toPath: caKey)
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x"], mentioning: ["certs/ca/ca.key", "encrypted"])
        try ws.write("", "certs/ca/ca.pem")
        try ws.wardFails(["ca", "issue", "spiffe://example.org/x"], mentioning: ["certs/ca/ca.pem"])
    }
}
