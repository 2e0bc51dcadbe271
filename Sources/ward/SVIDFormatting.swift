import Foundation
import WardIdentity
import WardJSON

/// How certificates are shown by `ward ca` and `ward svid`, for people and as JSON.
enum SVIDFormatting {
    static func date(_ date: Date) -> String { Timestamp.format(date) }

    /// "in 59m50s", "expired 3h ago", "not valid for another 2m".
    static func timeLeft(_ certificate: Certificate, now: Date = Date()) -> String {
        if now < certificate.notBefore {
            return "not valid for another \(TTL.format(seconds: Int(certificate.notBefore.timeIntervalSince(now))))"
        }
        let left = Int(certificate.notAfter.timeIntervalSince(now))
        return left >= 0 ? "expires in \(TTL.format(seconds: left))" : "expired \(TTL.format(seconds: -left)) ago"
    }

    /// The fields `ward svid inspect --json` and `ward ca issue --json` print for one certificate.
    static func json(_ certificate: Certificate, now: Date = Date()) -> JSONValue {
        var object: JSONObject = [
            "subject": .string(certificate.subject), "issuer": .string(certificate.issuer),
            "serial": .string(certificate.serialHex),
            "not_before": .string(date(certificate.notBefore)), "not_after": .string(date(certificate.notAfter)),
            "seconds_left": .int(Int64(certificate.notAfter.timeIntervalSince(now).rounded(.down))),
            "key_type": .string(certificate.keyAlgorithmName), "is_ca": .bool(certificate.isCA),
        ]
        if let id = certificate.spiffeID { object["spiffe_id"] = .string(id.description) }
        object["uri_sans"] = .array(certificate.uriSANs.map { .string($0) })
        object["dns_sans"] = .array(certificate.dnsSANs.map { .string($0) })
        object["key_usage"] = .array((certificate.keyUsage?.names ?? []).map { .string($0) })
        object["extended_key_usage"] = .array((certificate.extendedKeyUsage?.names ?? []).map { .string($0) })
        if let ski = certificate.subjectKeyIdentifier { object["subject_key_id"] = .string(ski) }
        if let aki = certificate.authorityKeyIdentifier { object["authority_key_id"] = .string(aki) }
        object["sha256"] = .string(certificate.sha256Fingerprint)
        return .object(object)
    }

    /// A few indented lines about an issued certificate.
    static func printSummary(_ certificate: Certificate) {
        if !certificate.dnsSANs.isEmpty { print("  dns          \(certificate.dnsSANs.joined(separator: ", "))") }
        print("  serial       \(certificate.serialHex)")
        print("  valid        \(date(certificate.notBefore)) to \(date(certificate.notAfter)) (\(timeLeft(certificate)))")
        print("  key type     \(certificate.keyAlgorithmName)")
    }
}
