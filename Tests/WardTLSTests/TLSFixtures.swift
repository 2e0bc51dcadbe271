import Foundation
import NIOCore
import WardIdentity
import WardTLS
import WardTestSupport

/// A throwaway CA for `example.org` and SVIDs from it, in memory and as PEM files for external clients.
final class TLSFixtures: @unchecked Sendable {
    let directory: String
    let ca: CertificateAuthority
    let bundle: TrustBundle
    let server: X509SVID
    let client: X509SVID
    let serverID = try! SpiffeID("spiffe://example.org/ns/test/sa/server")
    let clientID = try! SpiffeID("spiffe://example.org/ns/test/sa/client")

    /// Shared by all TLS tests: key generation and CA creation are the slow part.
    static let shared: TLSFixtures = try! TLSFixtures()

    private init() throws {
        directory = try TestProcess.temporaryDirectory("ward-tls")
        ca = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"))
        bundle = try ca.bundle()
        server = try ca.issueSVID(id: serverID, ttl: TTL(parsing: "1h"), dnsNames: ["localhost"])
        client = try ca.issueSVID(id: clientID, ttl: TTL(parsing: "1h"))
        try write(bundle.pem, "bundle.pem")
        try write(ca.certificate.pem, "ca.pem")
        try ca.privateKey.write(toFile: path("ca.key"))
        try save(server, as: "server")
        try save(client, as: "client")
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func write(_ text: String, _ name: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// Writes `<name>.pem` (chain) and `<name>.key`.
    func save(_ svid: X509SVID, as name: String) throws {
        try write(svid.chainPEM, "\(name).pem")
        try svid.privateKey!.write(toFile: path("\(name).key"))
    }

    func serverConfiguration(
        svid: X509SVID? = nil, allowTLS12: Bool = false, alpn: [String] = ["h2", "http/1.1"],
        handshakeTimeout: TimeAmount = .seconds(10)
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server, svid: svid ?? server, trustBundles: [bundle], allowTLS12: allowTLS12, alpn: alpn,
            handshakeTimeout: handshakeTimeout)
    }

    func clientConfiguration(
        svid: X509SVID? = nil, requirement: PeerRequirement = .any, alpn: [String] = ["http/1.1"],
        bundles: [TrustBundle]? = nil
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .client, svid: svid ?? client, trustBundles: bundles ?? [bundle], peerRequirement: requirement,
            alpn: alpn)
    }

    /// An SVID signed by the `openssl` CLI with this CA's key, with whatever extensions `extensions` says.
    func opensslSVID(name: String, extensions: String, days: Int = 1) throws -> (cert: String, key: String) {
        let key = path("\(name).key"), csr = path("\(name).csr"), cert = path("\(name).pem"), ext = path("\(name).ext")
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try check(
            TestProcess.run(
                "openssl",
                ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                 "-out", csr, "-subj", "/O=test"]))
        try check(
            TestProcess.run(
                "openssl",
                ["x509", "-req", "-in", csr, "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-set_serial", "4242",
                 "-days", "\(days)", "-extfile", ext, "-out", cert]))
        return (cert, key)
    }

    private func check(_ result: ProcessResult) throws {
        if result.status != 0 { throw FixtureError(message: result.stderr) }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
