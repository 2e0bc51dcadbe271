import Foundation
import NIOHTTP1

/// Header rewriting at the proxy hop (RFC 9110 section 7.6.1): hop-by-hop headers and any header the
/// `Connection` header names are removed in both directions, because they describe the connection the proxy
/// terminates, not the message it forwards.
enum HopByHop {
    /// Names `Connection` may not remove.
    static let protected: Set<String> = ["close", "keep-alive", "host", "content-length", "x-forwarded-client-cert"]

    /// Removes hop-by-hop headers, including those listed in `Connection`.
    static func strip(_ headers: inout HTTPHeaders) {
        headers = forwarded(headers)
    }

    /// `headers` without hop-by-hop headers, those listed in `Connection`, and any named in `dropping` (names
    /// compared ASCII case-insensitively, order kept), followed by `appending`: copied at most once, and not at
    /// all when nothing goes and nothing is added.
    ///
    /// Runs on every request and every response (most upstreams send `Connection: keep-alive`), so it reads the
    /// headers once: the copy starts at the first header that goes (the ones before it are all kept), and
    /// `Connection` tokens are scanned as bytes: only a token that names a header to remove becomes a `String`.
    /// A value with non-ASCII bytes takes the general path (Unicode whitespace trimming), so what is stripped
    /// does not depend on which path ran. Headers a `Connection` token names are taken out of the copy at the
    /// end, since the token may come after them.
    static func forwarded(
        _ headers: HTTPHeaders, dropping: [String] = [], appending: [(String, String)] = []
    ) -> HTTPHeaders {
        var listed: [String] = []
        // Once a header goes (`copying`), the headers kept so far.
        var kept: [(String, String)] = []
        var copying = false
        var position = 0
        for (name, value) in headers {
            let goes: Bool
            switch kind(of: name) {
            case .connection:
                goes = true
                if value.utf8.allSatisfy({ $0 < 0x80 }) {
                    listedASCII(in: value, into: &listed)
                } else {
                    listedGeneral(in: value, into: &listed)
                }
            case .hopByHop:
                goes = true
            case nil:
                goes = names(dropping, contain: name)
            }
            if goes {
                if !copying {
                    copying = true
                    kept = copy(headers.prefix(position), reserving: headers.count + appending.count)
                }
            } else if copying {
                kept.append((name, value))
            }
            position += 1
        }
        if !copying {
            guard !appending.isEmpty else { return headers }
            kept = copy(headers[...], reserving: headers.count + appending.count)
        }
        if !listed.isEmpty { kept.removeAll { names(listed, contain: $0.0) } }
        kept.append(contentsOf: appending)
        return HTTPHeaders(kept)
    }

    private static func copy(_ headers: HTTPHeaders.SubSequence, reserving capacity: Int) -> [(String, String)] {
        var copied: [(String, String)] = []
        copied.reserveCapacity(capacity)
        for (name, value) in headers { copied.append((name, value)) }
        return copied
    }

    /// Whether `list` (lower-case names) holds `name`, compared as header names are.
    private static func names(_ list: [String], contain name: String) -> Bool {
        for candidate in list where candidate.caseInsensitiveEquals(name) { return true }
        return false
    }

    /// How a header name takes part in the hop's rewriting.
    enum Kind { case connection, hopByHop }

    /// `.connection` for `Connection` (which may name more), `.hopByHop` for the names that are always removed
    /// (`Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding` — the encoder re-frames bodies for
    /// the next hop —, `Upgrade`, `Proxy-Authorization`, `Proxy-Authenticate`), nil for end-to-end headers.
    /// Runs for every header of every request and response, so it decides by length first and compares bytes in
    /// place.
    static func kind(of name: String) -> Kind? {
        let reference: String
        switch name.utf8.count {
        case 2: reference = "te"
        case 7:
            return "trailer".caseInsensitiveEquals(name) || "upgrade".caseInsensitiveEquals(name) ? .hopByHop : nil
        case 10:
            if "connection".caseInsensitiveEquals(name) { return .connection }
            reference = "keep-alive"
        case 16: reference = "proxy-connection"
        case 17: reference = "transfer-encoding"
        case 18: reference = "proxy-authenticate"
        case 19: reference = "proxy-authorization"
        default: return nil
        }
        return reference.caseInsensitiveEquals(name) ? .hopByHop : nil
    }

    /// The `Connection` tokens of an ASCII value that name headers to remove (trimmed of spaces and tabs). Reads
    /// the value's bytes in place: the common `keep-alive` and `close` become no `String` at all, and a value that
    /// is just one of them is not scanned.
    private static func listedASCII(in value: String, into present: inout [String]) {
        if value.caseInsensitiveEquals("keep-alive") || value.caseInsensitiveEquals("close") { return }
        var value = value
        value.withUTF8 { bytes in
            var tokenStart = 0
            while tokenStart < bytes.count {
                var tokenEnd = tokenStart
                while tokenEnd < bytes.count, bytes[tokenEnd] != UInt8(ascii: ",") { tokenEnd += 1 }
                var start = tokenStart
                var end = tokenEnd
                while start < end, isASCIISpace(bytes[start]) { start += 1 }
                while start < end, isASCIISpace(bytes[end - 1]) { end -= 1 }
                if start < end {
                    let token = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    // A caller must not be able to strip what identifies or frames the request for the next hop.
                    if !protectedASCII.contains(where: { caseInsensitiveEquals(token, $0) }) {
                        present.append(String(decoding: token, as: UTF8.self).lowercased())
                    }
                }
                tokenStart = tokenEnd + 1
            }
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

    private static func caseInsensitiveEquals(_ token: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        token.count == name.utf8.count
            && token.elementsEqual(name.utf8) { x, y in (x | 0x20) == (y | 0x20) && (x >= 0x41 || x == y) }
    }
}

extension String {
    /// ASCII case-insensitive equality (header names are ASCII): equal lengths, then bytes compared in place.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        let inPlace = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                for index in 0..<a.count where !Self.sameLetter(a[index], b[index]) { return false }
                return true
            }
        }
        if let inPlace, let result = inPlace { return result }
        return utf8.elementsEqual(other.utf8, by: Self.sameLetter)
    }

    /// Equal bytes, or the same ASCII letter in either case.
    @inline(__always)
    private static func sameLetter(_ a: UInt8, _ b: UInt8) -> Bool {
        (a | 0x20) == (b | 0x20) && (a >= 0x41 || a == b)
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
