import Foundation
import WardJSON

#if canImport(Glibc)
import Glibc
#endif

/// A long-running child process (proxy, upstream) whose output goes to files, stopped by the test.
final class BackgroundProcess: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ program: String, _ args: [String], logDirectory: String, name: String, env: [String: String] = [:]) throws {
        stdoutPath = "\(logDirectory)/\(name).out"
        stderrPath = "\(logDirectory)/\(name).err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        if program.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + args
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(env) { $1 }
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { Glibc.kill(pid, number) }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or nil if still running.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it does not exit within a few seconds.
    func stop() {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: 5) == nil {
            signal(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// SIGKILL and wait (for helpers such as the Python upstream, which may inherit a blocked SIGTERM).
    func kill() {
        guard process.isRunning else { return }
        signal(SIGKILL)
        _ = waitForExit(timeout: 5)
    }

    /// Peak resident memory (VmHWM) in KiB, from /proc.
    var peakRSSKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }
}

/// A throwaway CA and SPIFFE SVIDs made with the `openssl` command line (independent of Ward's own issuer, so the
/// proxy is also tested against certificates it did not make).
struct TestPKI {
    let directory: String
    let trustDomain: String

    static func make(in directory: String, trustDomain: String, ids: [String]) throws -> TestPKI {
        let pki = TestPKI(directory: directory, trustDomain: trustDomain)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try WardProcess.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "\(directory)/ca.key", "-out", "\(directory)/ca.pem", "-days", "2", "-subj", "/O=ward-test/CN=\(trustDomain)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "subjectAltName=URI:spiffe://\(trustDomain)",
            ])
        guard result.status == 0 else { throw HarnessError("openssl CA: \(result.stderr)") }
        for id in ids { try pki.issue(id) }
        return pki
    }

    func name(_ id: String) -> String { id.replacingOccurrences(of: "/", with: "_") }
    func cert(_ id: String) -> String { "\(directory)/\(name(id)).pem" }
    func key(_ id: String) -> String { "\(directory)/\(name(id)).key" }
    var bundle: String { "\(directory)/ca.pem" }
    func spiffeID(_ id: String) -> String { "spiffe://\(trustDomain)/\(id)" }

    /// Issues (or re-issues) an SVID for `spiffe://<td>/<id>`, with `localhost` as a DNS name so curl can verify
    /// the proxy's certificate normally.
    func issue(_ id: String, into prefix: String? = nil) throws {
        let base = prefix ?? "\(directory)/\(name(id))"
        let ext = "\(base).ext"
        try (
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=URI:spiffe://\(trustDomain)/\(id),DNS:localhost\n"
        ).write(toFile: ext, atomically: true, encoding: .utf8)
        var result = try WardProcess.run(
            "openssl",
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(base).key",
             "-out", "\(base).csr", "-subj", "/O=ward-test"])
        guard result.status == 0 else { throw HarnessError("openssl req: \(result.stderr)") }
        result = try WardProcess.run(
            "openssl",
            ["x509", "-req", "-in", "\(base).csr", "-CA", "\(directory)/ca.pem", "-CAkey", "\(directory)/ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", "\(base).pem"])
        guard result.status == 0 else { throw HarnessError("openssl x509: \(result.stderr)") }
        try? FileManager.default.removeItem(atPath: "\(base).csr")
        try? FileManager.default.removeItem(atPath: ext)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starts a real `ward proxy` in front of a small Python upstream, with real clients to talk to it.
final class ProxyHarness: @unchecked Sendable {
    static let proxyID = "ns/shop/sa/orders"
    static let clients = ["ns/shop/sa/frontend", "ns/shop/sa/admin", "ns/shop/sa/payments", "ns/batch/sa/worker"]

    let directory: String
    let pki: TestPKI
    var upstream: BackgroundProcess?
    var upstreamPort: Int
    var proxy: BackgroundProcess?
    var port: Int
    var adminPort: Int
    var accessLogPath: String { "\(directory)/access.log" }
    var policyDirectory: String { "\(directory)/policies" }

    /// The default policy (`/admin/` is listed because `{**}` needs a non-empty remainder and normalization keeps a
    /// trailing slash: without it `/admin/` and `/admin/x/..` would pass the deny). The frontend may GET anything under /orders except /orders/admin; admin may do anything
    /// except under /admin (tested with bypass shapes); the batch worker may POST /upload and GET /big/*.
    static let defaultPolicy = """
        [{"name": "orders", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
          {"id": "no-admin-paths", "effect": "deny", "to": [{"paths": ["/admin", "/admin/", "/admin/{**}"]}]},
          {"id": "frontend-reads", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/shop/sa/frontend"]}],
           "to": [{"methods": ["GET", "HEAD"], "paths": ["/orders", "/orders/{**}", "/slow", "/echo"]}]},
          {"id": "admin-all", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/shop/sa/admin"]}]},
          {"id": "batch-transfers", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/batch/sa/worker"]}],
           "to": [{"methods": ["POST", "PUT"], "paths": ["/upload"]}, {"methods": ["GET"], "paths": ["/big/{*}"]}]}
        ]}]
        """

    init(policy: String = ProxyHarness.defaultPolicy, extraArgs: [String] = [], startUpstream: Bool = true) throws {
        directory = try WardProcess.temporaryDirectory("ward-proxy")
        pki = try TestPKI.make(
            in: directory + "/pki", trustDomain: "example.org", ids: [Self.proxyID] + Self.clients)
        let policies = directory + "/policies"
        try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
        try policy.write(toFile: policies + "/orders.json", atomically: true, encoding: .utf8)
        upstreamPort = try Self.freePort()
        port = try Self.freePort()
        adminPort = try Self.freePort()
        if startUpstream { try startUpstreamServer() }
        try startProxy(extraArgs: extraArgs)
    }

    func startUpstreamServer() throws {
        let script = directory + "/upstream.py"
        try Self.upstreamScript.write(toFile: script, atomically: true, encoding: .utf8)
        let process = try BackgroundProcess(
            "python3", [script, String(upstreamPort)], logDirectory: directory, name: "upstream")
        upstream = process
        for _ in 0..<100 {
            if process.stdout.contains("READY") { return }
            usleep(50_000)
        }
        throw HarnessError("upstream did not start: \(process.stderr)")
    }

    func startProxy(extraArgs: [String]) throws {
        let args =
            [
                "proxy", "--listen", "127.0.0.1:\(port)", "--upstream", "127.0.0.1:\(upstreamPort)",
                "--admin", "127.0.0.1:\(adminPort)", "--svid", pki.cert(Self.proxyID), "--key", pki.key(Self.proxyID),
                "--bundle", pki.bundle, "--access-log", accessLogPath, "--threads", "2", "--reload-interval", "0.2",
            ] + (extraArgs.contains("--table") ? [] : ["--policies", policyDirectory]) + extraArgs
        let process = try BackgroundProcess(WardProcess.wardPath, args, logDirectory: directory, name: "proxy")
        proxy = process
        for _ in 0..<200 {
            if admin("/readyz").status == 200 { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        throw HarnessError("proxy did not become ready: \(process.stderr)")
    }

    deinit { stop() }

    func stop() {
        proxy?.stop()
        upstream?.kill()
        if ProcessInfo.processInfo.environment["WARD_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    // MARK: Clients

    struct Response {
        var status: Int
        var body: String
        /// Body bytes received (curl's `size_download`).
        var downloaded: Int = 0
    }

    /// One request with curl presenting `id`'s SVID (nil: no client certificate), verifying the proxy's SVID.
    func curl(as id: String?, _ path: String, _ extra: [String] = [], timeout: Double = 30) -> Response {
        var args = ["-sS", "--path-as-is", "--max-time", String(timeout), "--cacert", pki.bundle]
        if let id { args += ["--cert", pki.cert(id), "--key", pki.key(id)] }
        args += extra + ["-w", "\n%{size_download}\n%{http_code}", "https://localhost:\(port)\(path)"]
        guard let result = try? WardProcess.run("curl", args) else { return Response(status: -1, body: "") }
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? -1
        let downloaded = Int(lines.popLast() ?? "") ?? 0
        return Response(status: status, body: lines.joined(separator: "\n") + result.stderr, downloaded: downloaded)
    }

    /// A plain HTTP request to the admin listener.
    func admin(_ path: String) -> Response {
        guard
            let result = try? WardProcess.run(
                "curl", ["-sS", "--max-time", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(adminPort)\(path)"])
        else { return Response(status: -1, body: "") }
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? -1
        return Response(status: status, body: lines.joined(separator: "\n"))
    }

    /// The value of one metric series from `/metrics` (0 when absent).
    func metric(_ series: String) -> Double {
        for line in admin("/metrics").body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    /// The access log's lines so far (waits for the writer's flush).
    func accessLog(waitFor count: Int = 1) -> [JSONValue] {
        var lines: [JSONValue] = []
        for _ in 0..<50 {
            let text = (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
            if lines.count >= count { break }
            usleep(50_000)
        }
        return lines
    }

    /// Runs a Python client script with the harness's connection details as variables.
    func python(_ body: String, as id: String = "ns/shop/sa/admin", timeout: Double = 120) throws -> JSONValue {
        let script = """
            import json, socket, ssl, sys, time, threading, http.client
            HOST, PORT = "localhost", \(port)
            CA, CERT, KEY = "\(pki.bundle)", "\(pki.cert(id))", "\(pki.key(id))"
            def tls_context(cert=CERT, key=KEY):
                ctx = ssl.create_default_context(cafile=CA)
                ctx.load_cert_chain(cert, key)
                return ctx
            def raw(request, read_timeout=5):
                # Sends raw bytes over mTLS; returns (status line, whether the server closed afterwards).
                s = tls_context().wrap_socket(socket.create_connection((HOST, PORT)), server_hostname=HOST)
                s.settimeout(read_timeout)
                s.sendall(request)
                data = b""
                try:
                    while b"\\r\\n\\r\\n" not in data:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                except socket.timeout:
                    pass
                status = data.split(b"\\r\\n", 1)[0].decode(errors="replace")
                closed = False
                try:
                    s.settimeout(2)
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            closed = True
                            break
                except (socket.timeout, ssl.SSLError, ConnectionError):
                    pass
                s.close()
                return status, closed
            \(body)
            """
        let result = try WardProcess.run("python3", ["-c", script])
        guard result.status == 0, let last = result.stdout.split(separator: "\n").last else {
            throw HarnessError("python client failed: \(result.stderr)")
        }
        return try JSONValue.parse(String(last))
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw HarnessError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The upstream: echoes the request as JSON (method, path, headers, body size), `/slow` waits `x-delay`
    /// seconds (`/slow?stall` after the first half of its body), `/big/N` streams N bytes, `/upload` counts the body without keeping it.
    static let upstreamScript = #"""
        import http.server, json, sys, time
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def handle_any(self):
                body = 0
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""): pass
                            break
                        while size:
                            chunk = self.rfile.read(min(size, 1 << 20)); size -= len(chunk); body += len(chunk)
                        self.rfile.readline()
                else:
                    left = int(self.headers.get("content-length") or 0)
                    while left:
                        chunk = self.rfile.read(min(left, 1 << 20)); left -= len(chunk); body += len(chunk)
                if self.path.startswith("/slow?stall"):
                    self.send_response(200)
                    self.send_header("content-length", "2000")
                    self.end_headers()
                    self.wfile.write(b"x" * 1000); self.wfile.flush()
                    time.sleep(float(self.headers.get("x-delay", "2")))
                    self.wfile.write(b"x" * 1000)
                    return
                if self.path.startswith("/slow"):
                    time.sleep(float(self.headers.get("x-delay", "2")))
                if self.path.startswith("/big/"):
                    size = int(self.path.split("/")[2])
                    self.send_response(200)
                    self.send_header("content-length", str(size))
                    self.end_headers()
                    block = b"x" * (1 << 20)
                    while size:
                        n = min(size, len(block)); self.wfile.write(block[:n]); size -= n
                    return
                out = json.dumps({"method": self.command, "path": self.path, "body_bytes": body,
                                  "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.send_header("connection", "keep-alive")
                self.send_header("x-upstream-hop", "secret")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)
            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
        server.daemon_threads = True
        print("READY", flush=True)
        server.serve_forever()
        """#
}
