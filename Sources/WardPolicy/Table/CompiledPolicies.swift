import Foundation
import WardIdentity
import WardJSON

/// The deterministic on-disk form of a validated policy set, optionally narrowed to one workload, with a
/// SHA-256 content hash the loader verifies.
///
/// The proxy loads this instead of sources: no directory walk, no lints, and a hash to log and compare across
/// a fleet ("which policies is this proxy enforcing?"). It stores the canonical policies (every rule id
/// explicit); the bitset indexes are rebuilt in memory by `table(for:)` in milliseconds, so the file stays
/// small, reviewable and independent of the in-memory layout.
public struct CompiledPolicies: Sendable {
    public static let format = "ward-policy-table/1"

    public let set: PolicySet
    /// The workload the file was narrowed to, if any.
    public let target: String?
    /// SHA-256 (hex) of the canonical body; identical inputs give identical hashes.
    public let sha256: String

    /// Canonical body for `set` narrowed to `target` (policies that do not apply to it are dropped).
    public init(set: PolicySet, target: String? = nil) {
        let kept = target.map { set.policies(for: $0) } ?? set.policies
        self.set = PolicySet(policies: kept)
        self.target = target
        self.sha256 = Digest.sha256Hex(Array(Self.body(kept, target: target).serialized(.compact, sortKeys: true).utf8))
    }

    static func body(_ policies: [Policy], target: String?) -> JSONValue {
        .object(JSONObject([
            (key: "format", value: .string(format)),
            (key: "target", value: target.map(JSONValue.string) ?? .null),
            (key: "policies", value: .array(policies.map(\.json))),
        ]))
    }

    /// The file's text: pretty, keys sorted, with `sha256` and `rules` (a count, for people) beside the body.
    public var serialized: String {
        guard case .object(var object) = Self.body(set.policies, target: target) else { return "" }
        object["rules"] = .int(Int64(set.ruleCount))
        object["sha256"] = .string(sha256)
        return JSONValue.object(object).serialized(.pretty, sortKeys: true) + "\n"
    }

    /// Why a table file was refused.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let code: String
        public let message: String
        public var description: String { message }
    }

    /// Parses and verifies a table file's bytes; `source` names it in errors.
    public static func load(bytes: [UInt8], source: String) throws(LoadError) -> CompiledPolicies {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: bytes, source: source) } catch {
            throw LoadError(code: "table.json", message: error.description)
        }
        guard case .object(let object) = json, object["format"]?.stringValue == format else {
            throw LoadError(code: "table.format", message: "\(source): not a Ward policy table (expected \"format\": \"\(format)\"); create one with `ward policy compile`")
        }
        guard let stored = object["sha256"]?.stringValue, case .array(let items)? = object["policies"] else {
            throw LoadError(code: "table.format", message: "\(source): missing \"sha256\" or \"policies\"")
        }
        let target = object["target"]?.stringValue
        var parser = PolicyParser(file: source)
        let policies = items.enumerated().compactMap { parser.parsePolicy($1, at: "policies[\($0)]") }
        if let first = parser.diagnostics.first {
            throw LoadError(code: "table.invalid", message: "\(first) (\(parser.diagnostics.count) problem(s) in the table)")
        }
        let loaded = CompiledPolicies(set: PolicySet(policies: policies), target: target)
        guard loaded.sha256 == stored, loaded.set.policies.count == policies.count else {
            throw LoadError(code: "table.hash", message: "\(source): content hash mismatch (stored \(stored), computed \(loaded.sha256)); the file was edited or damaged, compile it again")
        }
        return loaded
    }

    /// Reads and verifies a table file.
    public static func load(path: String) throws -> CompiledPolicies {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try load(bytes: [UInt8](data), source: path)
    }

    /// The decision table for one workload.
    public func table(for target: String) -> DecisionTable { DecisionTable(compiling: set, target: target) }
}
