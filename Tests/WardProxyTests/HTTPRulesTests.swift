import NIOHTTP1
import Testing

@testable import WardProxy

@Suite("Request framing and header rewriting")
struct HTTPRulesTests {
    private func framing(_ pairs: [(String, String)]) -> BodyFraming { BodyFraming(HTTPHeaders(pairs)) }

    @Test func acceptsPlainFraming() {
        #expect(framing([]).problem == nil)
        #expect(framing([]).hasBody == false)
        #expect(framing([("Content-Length", "10")]).contentLength == 10)
        #expect(framing([("Content-Length", "10"), ("content-length", "10")]).problem == nil)
        #expect(framing([("Transfer-Encoding", "Chunked")]).isChunked)
    }

    @Test func refusesAmbiguousFraming() {
        #expect(framing([("Content-Length", "3"), ("Transfer-Encoding", "chunked")]).problem != nil)
        #expect(framing([("Content-Length", "3"), ("Content-Length", "4")]).problem == "conflicting_content_length")
        #expect(framing([("Content-Length", "3, 4")]).problem == "conflicting_content_length")
        #expect(framing([("Content-Length", "-1")]).problem == "conflicting_content_length")
        #expect(framing([("Transfer-Encoding", "gzip, chunked")]).problem == "unsupported_transfer_encoding")
        #expect(framing([("Transfer-Encoding", "identity")]).problem == "unsupported_transfer_encoding")
    }

    @Test func refusedBodiesCloseWhenTooBigOrAwaited() {
        #expect(!framing([("Content-Length", "100")]).mustCloseIfRefused(expectContinue: false))
        #expect(framing([("Content-Length", "100")]).mustCloseIfRefused(expectContinue: true))
        #expect(framing([("Content-Length", "\(1 << 30)")]).mustCloseIfRefused(expectContinue: false))
        #expect(framing([("Transfer-Encoding", "chunked")]).mustCloseIfRefused(expectContinue: false))
        #expect(!framing([]).mustCloseIfRefused(expectContinue: true))
    }

    @Test func stripsHopByHopHeaders() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive, X-Secret-Hop"), ("X-Secret-Hop", "1"), ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"), ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic x"), ("Transfer-Encoding", "chunked"),
            ("Host", "a"), ("X-End-To-End", "kept"),
        ])
        HopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Host", "X-End-To-End"])
    }

    @Test func connectionCannotStripHostOrFraming() {
        var headers = HTTPHeaders([
            ("Connection", "host, content-length, x-forwarded-client-cert"), ("Host", "a"), ("Content-Length", "3"),
        ])
        HopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Host", "Content-Length"])
    }

    @Test func connectionTokensAreTrimmedAndCaseInsensitive() {
        var headers = HTTPHeaders([
            ("connection", " \tX-One ,,x-TWO\t, KEEP-ALIVE,Content-Length "), ("x-one", "1"), ("X-Two", "2"),
            ("Content-Length", "3"), ("X-Three", "3"),
        ])
        HopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Content-Length", "X-Three"])
    }

    @Test func nonASCIIConnectionValuesTakeTheGeneralPath() {
        // U+00A0 is whitespace to `CharacterSet.whitespaces`: trimmed there, as before the byte-level fast path.
        var headers = HTTPHeaders([("Connection", "x-one\u{00A0}, x-é"), ("X-One", "1"), ("x-é", "2"), ("Y", "3")])
        HopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Y"])
    }

    @Test func forwardedIsWhatRemovingEachNameLeaves() {
        let original = HTTPHeaders([
            ("Host", "a"), ("Connection", "X-Hop"), ("x-hop", "1"), ("Expect", "100-continue"),
            ("X-Forwarded-Client-Cert", "forged"), ("Keep-Alive", "timeout=5"), ("Accept", "*/*"), ("X-HOP", "2"),
        ])
        var removed = original
        for name in ["connection", "x-hop", "keep-alive", "expect", "x-forwarded-client-cert"] {
            removed.remove(name: name)
        }
        let forwarded = HopByHop.forwarded(original, dropping: ["expect", ForwardedClientCert.name])
        #expect(forwarded.map { "\($0.name)=\($0.value)" } == removed.map { "\($0.name)=\($0.value)" })
        #expect(forwarded.map(\.name) == ["Host", "Accept"])
        // Nothing to drop: the same headers, not a copy.
        let plain = HTTPHeaders([("Host", "a")])
        #expect(HopByHop.forwarded(plain) == plain)
    }

    @Test func forwardedRemovesNamedHeadersThatCameBeforeConnection() {
        // Headers before the first removed one are kept as they are; a name listed later still removes them.
        let headers = HTTPHeaders([
            ("Accept", "*/*"), ("X-Hop", "1"), ("Date", "d"), ("Connection", "x-hop"), ("Server", "s"),
            ("Connection", "Keep-Alive"), ("x-hop", "2"),
        ])
        #expect(HopByHop.forwarded(headers).map(\.name) == ["Accept", "Date", "Server"])
        let close = HTTPHeaders([("Date", "d"), ("Connection", "CLOSE"), ("Server", "s")])
        #expect(HopByHop.forwarded(close).map(\.name) == ["Date", "Server"])
    }

    @Test func forwardedAppendsAfterWhatItKeeps() {
        let added = [("x-forwarded-client-cert", "By=a"), ("host", "up")]
        let withDrop = HTTPHeaders([("Connection", "close"), ("Accept", "*/*"), ("X-Forwarded-Client-Cert", "forged")])
        #expect(
            HopByHop.forwarded(withDrop, dropping: [ForwardedClientCert.name], appending: added).map { "\($0.name)=\($0.value)" }
                == ["Accept=*/*", "x-forwarded-client-cert=By=a", "host=up"])
        let nothingDropped = HTTPHeaders([("Host", "a"), ("Accept", "*/*")])
        #expect(
            HopByHop.forwarded(nothingDropped, dropping: [ForwardedClientCert.name], appending: added).map(\.name)
                == ["Host", "Accept", "x-forwarded-client-cert", "host"])
    }

    @Test func inspectedHeadersFindsOnlyWhatIsThere() {
        #expect(InspectedHeaders(HTTPHeaders([("Host", "a"), ("Accept", "*/*")])).names == [.host])
        let all = InspectedHeaders(
            HTTPHeaders([
                ("CONTENT-LENGTH", "1"), ("transfer-Encoding", "chunked"), ("expect", "100-continue"), ("HoSt", "a"),
            ]))
        #expect(all.names == [.contentLength, .transferEncoding, .expect, .host])
        #expect(InspectedHeaders(HTTPHeaders([("X-Host", "a"), ("Content-Lengthy", "1")])).names == [])
        // The shared scan and a fresh one read framing alike.
        let headers = HTTPHeaders([("Content-Length", "3, 4")])
        #expect(BodyFraming(headers, present: InspectedHeaders(headers)).problem == "conflicting_content_length")
    }

    @Test func hostsReadLikeCanonicalForm() {
        let cases: [[(String, String)]] = [
            [], [("Host", "a.example")], [("host", " \ta.example:8080\t ")], [("Host", "")], [("Host", " \t")],
            [("Host", "a,b")], [("Host", "a,")], [("Host", ",")], [("Host", "a"), ("HOST", "a")], [("X", "y")],
            [("Host", "é.example ")],
        ]
        for pairs in cases {
            let headers = HTTPHeaders(pairs)
            let hosts = InspectedHeaders(headers).hosts(in: headers)
            let canonical = headers[canonicalForm: "host"]
            #expect(hosts.count == canonical.count, "\(pairs)")
            #expect(hosts.first == canonical.first, "\(pairs)")
        }
    }

    @Test func forwardedClientCertIsEnvoyFormat() throws {
        let peer = PeerInfo(spiffeID: try .init("spiffe://example.org/a"), leafSHA256: "ab12", serverName: nil)
        #expect(
            ForwardedClientCert.value(localID: "spiffe://example.org/b", peer: peer)
                == "By=spiffe://example.org/b;Hash=ab12;URI=spiffe://example.org/a")
    }
}
