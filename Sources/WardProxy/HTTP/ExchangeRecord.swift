import Foundation
import NIOCore

/// What is known about the request in progress, for its access-log line and metrics.
struct ExchangeRecord {
    let started: NIODeadline
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

    init(started: NIODeadline = .now(), method: String, path: String) {
        self.started = started
        self.method = method
        self.path = path
    }

    /// When the exchange started, in seconds since 1970: derived from the monotonic start when a log line is
    /// written, so requests pay for no wall-clock read when access logging is off.
    func wallClockStart(now: NIODeadline) -> Double {
        Date().timeIntervalSince1970 - Double((now - started).nanoseconds) / 1e9
    }
}
