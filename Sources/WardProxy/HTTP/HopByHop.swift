import Foundation
import NIOHTTP1

/// Header rewriting at the proxy hop (RFC 9110 section 7.6.1): hop-by-hop headers and any header the
/// `Connection` header names are removed in both directions, because they describe the connection the proxy
/// terminates, not the message it forwards.
enum HopByHop {
    /// Always hop-by-hop. `transfer-encoding` goes too: the encoder re-frames bodies for the next hop.
    static let names: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authorization", "proxy-authenticate",
    ]

    /// Names `Connection` may not remove.
    static let protected: Set<String> = ["close", "keep-alive", "host", "content-length", "x-forwarded-client-cert"]

    /// Removes hop-by-hop headers, including those listed in `Connection`.
    static func strip(_ headers: inout HTTPHeaders) {
        headers = forwarded(headers)
    }

    /// `headers` without hop-by-hop headers, those listed in `Connection`, and any named in `dropping`: what
    /// `HTTPHeaders.remove(name:)` for each would leave (same name matching, same order), built in one pass.
    ///
    /// Runs on every request and every response (most upstreams send `Connection: keep-alive`), so it copies
    /// the header list at most once, and `Connection` tokens are scanned as bytes: only a token that names a
    /// header to remove becomes a `String`. A value with non-ASCII bytes takes the general path (Unicode
    /// whitespace trimming), so what is stripped does not depend on which path ran.
    static func forwarded(_ headers: HTTPHeaders, dropping: [String] = []) -> HTTPHeaders {
        var dropped = dropping
        for (name, value) in headers where isHopByHop(name) {
            dropped.append(name)
            guard name.caseInsensitiveEquals("connection") else { continue }
            if value.utf8.allSatisfy({ $0 < 0x80 }) {
                listedASCII(in: value, into: &dropped)
            } else {
                listedGeneral(in: value, into: &dropped)
            }
        }
        guard !dropped.isEmpty else { return headers }
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count + 2)
        for (name, value) in headers where !dropped.contains(where: { sameHeaderName($0, name) }) {
            kept.append((name, value))
        }
        return HTTPHeaders(kept)
    }

    /// Header-name equality exactly as `HTTPHeaders.remove(name:)` decides it (bytes compared with bit 5 masked).
    static func sameHeaderName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) { ($0 & 0xdf) == ($1 & 0xdf) }
    }

    /// The `Connection` tokens of an ASCII value that name headers to remove (trimmed of spaces and tabs).
    private static func listedASCII(in value: String, into present: inout [String]) {
        let bytes = value.utf8
        var tokenStart = bytes.startIndex
        while tokenStart < bytes.endIndex {
            let tokenEnd = bytes[tokenStart...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            var start = tokenStart
            var end = tokenEnd
            while start < end, isASCIISpace(bytes[start]) { start = bytes.index(after: start) }
            while start < end, isASCIISpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
            if start < end {
                let trimmed = bytes[start..<end]
                // A caller must not be able to strip what identifies or frames the request for the next hop.
                if !protectedASCII.contains(where: { caseInsensitiveEquals(trimmed, $0.utf8) }) {
                    present.append(String(decoding: trimmed, as: UTF8.self).lowercased())
                }
            }
            tokenStart = tokenEnd == bytes.endIndex ? tokenEnd : bytes.index(after: tokenEnd)
        }
    }

    /// The general path: tokens trimmed of Unicode whitespace.
    private static func listedGeneral(in value: String, into present: inout [String]) {
        for token in value.split(separator: ",") {
            let listed = token.trimmingCharacters(in: .whitespaces).lowercased()
            if !listed.isEmpty, !protected.contains(listed) { present.append(listed) }
        }
    }

    private static let protectedASCII: [String] = Array(protected)

    /// What `CharacterSet.whitespaces` holds among ASCII bytes: space and tab.
    private static func isASCIISpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func caseInsensitiveEquals(_ a: Substring.UTF8View, _ b: String.UTF8View) -> Bool {
        a.elementsEqual(b) { x, y in (x | 0x20) == (y | 0x20) && (x >= 0x41 || x == y) }
    }

    /// Whether `name` is always hop-by-hop, or `connection` (which may name more).
    static func isHopByHop(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count >= 2, count <= 19 else { return false }
        return names.contains { $0.utf8.count == count && $0.caseInsensitiveEquals(name) }
    }
}

extension String {
    /// ASCII case-insensitive equality (header names are ASCII).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.elementsEqual(other.utf8) { a, b in
            (a | 0x20) == (b | 0x20) && (a >= 0x41 || a == b)
        }
    }
}

/// Envoy's `x-forwarded-client-cert` as Ward sends it upstream: who terminated TLS (`By`), the peer's leaf hash
/// (`Hash`) and the peer's SPIFFE ID (`URI`). Any value the caller sent is removed first, so the upstream can trust
/// this header as long as only the proxy can reach it.
enum ForwardedClientCert {
    static let name = "x-forwarded-client-cert"

    static func value(localID: String, peer: PeerInfo) -> String {
        "By=\(localID);Hash=\(peer.leafSHA256);URI=\(peer.spiffeID)"
    }
}
