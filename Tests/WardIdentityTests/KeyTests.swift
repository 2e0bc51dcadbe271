import Foundation
import Testing

@testable import WardIdentity

@Suite("Private keys")
struct KeyTests {
    @Test("generates, writes and reloads every key type", arguments: [KeyType.ecP256, .ecP384, .ed25519, .rsa2048])
    func roundTrip(_ type: KeyType) throws {
        let key = try PrivateKey(generating: type)
        #expect(key.algorithm.keyType == type)
        let pem = String(decoding: key.pkcs8PEM, as: UTF8.self)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try PrivateKey(pem: key.pkcs8PEM)
        #expect(reloaded.matches(key.publicKey))
        #expect(!reloaded.matches(try PrivateKey(generating: .ecP256).publicKey))
    }

    @Test func writesMode0600Atomically() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let key = try PrivateKey(generating: .ecP256)
        try key.write(toFile: "\(dir)/k.key")
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(dir)/k.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["k.key"])
        #expect(try PrivateKey(contentsOfFile: "\(dir)/k.key").matches(key.publicKey))
    }

    @Test func readsKeysMadeByOpenSSL() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        try TestSupport.openssl(["genpkey", "-algorithm", "ed25519", "-out", "ed.key"], in: dir)
        try TestSupport.openssl(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "sec1.key"], in: dir)
        #expect(try PrivateKey(contentsOfFile: "\(dir)/ed.key").algorithm == .ed25519)
        #expect(try PrivateKey(contentsOfFile: "\(dir)/sec1.key").algorithm == .ec(curve: "P-384"))
    }

    @Test func rejectsBadKeyFiles() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        try TestSupport.openssl(
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret",
                "-out", "enc.key"], in: dir)
        try TestSupport.openssl(["genpkey", "-algorithm", "X25519", "-out", "x25519.key"], in: dir)
        try TestSupport.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "\(dir)/broken.key")
        try TestSupport.write("hello\n", "\(dir)/text.key")
        let cases: [(String, IdentityError.Code)] = [
            ("enc.key", .encryptedKey), ("x25519.key", .unsupportedKey), ("broken.key", .malformedKey),
            ("text.key", .malformedKey), ("missing.key", .unreadableFile),
        ]
        for (file, code) in cases {
            do {
                _ = try PrivateKey(contentsOfFile: "\(dir)/\(file)")
                Issue.record("\(file) was accepted")
            } catch {
                #expect(error.code == code, "\(file): \(error.message)")
                #expect(error.message.contains("\(dir)/\(file)"), "message names the file: \(error.message)")
            }
        }
        // A directory is not a key file, and reading it must not hang.
        #expect(throws: IdentityError.self) { try PrivateKey(contentsOfFile: dir) }
    }

    @Test func ttlParsing() throws {
        #expect(try TTL(parsing: "1h").seconds == 3600)
        #expect(try TTL(parsing: "1h30m").seconds == 5400)
        #expect(try TTL(parsing: "8760h").seconds == 8760 * 3600)
        #expect(try TTL(parsing: "90s").description == "1m30s")
        #expect(try TTL(parsing: "2d").seconds == 172_800)
        for bad in ["", "h", "1", "1x", "-1h", "0s", "1.5h", "99999999999999999999h", "1h ", "１h"] {
            #expect(throws: IdentityError.self, "\(bad)") { try TTL(parsing: bad) }
        }
    }

    @Test func keyTypeNames() throws {
        for type in KeyType.allCases { #expect(try KeyType(parsing: type.rawValue) == type) }
        do {
            _ = try KeyType(parsing: "dsa")
            Issue.record("accepted dsa")
        } catch {
            #expect(error.code == .unknownKeyType)
            #expect(error.message.contains("ec-p256"))
        }
    }
}
