import Testing

@testable import WardPolicy

@Suite("Path normalization: the already-normal fast path")
struct NormalizedPathFastPathTests {
    /// Every path over a small alphabet of the bytes that matter (slash, dot, escapes, refused bytes) up to five
    /// bytes: whenever the fast check says "already normal", the full normalization returns the input unchanged.
    /// So the fast path can never admit or forward anything the full one would change or refuse.
    @Test("the fast path agrees with the full normalization on every short path")
    func agreesExhaustively() {
        let alphabet: [UInt8] = Array("/.a%;2e [\\".utf8)
        var taken = 0
        var paths: [[UInt8]] = [[]]
        for _ in 1...5 {
            paths = paths.flatMap { prefix in alphabet.map { prefix + [$0] } }
            for bytes in paths {
                let raw = Substring(String(decoding: bytes, as: UTF8.self))
                guard NormalizedPath.isNormal(raw) else { continue }
                taken += 1
                let full = try? NormalizedPath.normalize(raw)
                #expect(full == String(raw), "fast path admitted \(raw) but normalization gives \(full ?? "an error")")
            }
        }
        #expect(taken > 500)  // the check is not vacuous
    }

    @Test("ordinary paths take the fast path; ones that need work do not", arguments: [
        ("/", true), ("/api/items", true), ("/a/b/", true), ("/.well-known/x", true), ("/a/.../b", true),
        ("/a/..b", true), ("//a", false), ("/a/./b", false), ("/a/..", false), ("/a/.", false), ("/%61", false),
        ("/a;b", false), ("/a b", false), ("a/b", false), ("", false),
    ])
    func takesFastPath(path: String, fast: Bool) throws {
        #expect(NormalizedPath.isNormal(Substring(path)) == fast)
    }

    @Test("a target without query keeps the caller's string; with a query, only the path part")
    func keepsTarget() throws {
        #expect(try NormalizedPath("/api/items").path == "/api/items")
        let withQuery = try NormalizedPath("/api/items?x=1#f")
        #expect(withQuery.path == "/api/items")
        #expect(withQuery.query == "x=1")
        #expect(withQuery.forwardTarget == "/api/items?x=1")
    }
}
