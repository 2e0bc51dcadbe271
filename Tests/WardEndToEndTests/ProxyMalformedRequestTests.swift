import Foundation
import Testing
import WardJSON

/// Malformed or ambiguous requests are refused before authorization, with the status and close behaviour the
/// proxy promises. Sent as raw bytes over real mTLS from Python.
@Suite("ward proxy: malformed requests", .serialized)
struct ProxyMalformedRequestTests {
    @Test func framingAmbiguitiesAre400AndClose() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            cases = {
              "cl_and_te": b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
              "two_cl": b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
              "cl_list": b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
              "te_gzip": b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
              "te_gzip_chunked": b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
              "garbage": b"\x00\x01GARBAGE\r\n\r\n",
              "bad_chunk": b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            }
            print(json.dumps({name: raw(req) for name, req in cases.items()}))
            """#)
        for name in ["cl_and_te", "two_cl", "cl_list", "te_gzip", "te_gzip_chunked", "garbage"] {
            let outcome = try #require(result[name]?.arrayValue, "\(name)")
            #expect(outcome[0].stringValue?.hasPrefix("HTTP/1.1 400") == true, "\(name): \(outcome)")
            #expect(outcome[1] == true, "\(name) must close the connection")
        }
        // A broken chunk after an allowed head: the request never completes upstream; the caller gets an error
        // status or a closed connection, never a 200.
        let badChunk = try #require(result["bad_chunk"]?.arrayValue)
        #expect(badChunk[0].stringValue?.contains(" 200 ") != true)
        #expect(badChunk[1] == true)
        // Nothing of these reached the upstream as an allowed request.
        #expect(harness.accessLog(waitFor: 6).filter { $0["status"] == .int(200) }.isEmpty)
    }

    @Test func badPathsAre400AndKeepTheConnection() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            """
            conn = http.client.HTTPSConnection(HOST, PORT, context=tls_context())
            out = []
            for path in ["/a%2Fb", "/a%zz", "relative", "/ok/../orders/1", "/a\\\\b"]:
                conn.putrequest("GET", path, skip_host=False)
                conn.endheaders()
                r = conn.getresponse(); r.read()
                out.append(r.status)
            print(json.dumps(out))
            """, as: "ns/shop/sa/frontend")
        #expect(result == [400, 400, 400, 200, 400])
    }

    @Test func http10AndConnectAreHandledSafely() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            print(json.dumps([raw(b"GET /orders/1 HTTP/1.0\r\n\r\n"),
                              raw(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")]))
            """#, as: "ns/shop/sa/frontend")
        let outcomes = result.arrayValue ?? []
        #expect(outcomes.first?.arrayValue?[0].stringValue?.hasPrefix("HTTP/1.0 200") == true, "\(outcomes)")
        #expect(outcomes.first?.arrayValue?[1] == true)
        #expect(outcomes.last?.arrayValue?[0].stringValue?.hasPrefix("HTTP/1.1 400") == true, "\(outcomes)")
        #expect(outcomes.last?.arrayValue?[1] == true)
    }

    @Test func missingHostIs400() throws {
        let harness = try ProxyHarness()
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            print(json.dumps([raw(b"GET /orders/1 HTTP/1.1\r\n\r\n")[0],
                              raw(b"GET /orders/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")[0]]))
            """#, as: "ns/shop/sa/frontend")
        for line in result.arrayValue ?? [] { #expect(line.stringValue?.hasPrefix("HTTP/1.1 400") == true) }
    }

    @Test func oversizedHeadersAre431() throws {
        let harness = try ProxyHarness(extraArgs: ["--max-header-bytes", "4096"])
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            big = b"GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n"
            many = b"GET /orders/1 HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 60) for i in range(100)) + b"\r\n"
            small = b"GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-Small: " + b"a" * 1000 + b"\r\n\r\n"
            print(json.dumps([raw(big), raw(many), raw(small)]))
            """#, as: "ns/shop/sa/frontend")
        let outcomes = result.arrayValue ?? []
        #expect(outcomes.count == 3)
        for outcome in outcomes.prefix(2) {
            #expect(outcome.arrayValue?[0].stringValue?.hasPrefix("HTTP/1.1 431") == true, "\(outcome)")
            #expect(outcome.arrayValue?[1] == true)
        }
        #expect(outcomes.last?.arrayValue?[0].stringValue?.hasPrefix("HTTP/1.1 200") == true)
    }

    @Test func idleKeepAliveConnectionsAreClosed() throws {
        let harness = try ProxyHarness(extraArgs: ["--idle-timeout", "1"])
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            s = tls_context().wrap_socket(socket.create_connection((HOST, PORT)), server_hostname=HOST)
            s.sendall(b"GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            data = b""
            while b"}" not in data:
                data += s.recv(65536)
            start = time.time()
            closed = False
            try:
                closed = s.recv(65536) == b""
            except ssl.SSLError:
                closed = True
            print(json.dumps({"first": data.split(b"\r\n")[0].decode(), "closed": closed, "after": time.time() - start}))
            """#, as: "ns/shop/sa/frontend")
        #expect(result["first"] == "HTTP/1.1 200 OK")
        #expect(result["closed"] == true)
        let after = result["after"].flatMap { value -> Double? in
            if case .double(let d) = value { return d }
            return value.intValue.map(Double.init)
        } ?? 99
        #expect(after > 0.5 && after < 4, "closed after \(after) s")
    }

    @Test func slowHeadersGet408() throws {
        let harness = try ProxyHarness(extraArgs: ["--header-timeout", "1"])
        defer { harness.stop() }
        let result = try harness.python(
            #"""
            s = tls_context().wrap_socket(socket.create_connection((HOST, PORT)), server_hostname=HOST)
            s.sendall(b"GET /orders/1 HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.4)
            s.sendall(b"X-Slow: 1\r\n")  # still trickling, never finishing
            s.settimeout(5)
            start = time.time()
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
            except Exception:
                pass
            print(json.dumps({"status": data.split(b"\r\n")[0].decode(), "after": time.time() - start}))
            """#, as: "ns/shop/sa/frontend")
        #expect(result["status"] == .string("HTTP/1.1 408 Request Timeout"))
        #expect(harness.accessLog(waitFor: 1).contains { $0["status"] == .int(408) })
    }
}
