import Foundation
import WardJSON

/// Every policy of a directory (or a compiled table), validated, in a fixed order.
///
/// The order (files sorted by path, policies in file order, rules in policy order) decides which rule a decision
/// names when several match, so it is deterministic and independent of the file system.
public struct PolicySet: Sendable, Hashable {
    public let policies: [Policy]

    public init(policies: [Policy]) { self.policies = policies }

    /// The policies the workload `target` enforces or dry-runs, in set order.
    public func policies(for target: String) -> [Policy] { policies.filter { $0.applies(to: target) } }

    /// Number of rules in the set.
    public var ruleCount: Int { policies.reduce(0) { $0 + $1.rules.count } }

    /// Parses in-memory files (`name` as shown in diagnostics, e.g. `policies/orders.json`). Returns the set built
    /// from every valid policy and all diagnostics; callers must not use the set when `diagnostics.hasErrors`.
    public static func parse(files: [(name: String, bytes: [UInt8])], lint: Bool = true)
        -> (set: PolicySet, diagnostics: [Diagnostic])
    {
        var diagnostics: [Diagnostic] = []
        var policies: [Policy] = []
        var seen: [String: Policy] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) {
            let json: JSONValue
            do { json = try JSONValue.parse(bytes: file.bytes, source: file.name) } catch {
                let at = error.line > 0 ? "line \(error.line), column \(error.column)" : ""
                diagnostics.append(Diagnostic(.error, code: "policy.json", file: file.name, location: at,
                    message: "invalid JSON: \(error.message)"))
                continue
            }
            var parser = PolicyParser(file: file.name)
            for policy in parser.parseFile(json) {
                if let first = seen[policy.name] {
                    diagnostics.append(Diagnostic(.error, code: "policy.name.duplicate", file: file.name,
                        location: parser.join(policy.location, "name"),
                        message: "policy name \"\(policy.name)\" is already used by \(first.file)\(first.location.isEmpty ? "" : " \(first.location)"); policy names must be unique"))
                    continue
                }
                seen[policy.name] = policy
                policies.append(policy)
            }
            diagnostics += parser.diagnostics
        }
        let set = PolicySet(policies: policies)
        if lint && !diagnostics.hasErrors { diagnostics += set.lint() }
        return (set, diagnostics)
    }

    /// Loads every `*.json` under `directory` except tests (`*.test.json`) and schemas (`*.schema.json`).
    /// File names in diagnostics are `directory` joined with the relative path.
    public static func load(directory: String, lint: Bool = true) throws -> (set: PolicySet, diagnostics: [Diagnostic]) {
        let files = try policyFiles(in: directory).map { path in
            (name: path, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        if files.isEmpty {
            return (PolicySet(policies: []), [Diagnostic(.error, code: "policy.dir.empty", file: directory,
                location: "", message: "no policy files (*.json) found")])
        }
        return parse(files: files, lint: lint)
    }

    /// Paths of files under `directory` whose names end in `suffix` (sorted), excluding tests and schemas
    /// unless `suffix` asks for them.
    public static func policyFiles(in directory: String, suffix: String = ".json") throws -> [String] {
        let base = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) else {
            throw PolicyLoadError(message: "\(base): no such file or directory")
        }
        if !isDirectory.boolValue { return [base] }
        guard let enumerator = FileManager.default.enumerator(atPath: base) else {
            throw PolicyLoadError(message: "\(base): cannot read the directory")
        }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(suffix) else { continue }
            if suffix == ".json" && (relative.hasSuffix(".test.json") || relative.hasSuffix(".schema.json")) { continue }
            result.append(base + "/" + relative)
        }
        return result.sorted()
    }
}

/// A directory or file that could not be read at all (as opposed to a policy problem).
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
