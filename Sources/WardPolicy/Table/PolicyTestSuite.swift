import Foundation
import WardJSON

/// The cases of a `*.test.json` file: requests with their expected decision (and optionally the deciding
/// policy and rule), run by `ward policy test` against the policies of the same directory.
///
/// File shape: `{"cases": [{"name": "...", "request": {...}, "expect": "allow"|"deny", "policy": "...",
/// "rule": "..."}]}`. `"policy": null, "rule": null` asserts the default deny.
public struct PolicyTestSuite: Sendable {
    public struct Case: Sendable {
        public let name: String
        public let request: EvalRequest
        public let expect: Rule.Effect
        /// Expected deciding policy/rule: absent = not checked; `.some(nil)` = must be the default deny.
        public let policy: String??
        public let rule: String??
    }

    /// One case's outcome.
    public struct Result: Sendable {
        public let file: String
        public let name: String
        public let passed: Bool
        /// For failures: expected versus actual, one line.
        public let detail: String
    }

    public let file: String
    public let cases: [Case]

    public init(file: String, bytes: [UInt8]) throws {
        let json = try JSONValue.parse(bytes: bytes, source: file)
        guard case .array(let items)? = json["cases"] else {
            throw PolicyLoadError(message: "\(file): expected {\"cases\": [...]}")
        }
        var cases: [Case] = []
        for (index, item) in items.enumerated() {
            let at = "\(file): cases[\(index)]"
            guard case .object(let object) = item else { throw PolicyLoadError(message: "\(at): expected an object") }
            for key in object.keys where !["name", "request", "expect", "policy", "rule"].contains(key) {
                throw PolicyLoadError(message: "\(at): unknown field \"\(key)\"")
            }
            let name = object["name"]?.stringValue ?? "cases[\(index)]"
            guard let requestJSON = object["request"] else { throw PolicyLoadError(message: "\(at): missing \"request\"") }
            let request: EvalRequest
            do { request = try EvalRequest(json: requestJSON) } catch {
                throw PolicyLoadError(message: "\(at).request: \(error.message)")
            }
            guard let expectText = object["expect"]?.stringValue, let expect = Rule.Effect(rawValue: expectText) else {
                throw PolicyLoadError(message: "\(at): \"expect\" must be \"allow\" or \"deny\"")
            }
            func optional(_ key: String) -> String?? {
                guard let value = object[key] else { return .none }
                return .some(value.stringValue)
            }
            cases.append(Case(name: name, request: request, expect: expect, policy: optional("policy"), rule: optional("rule")))
        }
        self.file = file
        self.cases = cases
    }

    /// Runs every case against `compiled`.
    public func run(_ compiled: CompiledPolicies, tables: inout [String: DecisionTable]) -> [Result] {
        cases.map { testCase in
            let (decision, bad) = evaluate(testCase.request, compiled: compiled, tables: &tables)
            var problems: [String] = []
            if decision.effect != testCase.expect { problems.append("expected \(testCase.expect.rawValue)") }
            if let policy = testCase.policy, policy != decision.policy {
                problems.append("expected policy \(policy.map { "\"\($0)\"" } ?? "none (default deny)")")
            }
            if let rule = testCase.rule, rule != decision.rule {
                problems.append("expected rule \(rule.map { "\"\($0)\"" } ?? "none (default deny)")")
            }
            let actual = bad.map { "deny (\($0))" } ?? decision.description
            return Result(file: file, name: testCase.name, passed: problems.isEmpty,
                detail: problems.isEmpty ? actual : "\(problems.joined(separator: ", ")), got \(actual)")
        }
    }
}
