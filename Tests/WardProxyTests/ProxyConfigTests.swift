import NIOCore
import Testing
import WardJSON

@testable import WardProxy

@Suite("ProxyConfig")
struct ProxyConfigTests {
    private func parse(_ text: String) throws -> ProxyConfig {
        try ProxyConfig(json: try JSONValue.parse(text), source: "proxy.json", baseDirectory: "/etc/ward")
    }

    @Test func readsEveryKindOfValue() throws {
        let config = try parse(
            """
            {"listen": "127.0.0.1:9443", "upstream": "[::1]:8080", "protocol": "tcp", "svid": "svid.pem",
             "key": "/abs/svid.key", "bundle": "../bundle.pem", "policies": "policies", "admin": "off",
             "accessLog": "logs/access.log", "threads": 3, "upstreamTimeout": 1.5, "maxHeaderBytes": 4096,
             "debugDecisions": true, "servicePort": 8080}
            """)
        #expect(config.listen == HostPort(host: "127.0.0.1", port: 9443))
        #expect(config.upstream == HostPort(host: "::1", port: 8080))
        #expect(config.listenerProtocol == .tcp)
        #expect(config.svidFile == "/etc/ward/svid.pem")
        #expect(config.keyFile == "/abs/svid.key")
        #expect(config.bundleFile == "/etc/bundle.pem")
        #expect(config.admin == nil)
        #expect(config.accessLog == .file("/etc/ward/logs/access.log"))
        #expect(config.threads == 3)
        #expect(config.upstreamTimeout == .milliseconds(1500))
        #expect(config.maxHeaderBytes == 4096)
        #expect(config.debugDecisions)
        #expect(config.destinationPort == 8080)
        _ = try config.validated()
    }

    @Test func unknownKeyIsAnErrorNamingTheKey() {
        #expect {
            try parse(#"{"upstream": "127.0.0.1:80", "upstreamTimout": 5}"#)
        } throws: { error in
            let error = error as! ProxyError
            return error.code == "config.unknown_key" && error.message.contains("upstreamTimout")
        }
    }

    @Test func wrongTypesNameTheKey() {
        for (text, key) in [
            (#"{"threads": "two"}"#, "threads"), (#"{"listen": 8443}"#, "listen"),
            (#"{"upstreamTimeout": "5s"}"#, "upstreamTimeout"), (#"{"protocol": "udp"}"#, "protocol"),
            (#"{"listen": "localhost"}"#, "listen"), (#"{"listen": "127.0.0.1:99999"}"#, "listen"),
        ] {
            #expect {
                try parse(text)
            } throws: { error in
                (error as? ProxyError)?.message.contains(key) ?? false
            }
        }
    }

    @Test func validationNamesMissingPieces() throws {
        var config = try parse(#"{"upstream": "127.0.0.1:80", "svid": "a", "key": "b", "bundle": "c"}"#)
        #expect { try config.validated() } throws: { ($0 as? ProxyError)?.message.contains("policies") ?? false }
        config.policyDirectory = "/p"
        config.tableFile = "/t"
        #expect { try config.validated() } throws: { ($0 as? ProxyError)?.code == "config.conflict" }
        config.tableFile = nil
        config.upstream = nil
        #expect { try config.validated() } throws: { ($0 as? ProxyError)?.message.contains("upstream") ?? false }
    }

    @Test func hostPortForms() throws {
        #expect(try HostPort(parsing: "[::1]:443", what: "x") == HostPort(host: "::1", port: 443))
        #expect(try HostPort(parsing: "localhost:0", what: "x").port == 0)
        #expect(HostPort(host: "::1", port: 443).description == "[::1]:443")
        #expect(throws: ProxyError.self) { try HostPort(parsing: ":80", what: "x") }
    }
}
