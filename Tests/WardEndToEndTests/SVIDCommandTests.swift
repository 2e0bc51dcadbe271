import Foundation
import Testing
import WardJSON

/// `ward svid inspect` and `ward svid verify` end to end, with SVIDs made by Ward and by openssl.
@Suite("ward svid", .serialized)
struct SVIDCommandTests {
    @Test func inspectAndVerifyWardSVIDs() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        try ws.ward(["ca", "init", "--trust-domain", "example.org"])
        try ws.ward(["ca", "issue", "spiffe://example.org/ns/web", "--dns", "web.local", "--ttl", "1h"])
        let inspect = try ws.ward(["svid", "inspect", "certs/web/svid.pem"]).stdout
        for expected in ["spiffe://example.org/ns/web", "web.local", "EC P-256", "expires in", "CN=example.org", "chain"] {
            #expect(inspect.contains(expected), "inspect lacks \(expected): \(inspect)")
        }
        let json = try JSONValue.parse(try ws.ward(["svid", "inspect", "certs/web/svid.pem", "--json"]).stdout)
        #expect(json["spiffe_id"] == "spiffe://example.org/ns/web" && json["dns_sans"] == ["web.local"])
        #expect((json["seconds_left"]?.intValue ?? 0) > 3500 && json["svid_problem"] == .null)
        #expect(json["serial"]?.stringValue?.count == 32)

        #expect(try ws.ward(["svid", "verify", "certs/web/svid.pem", "--bundle", "certs/bundle.pem"]).stdout
            == "spiffe://example.org/ns/web\n")
        #expect(try ws.ward(["svid", "verify", "certs/web/svid.pem", "--bundle", "certs/bundle.spiffe.json",
            "--id", "spiffe://example.org/ns/web"]).stdout == "spiffe://example.org/ns/web\n")
        let verified = try JSONValue.parse(try ws.ward([
            "svid", "verify", "certs/web/svid.pem", "--bundle", "certs/bundle.pem", "--json",
        ]).stdout)
        #expect(verified["valid"] == true)

        let verify = ["svid", "verify", "certs/web/svid.pem", "--bundle", "certs/bundle.pem"]
        try ws.wardFails(verify + ["--at", "2099-01-01T00:00:00Z"], mentioning: ["expired"])
        try ws.wardFails(verify + ["--at", "2000-01-01T00:00:00Z"], mentioning: ["not yet valid"])
        try ws.wardFails(verify + ["--id", "spiffe://example.org/ns/api"], mentioning: ["spiffe://example.org/ns/api"])
        try ws.wardFails(verify + ["--id", "spiffe://other.org/ns/web"], mentioning: ["other.org"])
        try ws.wardFails(verify + ["--at", "yesterday"], mentioning: ["--at"])
        try ws.wardFails(["svid", "verify", "certs/ca/ca.pem", "--bundle", "certs/bundle.pem"], mentioning: ["CA certificate"])
        // Another CA of the same trust domain: unknown issuer. Another trust domain: wrong trust domain.
        try ws.ward(["ca", "init", "--trust-domain", "example.org", "--dir", "stranger"])
        try ws.wardFails(["svid", "verify", "certs/web/svid.pem", "--bundle", "stranger/bundle.pem"], mentioning: ["unknown issuer"])
        try ws.ward(["ca", "init", "--trust-domain", "other.org", "--dir", "other"])
        try ws.wardFails(["svid", "verify", "certs/web/svid.pem", "--bundle", "other/bundle.spiffe.json"],
            mentioning: ["trust domain", "other.org"])
        // Bad files.
        try ws.wardFails(["svid", "verify", "missing.pem", "--bundle", "certs/bundle.pem"], mentioning: ["missing.pem"])
        try ws.wardFails(["svid", "verify", "certs/web/svid.pem", "--bundle", "certs/web/svid.key"],
            mentioning: ["certs/web/svid.key"])
        try ws.write("{\"keys\": 1}", "bad.json")
        try ws.wardFails(["svid", "verify", "certs/web/svid.pem", "--bundle", "bad.json"], mentioning: ["bad.json"])
        try ws.wardFails(["svid", "inspect", "certs/web/svid.key"], mentioning: ["certs/web/svid.key"])
    }

    @Test func verifyOpenSSLMadeSVIDs() throws {
        let ws = try CAWorkspace()
        defer { ws.remove() }
        try ws.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key",
            "-out", "root.pem", "-subj", "/CN=openssl root", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-addext", "nameConstraints=critical,permitted;URI:example.org",
        ])
        func leaf(_ name: String, _ extensions: [String]) throws {
            try ws.write("[v3]\n" + extensions.joined(separator: "\n") + "\n", "\(name).ext")
            try ws.run("openssl", [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "\(name).key", "-out", "\(name).csr", "-subj", "/O=test",
            ])
            try ws.run("openssl", [
                "x509", "-req", "-in", "\(name).csr", "-CA", "root.pem", "-CAkey", "root.key", "-days", "1",
                "-set_serial", "0x\(String(UInt64.random(in: 1...UInt64.max >> 1), radix: 16))",
                "-extfile", "\(name).ext", "-extensions", "v3", "-out", "\(name).pem",
            ])
        }
        let base = ["keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth,clientAuth",
            "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid:always"]
        try leaf("good", base + ["basicConstraints=critical,CA:FALSE", "subjectAltName=URI:spiffe://example.org/ok"])
        try leaf("two", base + ["basicConstraints=critical,CA:FALSE", "subjectAltName=URI:spiffe://example.org/a,URI:spiffe://example.org/b"])
        try leaf("ca", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign", "subjectAltName=URI:spiffe://example.org/ca"])
        try leaf("badid", base + ["basicConstraints=critical,CA:FALSE", "subjectAltName=URI:spiffe://example.org/a//b"])
        try leaf("outside", base + ["basicConstraints=critical,CA:FALSE", "subjectAltName=URI:spiffe://other.org/x"])

        #expect(try ws.ward(["svid", "verify", "good.pem", "--bundle", "root.pem"]).stdout == "spiffe://example.org/ok\n")
        try ws.wardFails(["svid", "verify", "good.pem", "--bundle", "root.pem", "--at", "2099-01-01T00:00:00Z"],
            mentioning: ["good.pem", "expired"])
        try ws.wardFails(["svid", "verify", "good.pem", "--bundle", "root.pem", "--at", "2001-01-01T00:00:00Z"],
            mentioning: ["not yet valid"])
        try ws.wardFails(["svid", "verify", "two.pem", "--bundle", "root.pem"], mentioning: ["two.pem", "2 URI SANs"])
        try ws.wardFails(["svid", "verify", "ca.pem", "--bundle", "root.pem"], mentioning: ["CA certificate"])
        try ws.wardFails(["svid", "verify", "badid.pem", "--bundle", "root.pem"], mentioning: ["not a valid SPIFFE ID"])
        try ws.wardFails(["svid", "verify", "outside.pem", "--bundle", "root.pem"], mentioning: ["trust domain"])
        // With a root that names no trust domain, leaf problems are still reported as such.
        try ws.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "plain.key",
            "-out", "plain.pem", "-subj", "/CN=plain root", "-days", "30",
        ])
        try ws.wardFails(["svid", "verify", "two.pem", "--bundle", "plain.pem"], mentioning: ["2 URI SANs"])
        try ws.wardFails(["svid", "verify", "good.pem", "--bundle", "plain.pem"], mentioning: ["unknown issuer"])
        // A Ward bundle does not vouch for openssl's leaf.
        try ws.ward(["ca", "init", "--trust-domain", "example.org"])
        try ws.wardFails(["svid", "verify", "good.pem", "--bundle", "certs/bundle.pem"], mentioning: ["unknown issuer"])
        // inspect reports SVID problems without failing.
        let inspect = try ws.ward(["svid", "inspect", "two.pem"]).stdout
        #expect(inspect.contains("SPIFFE ID    (none)") && inspect.contains("2 URI SANs"))
    }
}
