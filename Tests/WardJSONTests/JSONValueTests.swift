import Testing
@testable import WardJSON

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses every JSON type and keeps object order")
    func parsesTypes() throws {
        let value = try JSONValue.parse(#"{"z": 1, "a": [true, false, null, 1.5, "s\u00e9"], "m": {}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value["z"] == .int(1))
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .double(1.5), .string("sé")]))
        #expect(value["m"] == .object([:]))
    }

    @Test("rejects duplicate keys with line and column")
    func rejectsDuplicates() {
        #expect {
            _ = try JSONValue.parse("{\n  \"a\": 1,\n  \"a\": 2\n}", source: "p.json")
        } throws: { error in
            guard let error = error as? JSONError else { return false }
            return error.line == 3 && error.source == "p.json" && error.message.contains("duplicate")
                && error.description.hasPrefix("p.json:3:")
        }
    }

    @Test("reports syntax errors", arguments: ["", "{", "[1,]", "{\"a\" 1}", "nul", "\"\\x\""])
    func syntaxErrors(text: String) {
        #expect(throws: JSONError.self) { _ = try JSONValue.parse(text) }
    }

    @Test("round-trips through serialization, compact and pretty")
    func roundTrip() throws {
        let value: JSONValue = [
            "name": "orders", "n": 42, "neg": -7, "f": 0.25, "ok": true, "none": nil,
            "list": ["a", "b\"\n\u{0}c"], "nested": ["k": ["x": 1]],
        ]
        for layout in [JSONValue.Layout.compact, .pretty] {
            let text = value.serialized(layout)
            #expect(try JSONValue.parse(text) == value)
        }
        #expect(value.serialized().contains("\n") == false)
    }

    @Test("sorted keys give a canonical form independent of member order")
    func canonical() {
        let a: JSONValue = ["b": 1, "a": ["y": 2, "x": 1]]
        let b: JSONValue = ["a": ["x": 1, "y": 2], "b": 1]
        #expect(a != b)
        #expect(a.serialized(sortKeys: true) == b.serialized(sortKeys: true))
        #expect(a.serialized(sortKeys: true) == #"{"a":{"x":1,"y":2},"b":1}"#)
    }

    @Test("object subscript sets, replaces and removes")
    func objectEditing() {
        var object: JSONObject = ["a": 1]
        object["b"] = 2
        object["a"] = 3
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 3)
        object["a"] = nil
        #expect(object.keys == ["b"])
    }
}
