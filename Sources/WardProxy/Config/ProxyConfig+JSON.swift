import Foundation
import NIOCore
import WardJSON

extension ProxyConfig {
    /// Every key a config file may hold; anything else is an error naming the key (a typo must not be ignored).
    public static let knownKeys: [String] = [
        "listen", "upstream", "protocol", "servicePort", "svid", "key", "bundle", "policies", "table", "admin", "accessLog",
        "threads", "handshakeTimeout", "headerTimeout", "idleTimeout", "upstreamConnectTimeout", "upstreamTimeout",
        "drainTimeout", "maxHeaderBytes", "upstreamPoolSize", "reloadInterval", "allowTLS12", "debugDecisions",
    ]

    /// Loads a JSON config file. Relative paths inside resolve against the file's directory.
    public static func load(file path: String) throws(ProxyError) -> ProxyConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProxyError("config.unreadable", "\(path): cannot read the config file")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes: Array(data), source: path)
        } catch {
            throw ProxyError("config.syntax", error.description)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ProxyConfig(json: value, source: path, baseDirectory: base)
    }

    /// Reads a config document; `source` prefixes every error.
    public init(json: JSONValue, source: String, baseDirectory: String) throws(ProxyError) {
        self.init()
        guard let object = json.objectValue else {
            throw ProxyError("config.bad_type", "\(source): the config must be a JSON object")
        }
        for (key, value) in object.members {
            try apply(key: key, value: value, source: source, baseDirectory: baseDirectory)
        }
    }

    private mutating func apply(key: String, value: JSONValue, source: String, baseDirectory: String)
        throws(ProxyError)
    {
        let at = "\(source): \(key)"
        func string() throws(ProxyError) -> String {
            guard let text = value.stringValue else {
                throw ProxyError("config.bad_type", "\(at): must be a string, not \(value.typeName)")
            }
            return text
        }
        func path() throws(ProxyError) -> String { Self.resolve(try string(), against: baseDirectory) }
        func seconds() throws(ProxyError) -> TimeAmount {
            let number: Double
            switch value {
            case .int(let i): number = Double(i)
            case .double(let d): number = d
            default: throw ProxyError("config.bad_type", "\(at): must be a number of seconds, not \(value.typeName)")
            }
            guard number >= 0, number < 86_400 * 365 else {
                throw ProxyError("config.bad_value", "\(at): must be between 0 and one year of seconds")
            }
            return .nanoseconds(Int64(number * 1e9))
        }
        func int() throws(ProxyError) -> Int {
            guard let i = value.intValue else {
                throw ProxyError("config.bad_type", "\(at): must be an integer, not \(value.typeName)")
            }
            return Int(i)
        }
        func bool() throws(ProxyError) -> Bool {
            guard let b = value.boolValue else {
                throw ProxyError("config.bad_type", "\(at): must be true or false, not \(value.typeName)")
            }
            return b
        }
        switch key {
        case "listen": listen = try HostPort(parsing: try string(), what: at)
        case "upstream": upstream = try HostPort(parsing: try string(), what: at)
        case "protocol":
            guard let parsed = ListenerProtocol(rawValue: try string()) else {
                throw ProxyError("config.bad_value", "\(at): must be \"http\" or \"tcp\"")
            }
            listenerProtocol = parsed
        case "servicePort": servicePort = try int()
        case "svid": svidFile = try path()
        case "key": keyFile = try path()
        case "bundle": bundleFile = try path()
        case "policies": policyDirectory = try path()
        case "table": tableFile = try path()
        case "admin":
            if value.isNull || value.stringValue == "off" {
                admin = nil
            } else {
                admin = try HostPort(parsing: try string(), what: at)
            }
        case "accessLog":
            let target = AccessLogTarget(try string())
            if case .file(let file) = target {
                accessLog = .file(Self.resolve(file, against: baseDirectory))
            } else {
                accessLog = target
            }
        case "threads": threads = try int()
        case "handshakeTimeout": handshakeTimeout = try seconds()
        case "headerTimeout": headerTimeout = try seconds()
        case "idleTimeout": idleTimeout = try seconds()
        case "upstreamConnectTimeout": upstreamConnectTimeout = try seconds()
        case "upstreamTimeout": upstreamTimeout = try seconds()
        case "drainTimeout": drainTimeout = try seconds()
        case "reloadInterval": reloadInterval = try seconds()
        case "maxHeaderBytes": maxHeaderBytes = try int()
        case "upstreamPoolSize": upstreamPoolSize = try int()
        case "allowTLS12": allowTLS12 = try bool()
        case "debugDecisions": debugDecisions = try bool()
        default:
            throw ProxyError(
                "config.unknown_key",
                "\(at): unknown key; known keys are \(Self.knownKeys.joined(separator: ", "))")
        }
    }

    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(path).standardized.path
    }

    /// The configuration as JSON for `/config` (paths and settings; never key material).
    public var json: JSONValue {
        var object: JSONObject = [
            "listen": .string(listen.description),
            "protocol": .string(listenerProtocol.rawValue),
            "upstream": upstream.map { .string($0.description) } ?? .null,
            "servicePort": .int(Int64(destinationPort)),
            "admin": admin.map { .string($0.description) } ?? .null,
            "svid": svidFile.map(JSONValue.string) ?? .null,
            "key": keyFile.map(JSONValue.string) ?? .null,
            "bundle": bundleFile.map(JSONValue.string) ?? .null,
        ]
        if let policyDirectory { object["policies"] = .string(policyDirectory) }
        if let tableFile { object["table"] = .string(tableFile) }
        object["accessLog"] = .string(accessLog.description)
        object["headerTimeout"] = .double(headerTimeout.seconds)
        object["upstreamTimeout"] = .double(upstreamTimeout.seconds)
        object["drainTimeout"] = .double(drainTimeout.seconds)
        object["maxHeaderBytes"] = .int(Int64(maxHeaderBytes))
        return .object(object)
    }
}

extension TimeAmount {
    var seconds: Double { Double(nanoseconds) / 1e9 }
}
