import Testing
import WardPolicy

@Suite("Validation errors")
struct ValidationTests {
    /// Wraps one rule into a valid policy array and returns the diagnostics' descriptions.
    func errors(rule: String) -> [Diagnostic] {
        errors(policy: #"{"name": "p", "target": "spiffe://example.org/x", "rules": [\#(rule)]}"#)
    }

    func errors(policy: String) -> [Diagnostic] {
        Fixture.parse("[\(policy)]", file: "policies/orders.json").diagnostics.filter { $0.severity == .error }
    }

    @Test("the issue's example, word for word")
    func issueExample() {
        let text = """
            [{"name": "orders", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": [
              {"effect": "allow"}, {"effect": "allow"},
              {"effect": "allow", "to": [{"methods": ["GET", "get"]}]}]}]
            """
        let diagnostics = Fixture.parse(text, file: "policies/orders.json").diagnostics
        #expect(diagnostics.map(\.description) == [
            #"policies/orders.json: [0].rules[2].to[0].methods[1]: "get" is not an HTTP method; methods are upper case, e.g. "GET""#
        ])
        #expect(diagnostics.first?.code == "policy.method.case")
        #expect(diagnostics.first?.location == "[0].rules[2].to[0].methods[1]")
    }

    @Test("rule-level errors, each with its code and location", arguments: [
        (#"{"effect": "allow", "to": [{"method": ["GET"]}]}"#, "policy.field.unknown", "[0].rules[0].to[0].method", "did you mean \"methods\""),
        (#"{"effect": "allow", "form": []}"#, "policy.field.unknown", "[0].rules[0].form", "did you mean \"from\""),
        (#"{"to": [{"methods": ["GET"]}]}"#, "policy.field.missing", "[0].rules[0]", "\"effect\""),
        (#"{"effect": "permit"}"#, "policy.effect.invalid", "[0].rules[0].effect", "\"allow\" or \"deny\""),
        (#"{"effect": 1}"#, "policy.field.type", "[0].rules[0].effect", "expected a string"),
        (#"{"effect": "allow", "to": [{"methods": ["FETCH"]}]}"#, "policy.method.unknown", "[0].rules[0].to[0].methods[0]", "use one of GET"),
        (#"{"effect": "allow", "to": [{"methods": []}]}"#, "policy.field.empty", "[0].rules[0].to[0].methods", "remove \"methods\""),
        (#"{"effect": "allow", "to": []}"#, "policy.field.empty", "[0].rules[0].to", "remove \"to\""),
        (#"{"effect": "allow", "to": [{}]}"#, "policy.operation.empty", "[0].rules[0].to[0]", "matches any request"),
        (#"{"effect": "allow", "from": [{}]}"#, "policy.source.empty", "[0].rules[0].from[0]", "matches any caller"),
        (#"{"effect": "allow", "to": "GET"}"#, "policy.field.type", "[0].rules[0].to", "expected an array"),
        (#"{"effect": "allow", "to": [{"paths": ["orders"]}]}"#, "policy.path.relative", "[0].rules[0].to[0].paths[0]", "must start with \"/\""),
        (#"{"effect": "allow", "to": [{"paths": ["/a/../b"]}]}"#, "policy.path.not_normalized", "[0].rules[0].to[0].paths[0]", "write \"/b\""),
        (#"{"effect": "allow", "to": [{"paths": ["//a*"]}]}"#, "policy.path.not_normalized", "[0].rules[0].to[0].paths[0]", "write \"/a*\""),
        (#"{"effect": "allow", "to": [{"paths": ["/a?x=1"]}]}"#, "policy.path.not_normalized", "[0].rules[0].to[0].paths[0]", "never match"),
        (#"{"effect": "allow", "to": [{"paths": ["/a/*/b"]}]}"#, "policy.path.wildcard", "[0].rules[0].to[0].paths[0]", "{*}"),
        (#"{"effect": "allow", "to": [{"paths": ["/a/{**}/b"]}]}"#, "policy.path.template", "[0].rules[0].to[0].paths[0]", "must be the last"),
        (#"{"effect": "allow", "to": [{"paths": ["/a/x{*}"]}]}"#, "policy.path.template", "[0].rules[0].to[0].paths[0]", "whole"),
        (#"{"effect": "allow", "to": [{"paths": ["/a/{x}"]}]}"#, "policy.path.template", "[0].rules[0].to[0].paths[0]", "not a template segment"),
        (#"{"effect": "allow", "to": [{"paths": [""]}]}"#, "policy.path.empty", "[0].rules[0].to[0].paths[0]", "empty"),
        (#"{"effect": "allow", "to": [{"hosts": ["a.example.org:443"]}]}"#, "policy.host.port", "[0].rules[0].to[0].hosts[0]", "use \"ports\""),
        (#"{"effect": "allow", "to": [{"hosts": ["[::1]:8443"]}]}"#, "policy.host.port", "[0].rules[0].to[0].hosts[0]", "write \"[::1]\""),
        (#"{"effect": "allow", "to": [{"hosts": ["a*b"]}]}"#, "policy.pattern.invalid", "[0].rules[0].to[0].hosts[0]", "inside"),
        (#"{"effect": "allow", "to": [{"ports": [0]}]}"#, "policy.port.range", "[0].rules[0].to[0].ports[0]", "1 to 65535"),
        (#"{"effect": "allow", "to": [{"notPorts": [70000]}]}"#, "policy.port.range", "[0].rules[0].to[0].notPorts[0]", "1 to 65535"),
        (#"{"effect": "allow", "to": [{"ports": ["8080"]}]}"#, "policy.port.type", "[0].rules[0].to[0].ports[0]", "without quotes"),
        (#"{"effect": "allow", "from": [{"principals": ["spiffe://Example.org/a"]}]}"#, "policy.spiffe.invalid", "[0].rules[0].from[0].principals[0]", "lowercase"),
        (#"{"effect": "allow", "from": [{"principals": ["example.org/a"]}]}"#, "policy.spiffe.invalid", "[0].rules[0].from[0].principals[0]", "spiffe://"),
        (#"{"effect": "allow", "from": [{"notPrincipals": ["spiffe://*"]}]}"#, "policy.spiffe.pattern", "[0].rules[0].from[0].notPrincipals[0]", "trust domain"),
        (#"{"effect": "allow", "from": [{"principals": ["spiffe://a/*/b"]}]}"#, "policy.spiffe.pattern", "[0].rules[0].from[0].principals[0]", "optionally ending"),
        (#"{"effect": "allow", "from": [{"ipBlocks": ["10.0.0.1/8"]}]}"#, "policy.cidr.invalid", "[0].rules[0].from[0].ipBlocks[0]", "did you mean \"10.0.0.0/8\""),
        (#"{"effect": "allow", "from": [{"notIpBlocks": ["10.0.0.0/33"]}]}"#, "policy.cidr.invalid", "[0].rules[0].from[0].notIpBlocks[0]", "not an IP block"),
        (#"{"effect": "allow", "from": [{"ipBlocks": ["2001:db8::g/32"]}]}"#, "policy.cidr.invalid", "[0].rules[0].from[0].ipBlocks[0]", "not an IP block"),
        (#"{"effect": "allow", "when": [{"key": "request.header[x]", "values": ["1"]}]}"#, "policy.condition.key", "[0].rules[0].when[0].key", "request.headers[NAME]"),
        (#"{"effect": "allow", "when": [{"key": "request.headers[a b]", "values": ["1"]}]}"#, "policy.condition.header_name", "[0].rules[0].when[0].key", "not a header name"),
        (#"{"effect": "allow", "when": [{"key": "source.ip", "values": ["1"], "notValues": ["2"]}]}"#, "policy.condition.values", "[0].rules[0].when[0]", "not both"),
        (#"{"effect": "allow", "when": [{"key": "source.ip"}]}"#, "policy.condition.values", "[0].rules[0].when[0]", "missing"),
        (#"{"effect": "allow", "when": [{"key": "source.ip", "values": ["nope"]}]}"#, "policy.cidr.invalid", "[0].rules[0].when[0].values[0]", "not an IP block"),
        (#"{"id": "has space", "effect": "allow"}"#, "policy.rule.id_invalid", "[0].rules[0].id", "without spaces"),
        (#""allow""#, "policy.type", "[0].rules[0]", "expected a rule"),
    ])
    func ruleErrors(rule: String, code: String, location: String, fix: String) {
        let found = errors(rule: rule)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.code == code)
        #expect(found.first?.location == location)
        #expect(found.first?.message.contains(fix) == true, "\(found.first?.message ?? "")")
        #expect(found.first?.file == "policies/orders.json")
    }

    @Test("policy-level errors", arguments: [
        (#"{"name": "p", "rules": [{"effect": "allow"}]}"#, "policy.field.missing", "[0]"),
        (#"{"name": "p", "target": "spiffe://example.org/x"}"#, "policy.field.missing", "[0]"),
        (#"{"name": "p", "target": [], "rules": [{"effect": "allow"}]}"#, "policy.field.empty", "[0].target"),
        (#"{"name": "p", "target": 3, "rules": [{"effect": "allow"}]}"#, "policy.field.type", "[0].target"),
        (#"{"name": "p", "target": "spiffe://example.org/x", "rules": []}"#, "policy.field.empty", "[0].rules"),
        (#"{"name": "p q", "target": "spiffe://example.org/x", "rules": [{"effect": "allow"}]}"#, "policy.name.invalid", "[0].name"),
        (#"{"name": "p", "target": "spiffe://example.org/x", "mode": "audit", "rules": [{"effect": "allow"}]}"#, "policy.mode.invalid", "[0].mode"),
        (#"{"name": "p", "target": ["spiffe://example.org/x", "spiffe://example.org/x/"], "rules": [{"effect": "allow"}]}"#, "policy.spiffe.invalid", "[0].target[1]"),
        (#"{"name": "p", "target": "spiffe://example.org/x", "rules": [{"effect": "allow"}], "enabled": true}"#, "policy.field.unknown", "[0].enabled"),
        (#"{"name": "p", "target": "spiffe://example.org/x", "rules": [{"id": "a", "effect": "allow"}, {"id": "a", "effect": "deny"}]}"#, "policy.rule.duplicate_id", "[0].rules[1].id"),
    ])
    func policyErrors(policy: String, code: String, location: String) {
        let found = errors(policy: policy)
        #expect(found.map(\.code) == [code])
        #expect(found.first?.location == location)
    }

    @Test("file-level errors: JSON syntax with line and column, duplicate keys, wrong shapes, duplicate names")
    func fileErrors() {
        let syntax = Fixture.parse("[{\"name\": \"p\",\n  \"target\" \"x\"}]").diagnostics
        #expect(syntax.map(\.code) == ["policy.json"])
        #expect(syntax.first?.location.hasPrefix("line 2") == true)
        let duplicateKey = Fixture.parse(#"{"name": "p", "name": "q", "target": "spiffe://e/x", "rules": [{"effect": "allow"}]}"#).diagnostics
        #expect(duplicateKey.map(\.code) == ["policy.json"])
        #expect(Fixture.parse("[]").diagnostics.map(\.code) == ["policy.file.empty"])
        #expect(Fixture.parse("42").diagnostics.map(\.code) == ["policy.file.type"])
        let duplicate = PolicySet.parse(files: [
            (name: "policies/a.json", bytes: Array(#"{"name": "p", "target": "spiffe://e/x", "rules": [{"effect": "allow"}]}"#.utf8)),
            (name: "policies/b.json", bytes: Array(#"[{"name": "p", "target": "spiffe://e/y", "rules": [{"effect": "allow"}]}]"#.utf8)),
        ]).diagnostics
        #expect(duplicate.map(\.description) == [
            #"policies/b.json: [0].name: policy name "p" is already used by policies/a.json; policy names must be unique"#
        ])
    }

    @Test("every problem in a file is reported, not just the first")
    func allProblems() {
        let found = errors(rule: #"{"effect": "allow", "to": [{"methods": ["get", "put"], "ports": [0]}]}"#)
        #expect(found.map(\.location) == ["[0].rules[0].to[0].methods[0]", "[0].rules[0].to[0].methods[1]", "[0].rules[0].to[0].ports[0]"])
    }
}

@Suite("Lints")
struct LintTests {
    func warnings(_ rules: String, extra: String = "") -> [Diagnostic] {
        let text = #"[{"name": "p", "target": "spiffe://example.org/ns/shop/sa/orders", "rules": \#(rules)}\#(extra)]"#
        let (_, diagnostics) = Fixture.parse(text)
        #expect(!diagnostics.hasErrors)
        return diagnostics.filter { $0.severity == .warning }
    }

    @Test("rules that can never match", arguments: [
        #"{"effect": "allow", "to": [{"methods": ["GET"], "notMethods": ["GET"]}]}"#,
        #"{"effect": "allow", "to": [{"ports": [80], "notPorts": [80, 81]}]}"#,
        #"{"effect": "allow", "to": [{"paths": ["/a/b"], "notPaths": ["/a/*"]}]}"#,
        #"{"effect": "allow", "to": [{"hosts": ["a.example.org"], "notHosts": ["*.example.org"]}]}"#,
        #"{"effect": "allow", "from": [{"principals": ["spiffe://example.org/a"], "notPrincipals": ["spiffe://example.org/*"]}]}"#,
        #"{"effect": "allow", "from": [{"ipBlocks": ["10.1.0.0/16"], "notIpBlocks": ["10.0.0.0/8"]}]}"#,
        #"{"effect": "allow", "when": [{"key": "request.headers[x]", "values": ["1"]}, {"key": "request.headers[x]", "notValues": ["*"]}]}"#,
        #"{"effect": "allow", "when": [{"key": "request.headers[x]", "values": ["1"]}, {"key": "request.headers[x]", "values": ["2"]}]}"#,
    ])
    func neverMatches(rule: String) {
        let found = warnings("[\(rule), {\"effect\": \"allow\", \"to\": [{\"paths\": [\"/other\"]}]}]")
        #expect(found.map(\.code) == ["lint.never_matches"])
        #expect(found.first?.location == "[0].rules[0]")
        #expect(found.first?.description.contains(": warning: rule \"rules[0]\" can never match") == true)
    }

    @Test("an allow fully covered by a deny never takes effect")
    func allowShadowedByDeny() {
        let found = warnings(#"[{"id": "d", "effect": "deny", "to": [{"paths": ["/admin/*"]}]}, {"id": "a", "effect": "allow", "to": [{"methods": ["GET"], "paths": ["/admin/users"]}]}, {"effect": "allow", "to": [{"paths": ["/x"]}]}]"#)
        #expect(found.map(\.code) == ["lint.allow_shadowed_by_deny"])
        #expect(found.first?.location == "[0].rules[1]")
    }

    @Test("a rule fully covered by an earlier rule of the same effect is redundant")
    func shadowed() {
        let found = warnings(#"[{"id": "wide", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/shop/*"]}], "to": [{"paths": ["/orders/{**}"]}]}, {"id": "narrow", "effect": "allow", "from": [{"principals": ["spiffe://example.org/ns/shop/sa/frontend"]}], "to": [{"methods": ["GET"], "paths": ["/orders/17"]}]}]"#)
        #expect(found.map(\.code) == ["lint.shadowed"])
        #expect(found.first?.message.contains("earlier rule \"wide\"") == true)
        // Partial overlap is not reported.
        #expect(warnings(#"[{"effect": "allow", "to": [{"methods": ["GET"]}]}, {"effect": "allow", "to": [{"paths": ["/a"]}]}]"#).isEmpty)
    }

    @Test("a target with no allow rules denies everything")
    func noAllow() {
        let found = warnings(#"[{"effect": "deny", "to": [{"methods": ["DELETE"]}]}]"#)
        #expect(found.map(\.code) == ["lint.no_allow"])
        // An allow in another enforced policy for a covering target counts.
        let covered = warnings(#"[{"effect": "deny", "to": [{"methods": ["DELETE"]}]}]"#,
            extra: #", {"name": "q", "target": "spiffe://example.org/ns/shop/*", "rules": [{"effect": "allow", "to": [{"paths": ["/healthz"]}]}]}"#)
        #expect(covered.isEmpty)
    }

    @Test("the shipped examples are clean")
    func examplesClean() throws {
        let (_, diagnostics) = try PolicySet.load(directory: Self.policiesDirectory)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    static var policiesDirectory: String {
        // Tests/WardPolicyTests/LintTests.swift -> package root.
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/policies"
    }
}
