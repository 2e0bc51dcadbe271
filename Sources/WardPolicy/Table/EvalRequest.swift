import WardJSON

/// A request as written for `ward policy eval`, `explain`, `bench` and `*.test.json` files:
/// `{"target", "principal", "method", "path", "host", "port", "sourceIP", "sni", "headers"}`.
///
/// The path is kept raw; `facts()` normalizes it with `NormalizedPath`, exactly as the proxy will.
public struct EvalRequest: Sendable {
    public var target: String
    public var principal: String
    public var method: String
    public var path: String
    public var host: String?
    public var port: Int?
    public var sourceIP: IPAddress?
    public var sni: String?
    public var headers: [(name: String, value: String)]

    /// Why a request object is malformed.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    static let fields = ["target", "principal", "method", "path", "host", "port", "sourceIP", "sni", "headers"]

    public init(json: JSONValue) throws(FormatError) {
        guard case .object(let object) = json else {
            throw FormatError(message: "a request must be a JSON object, found \(json.typeName)")
        }
        for key in object.keys where !Self.fields.contains(key) {
            throw FormatError(message: "unknown request field \"\(key)\"; known fields are \(Self.fields.joined(separator: ", "))")
        }
        func string(_ key: String, required: Bool) throws(FormatError) -> String? {
            switch object[key] {
            case .string(let s)?: return s
            case nil where !required, .null? where !required: return nil
            case nil, .null?: throw FormatError(message: "request field \"\(key)\" is required")
            case let other?: throw FormatError(message: "request field \"\(key)\" must be a string, found \(other.typeName)")
            }
        }
        target = try string("target", required: true)!
        principal = try string("principal", required: true)!
        method = try string("method", required: true)!
        path = try string("path", required: true)!
        host = try string("host", required: false)
        sni = try string("sni", required: false)
        switch object["port"] {
        case nil, .null?: port = nil
        case .int(let n)? where n >= 1 && n <= 65535: port = Int(n)
        case let other?: throw FormatError(message: "request field \"port\" must be a port number, found \(other)")
        }
        if let ip = try string("sourceIP", required: false) {
            guard let address = IPAddress(ip) else { throw FormatError(message: "\"\(ip)\" is not an IP address") }
            sourceIP = address
        } else {
            sourceIP = nil
        }
        headers = []
        switch object["headers"] {
        case nil, .null?: break
        case .object(let members)?:
            for member in members.members {
                guard case .string(let value) = member.value else {
                    throw FormatError(message: "header \"\(member.key)\" must have a string value")
                }
                headers.append((member.key, value))
            }
        case let other?: throw FormatError(message: "request field \"headers\" must be an object, found \(other.typeName)")
        }
    }

    /// Parses one request from JSON text.
    public init(text: String, source: String = "<request>") throws {
        try self.init(json: try JSONValue.parse(text, source: source))
    }

    /// Normalizes the path and splits the request into its connection and request halves.
    public func facts() throws(NormalizedPath.BadRequest) -> (request: RequestFacts, connection: ConnectionFacts) {
        let normalized = try NormalizedPath(path)
        return (RequestFacts(method: method, path: normalized.path, host: host, port: port, headers: headers),
            ConnectionFacts(principal: principal, sourceIP: sourceIP, sni: sni))
    }
}

/// The answer line of `ward policy eval`: `{"decision", "policy", "rule", "dryRun"}` (+ `"error"` for a bad
/// request, which is always denied).
public func decisionJSON(_ decision: Decision, badRequest: NormalizedPath.BadRequest? = nil) -> JSONValue {
    var object: JSONObject = [
        "decision": .string(decision.effect.rawValue),
        "policy": decision.policy.map(JSONValue.string) ?? .null,
        "rule": decision.rule.map(JSONValue.string) ?? .null,
        "dryRun": .array(decision.dryRun.map {
            ["policy": .string($0.policy), "rule": .string($0.rule), "decision": .string($0.effect.rawValue)]
        }),
    ]
    if let badRequest { object["error"] = .string(badRequest.description) }
    return .object(object)
}

/// Decides `request` against tables built on demand per target (cached in `tables`).
public func evaluate(_ request: EvalRequest, compiled: CompiledPolicies, tables: inout [String: DecisionTable])
    -> (decision: Decision, badRequest: NormalizedPath.BadRequest?)
{
    let facts: (request: RequestFacts, connection: ConnectionFacts)
    do { facts = try request.facts() } catch { return (.defaultDeny, error) }
    let table: DecisionTable
    if let cached = tables[request.target] {
        table = cached
    } else {
        table = compiled.table(for: request.target)
        tables[request.target] = table
    }
    return (table.decide(facts.request, connection: facts.connection), nil)
}
