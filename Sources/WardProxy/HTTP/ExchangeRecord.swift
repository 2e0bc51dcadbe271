import NIOCore

/// What is known about the request in progress, for its access-log line and metrics.
struct ExchangeRecord {
    let started: NIODeadline
    let wallClock: Double
    var method: String
    var path: String
    var status = 0
    var decision = "invalid"
    var result: AuthorizationResult?
    var reason: String?
    var upstreamSent: NIODeadline?
    var upstreamDuration: TimeAmount?
    var bytesIn = 0
    var bytesOut = 0
}
