import WardJSON

/// The canonical JSON form of validated policies: every rule id explicit, defaults written out, patterns in
/// policy notation. Parsing it gives back equal policies, so compiled tables can store it.
extension Policy {
    public var json: JSONValue {
        var object: JSONObject = ["name": .string(name)]
        object["target"] = .array(targets.map { .string($0.description) })
        object["mode"] = .string(mode.rawValue)
        object["rules"] = .array(rules.map(\.json))
        return .object(object)
    }
}

extension Rule {
    public var json: JSONValue {
        var object: JSONObject = ["id": .string(id), "effect": .string(effect.rawValue)]
        if !from.isEmpty { object["from"] = .array(from.map(\.json)) }
        if !to.isEmpty { object["to"] = .array(to.map(\.json)) }
        if !when.isEmpty { object["when"] = .array(when.map(\.json)) }
        return .object(object)
    }
}

private func strings(_ values: [some CustomStringConvertible]) -> JSONValue {
    .array(values.map { .string($0.description) })
}

extension Source {
    public var json: JSONValue {
        var object = JSONObject()
        if !principals.isEmpty { object["principals"] = strings(principals) }
        if !notPrincipals.isEmpty { object["notPrincipals"] = strings(notPrincipals) }
        if !ipBlocks.isEmpty { object["ipBlocks"] = strings(ipBlocks) }
        if !notIpBlocks.isEmpty { object["notIpBlocks"] = strings(notIpBlocks) }
        return .object(object)
    }
}

extension Operation {
    public var json: JSONValue {
        var object = JSONObject()
        if !methods.isEmpty { object["methods"] = strings(methods) }
        if !notMethods.isEmpty { object["notMethods"] = strings(notMethods) }
        if !paths.isEmpty { object["paths"] = strings(paths) }
        if !notPaths.isEmpty { object["notPaths"] = strings(notPaths) }
        if !hosts.isEmpty { object["hosts"] = strings(hosts) }
        if !notHosts.isEmpty { object["notHosts"] = strings(notHosts) }
        if !ports.isEmpty { object["ports"] = .array(ports.map { .int(Int64($0)) }) }
        if !notPorts.isEmpty { object["notPorts"] = .array(notPorts.map { .int(Int64($0)) }) }
        return .object(object)
    }
}

extension Condition {
    public var json: JSONValue {
        let values = key == .sourceIP ? strings(blocks) : strings(patterns)
        return .object(JSONObject([
            (key: "key", value: .string(key.description)), (key: negated ? "notValues" : "values", value: values),
        ]))
    }
}
