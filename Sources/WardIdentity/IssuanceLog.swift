import Foundation
import WardJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CA's append-only issuance record, as JSON Lines beside the CA (`ca/issuance.log`).
///
/// Safe across processes: each record is one `write()` to a file opened with `O_APPEND`, under an exclusive
/// `flock`, so concurrent `ward ca issue` runs neither interleave nor lose lines. Holds no key material.
public struct IssuanceLog: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// One issued certificate.
    public struct Record: Sendable, Equatable {
        /// Serial number, lowercase hex.
        public var serial: String
        public var spiffeID: String
        public var notBefore: Date
        public var notAfter: Date
        /// When the CA issued it (the record's `time`).
        public var issuedAt: Date
        /// `generated-key` (ward ca issue) or `csr` (ward ca sign).
        public var method: String
        public var keyType: String
        /// SHA-256 of the certificate's DER, lowercase hex.
        public var fingerprint: String
        public var dnsNames: [String]

        /// The record for an SVID just issued. Holds only public facts about the certificate.
        public init(svid: X509SVID, method: String, issuedAt: Date = Date()) {
            let leaf = svid.leaf
            self.serial = leaf.serialHex
            self.spiffeID = svid.id.description
            self.notBefore = leaf.notBefore
            self.notAfter = leaf.notAfter
            self.issuedAt = issuedAt
            self.method = method
            self.keyType = leaf.keyAlgorithmName
            self.fingerprint = leaf.sha256Fingerprint
            self.dnsNames = leaf.dnsSANs
        }

        var json: JSONValue {
            [
                "time": .string(Timestamp.format(issuedAt)), "serial": .string(serial), "spiffe_id": .string(spiffeID),
                "not_before": .string(Timestamp.format(notBefore)), "not_after": .string(Timestamp.format(notAfter)),
                "method": .string(method), "key_type": .string(keyType), "sha256": .string(fingerprint),
                "dns": .array(dnsNames.map { .string($0) }),
            ]
        }

        init?(json: JSONValue) {
            guard let serial = json["serial"]?.stringValue, let id = json["spiffe_id"]?.stringValue,
                let notBefore = json["not_before"]?.stringValue.flatMap(Timestamp.parse),
                let notAfter = json["not_after"]?.stringValue.flatMap(Timestamp.parse),
                let time = json["time"]?.stringValue.flatMap(Timestamp.parse)
            else { return nil }
            self.serial = serial
            self.spiffeID = id
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.issuedAt = time
            self.method = json["method"]?.stringValue ?? ""
            self.keyType = json["key_type"]?.stringValue ?? ""
            self.fingerprint = json["sha256"]?.stringValue ?? ""
            self.dnsNames = json["dns"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
    }

    /// Appends one record atomically with respect to other writers (processes or threads).
    public func append(_ record: Record) throws(IdentityError) {
        let line = Array((record.json.serialized(.compact, sortKeys: true) + "\n").utf8)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw IdentityError(.writeFailed, "\(path): cannot open issuance log: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw IdentityError(.writeFailed, "\(path): cannot lock issuance log: \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(fd, LOCK_UN) }
        var written = 0
        while written < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw IdentityError(.writeFailed, "\(path): cannot write issuance log: \(String(cString: strerror(errno)))")
            }
            written += n
        }
    }

    /// Every record, oldest first. Lines that do not parse are reported as an error naming the line.
    public func records() throws(IdentityError) -> [Record] {
        guard FileIO.exists(path) else { return [] }
        let bytes = try FileIO.read(path, what: "issuance log")
        var records: [Record] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            let json: JSONValue
            do {
                json = try JSONValue.parse(bytes: Array(line), source: "\(path):\(index + 1)")
            } catch {
                throw IdentityError(.malformedLog, "\(path):\(index + 1): malformed issuance record: \(error.message)")
            }
            guard let record = Record(json: json) else {
                throw IdentityError(.malformedLog, "\(path):\(index + 1): issuance record misses fields")
            }
            records.append(record)
        }
        return records
    }
}

/// RFC 3339 UTC timestamps (`2026-11-26T23:45:00Z`, or with milliseconds) for logs and JSON output. Formatting
/// is `gmtime_r` + `strftime` (no formatter object per call), cheap enough for a per-request access log.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        format(epochSeconds: date.timeIntervalSince1970)
    }

    /// `2026-11-26T23:45:00Z`, or `2026-11-26T23:45:00.123Z` with `milliseconds`.
    public static func format(epochSeconds: Double, milliseconds: Bool = false) -> String {
        let totalMillis = Int64((epochSeconds * 1000).rounded())
        var time = time_t(totalMillis / 1000)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        var text = Array(buffer.prefix(length).map { UInt8(bitPattern: $0) })
        if milliseconds {
            let millis = Int(totalMillis % 1000)
            text.append(UInt8(ascii: "."))
            text.append(UInt8(ascii: "0") + UInt8(millis / 100))
            text.append(UInt8(ascii: "0") + UInt8(millis / 10 % 10))
            text.append(UInt8(ascii: "0") + UInt8(millis % 10))
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    public static func parse(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
