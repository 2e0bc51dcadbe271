import Foundation
import Testing
import WardJSON

/// Large bodies stream through the proxy in both directions without being buffered: the proxy's peak RSS stays
/// far below the body size.
@Suite("ward proxy: streaming", .serialized)
struct ProxyStreamingTests {
    static let size = 256 << 20  // 256 MiB each way: enough to see buffering, modest on a small machine
    static let rssLimitKiB = 160 << 10

    @Test func largeUploadStreams() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let pki = harness.pki
        let id = "ns/batch/sa/worker"
        // Chunked upload from a pipe: nothing on disk, nothing sized in advance.
        let result = try WardProcess.run(
            "sh",
            ["-c",
             "head -c \(Self.size) /dev/zero | curl -sS --max-time 120 --cacert \(pki.bundle) --cert \(pki.cert(id)) "
                + "--key \(pki.key(id)) -T - https://localhost:\(harness.port)/upload"])
        #expect(result.status == 0, "\(result.stderr)")
        let echoed = try JSONValue.parse(result.stdout)
        #expect(echoed["body_bytes"] == .int(Int64(Self.size)))
        let rss = try #require(harness.proxy?.peakRSSKiB)
        #expect(rss < Self.rssLimitKiB, "proxy peak RSS \(rss) KiB after a \(Self.size >> 20) MiB upload")
    }

    @Test func largeDownloadStreams() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let response = harness.curl(
            as: "ns/batch/sa/worker", "/big/\(Self.size)", ["-o", "/dev/null"], timeout: 120)
        #expect(response.status == 200)
        #expect(response.downloaded == Self.size)
        let rss = try #require(harness.proxy?.peakRSSKiB)
        #expect(rss < Self.rssLimitKiB, "proxy peak RSS \(rss) KiB after a \(Self.size >> 20) MiB download")
    }

    @Test func slowReaderDoesNotMakeTheProxyBuffer() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        // Read a 128 MiB response at ~16 MiB/s: the upstream must be slowed down, not buffered.
        let response = harness.curl(
            as: "ns/batch/sa/worker", "/big/\(128 << 20)",
            ["--limit-rate", "16M", "-o", "/dev/null"], timeout: 60)
        #expect(response.status == 200)
        #expect(response.downloaded == 128 << 20)
        let rss = try #require(harness.proxy?.peakRSSKiB)
        #expect(rss < Self.rssLimitKiB, "proxy peak RSS \(rss) KiB with a slow reader")
    }

    @Test func keepAliveReusesUpstreamConnections() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            """
            conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context())
            ok = 0
            for i in range(50):
                conn.request("POST", "/upload", body=b"x" * 1000)
                r = conn.getresponse(); body = json.loads(r.read())
                ok += r.status == 200 and body["body_bytes"] == 1000
            print(json.dumps({"ok": ok}))
            """, as: "ns/batch/sa/worker")
        #expect(result["ok"] == 50)
    }
}
