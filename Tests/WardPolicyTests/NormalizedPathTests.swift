import Testing
import WardPolicy

@Suite("Path normalization")
struct NormalizedPathTests {
    @Test("normal forms", arguments: [
        ("/", "/"), ("/a/b", "/a/b"), ("/a/b/", "/a/b/"), ("//a///b", "/a/b"), ("/a/./b", "/a/b"),
        ("/a/b/..", "/a/"), ("/a/b/../c", "/a/c"), ("/../../a", "/a"), ("/a/.", "/a/"), ("/.", "/"),
        ("/%61%62c", "/abc"), ("/%7e%2D%2e_", "/~-._"), ("/a%3ab", "/a%3Ab"), ("/a%20b", "/a%20b"),
        ("/%2e%2e/admin", "/admin"), ("/a/%2E/b", "/a/b"), ("/a%3Bx", "/a%3Bx"), ("/A", "/A"),
    ])
    func normalForms(input: String, expected: String) throws {
        #expect(try NormalizedPath(input).path == expected)
    }

    @Test("query and fragment are split off, the query kept for forwarding")
    func queryAndFragment() throws {
        let withQuery = try NormalizedPath("/a/../b?x=1&y=/..#frag")
        #expect(withQuery.path == "/b")
        #expect(withQuery.query == "x=1&y=/..")
        #expect(withQuery.forwardTarget == "/b?x=1&y=/..")
        // Everything RFC 3986 allows literally in a query is kept as sent (escapes are not decoded there).
        #expect(try NormalizedPath("/a?x[]=1&y=%7B%22&z=a:b@c/d?e!$'()*+,;=~").query == "x[]=1&y=%7B%22&z=a:b@c/d?e!$'()*+,;=~")
        let fragmentOnly = try NormalizedPath("/b#x?y")
        #expect(fragmentOnly.path == "/b")
        #expect(fragmentOnly.query == nil)
    }

    @Test("bad requests", arguments: [
        ("/a%2Fb", "path.encoded_slash"), ("/a%2fb", "path.encoded_slash"), ("/a%5Cb", "path.encoded_backslash"),
        ("/a%00", "path.encoded_nul"), ("/a%zz", "path.invalid_escape"), ("/a%2", "path.invalid_escape"),
        ("/a%", "path.invalid_escape"), ("/a\\b", "path.backslash"), ("/a b", "path.bad_character"),
        ("/admin;x", "path.semicolon"), ("/admin;/x", "path.semicolon"),
        ("/a\u{01}", "path.bad_character"), ("/é", "path.bad_character"), ("a/b", "path.relative"), ("", "path.empty"),
        ("?x", "path.empty"), ("/a{b}", "path.bad_character"), ("/a\"b", "path.bad_character"),
        ("/a|b", "path.bad_character"), ("/a<b>", "path.bad_character"), ("/a^", "path.bad_character"),
        ("/a`", "path.bad_character"), ("/a?q={x}", "path.query_bad_character"), ("/a?q=\"b\"", "path.query_bad_character"),
        ("/a?q=a b", "path.query_bad_character"), ("/a?q=é", "path.query_bad_character"), ("/a?q=\\", "path.query_bad_character"),
    ])
    func badRequests(input: String, code: String) {
        #expect(throws: NormalizedPath.BadRequest.self) { try NormalizedPath(input) }
        do {
            _ = try NormalizedPath(input)
        } catch {
            #expect(error.code == code)
        }
    }

    /// The bypass shapes from the notes, against an allow-list with a deny on /admin.
    static let guarded = Fixture.rules("""
        [{"id": "no-admin", "effect": "deny", "to": [{"paths": ["/admin", "/admin/*"]}]},
         {"id": "public", "effect": "allow", "to": [{"paths": ["/public/{**}", "/admin"]}]}]
        """)

    @Test("bypass shapes never reach an allow for /admin", arguments: [
        "/public/../admin", "//admin", "/%61dmin", "/admin?", "/admin#", "/admin?x=/public/a", "/./admin",
        "/public/%2e%2e/admin", "/admin/", "/admin/x",
    ])
    func bypassShapesAreDenied(path: String) {
        let decision = Fixture.decide(Self.guarded, path: path)
        #expect(decision.effect == .deny)
        #expect(decision.rule == "no-admin")
    }

    @Test("encoded slash and backslash are refused before matching", arguments: ["/admin%2F", "/public%2F..%2Fadmin", "/public\\..\\admin", "/admin%5C"])
    func encodedSeparatorsAreRejected(path: String) {
        #expect(throws: NormalizedPath.BadRequest.self) { try NormalizedPath(path) }
    }

    @Test("case is not folded: /ADMIN is another path; matrix parameters (/admin;x) are refused outright")
    func caseIsLiteralAndMatrixIsRefused() {
        // Not equal to /admin, so an allow-list never allows it by accident.
        let allowList = Fixture.rules("[{\"effect\": \"allow\", \"to\": [{\"paths\": [\"/admin\"]}]}]")
        #expect(!Fixture.decide(allowList, path: "/ADMIN").isAllowed)
        // `/admin;x` is `/admin` to Tomcat and Spring but not to a matcher: neither allowed nor denied, refused.
        #expect {
            try NormalizedPath("/admin;x")
        } throws: { error in
            (error as? NormalizedPath.BadRequest)?.code == "path.semicolon"
        }
    }
}
