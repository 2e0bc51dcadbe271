import NIOConcurrencyHelpers
import Prometheus

/// Every metric the proxy exports on `/metrics`, in one Prometheus registry.
///
/// Labelled series are created on first use and cached, so the hot path is one locked dictionary lookup and an
/// atomic add; the label sets are small and bounded (decisions × status codes, handshake failure reasons).
public final class ProxyMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    private let requests = NIOLockedValueBox<[RequestKey: Counter]>([:])
    private let handshakeFailures = NIOLockedValueBox<[String: Counter]>([:])
    private let upstreamErrors = NIOLockedValueBox<[String: Counter]>([:])
    private let policyInfo = NIOLockedValueBox<Gauge?>(nil)

    let requestDuration: DurationHistogram
    let upstreamDuration: DurationHistogram
    let openConnections: Gauge
    let connectionsTotal: Counter
    let connectionsDenied: Counter
    let svidExpiry: Gauge
    let policyLoadTime: Gauge
    let policyRules: Gauge
    let reloadSuccess: Counter
    let reloadFailure: Counter
    let bytesReceived: Counter
    let bytesSent: Counter
    let accessLogDropped: Counter

    private struct RequestKey: Hashable {
        var decision: String
        var status: Int
    }

    public init() {
        let buckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        requestDuration = registry.makeDurationHistogram(
            descriptor: Self.d("ward_request_duration_seconds", "Time from request head to the end of the response, by the proxy's clock."), buckets: buckets)
        upstreamDuration = registry.makeDurationHistogram(
            descriptor: Self.d("ward_upstream_response_seconds", "Time from sending a request upstream to its response head."), buckets: buckets)
        openConnections = registry.makeGauge(descriptor: Self.d("ward_open_connections", "Client connections open now."))
        connectionsTotal = registry.makeCounter(
            descriptor: Self.d("ward_connections_total", "Client connections whose TLS handshake completed."))
        connectionsDenied = registry.makeCounter(
            descriptor: Self.d("ward_connections_denied_total", "TCP-mode connections refused by policy."))
        svidExpiry = registry.makeGauge(
            descriptor: Self.d("ward_svid_expiry_timestamp_seconds", "Unix time at which the proxy's own SVID expires."))
        policyLoadTime = registry.makeGauge(
            descriptor: Self.d("ward_policy_load_timestamp_seconds", "Unix time the policies in force were loaded."))
        policyRules = registry.makeGauge(descriptor: Self.d("ward_policy_rules", "Rules in the policies in force."))
        reloadSuccess = registry.makeCounter(
            descriptor: Self.d("ward_reloads_total", "Configuration reloads by result."), labels: [("result", "success")])
        reloadFailure = registry.makeCounter(
            descriptor: Self.d("ward_reloads_total", "Configuration reloads by result."), labels: [("result", "failure")])
        bytesReceived = registry.makeCounter(
            descriptor: Self.d("ward_request_body_bytes_total", "Request body bytes forwarded upstream."))
        bytesSent = registry.makeCounter(
            descriptor: Self.d("ward_response_body_bytes_total", "Response body bytes sent to callers."))
        accessLogDropped = registry.makeCounter(
            descriptor: Self.d("ward_access_log_dropped_lines_total", "Access log lines dropped because the writer could not keep up."))
    }

    /// Counts one finished request. `decision` is `allow`, `deny` or `invalid` (refused before a decision).
    func countRequest(decision: String, status: Int) {
        requestCounter(decision: decision, status: status).increment()
    }

    /// The `ward_requests_total` series for one label pair, for callers that keep the handle (a connection keeps
    /// its last one: keep-alive requests mostly repeat the same decision and status, so they skip the lock and
    /// the dictionary lookup).
    func requestCounter(decision: String, status: Int) -> Counter {
        let key = RequestKey(decision: decision, status: status)
        return requests.withLockedValue { cache in
            if let counter = cache[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.d("ward_requests_total", "Requests by decision and response status."), labels: [("decision", decision), ("status", String(status))])
            cache[key] = counter
            return counter
        }
    }

    /// Counts a TLS handshake failure by reason (`peer_rejected`, `handshake_timeout`…).
    func countHandshakeFailure(reason: String) {
        cached(handshakeFailures, name: "ward_tls_handshake_failures_total", label: "reason", value: reason,
            help: "TLS handshakes that failed, by reason.").increment()
    }

    /// Counts an upstream failure (`unavailable` → 503, `timeout` → 504, `reset` mid-response).
    func countUpstreamError(kind: String) {
        cached(upstreamErrors, name: "ward_upstream_errors_total", label: "kind", value: kind,
            help: "Upstream failures by kind.").increment()
    }

    /// Records the policy set in force (hash as a label on an info-style gauge).
    func policyLoaded(hash: String, rules: Int, at time: Double) {
        let gauge = registry.makeGauge(
            descriptor: Self.d("ward_policy_info", "The policy set in force (value 1)."), labels: [("hash", hash)])
        gauge.set(Double(1))
        let old = policyInfo.withLockedValue { current in
            defer { current = gauge }
            return current
        }
        if let old, old !== gauge { registry.unregisterGauge(old) }
        policyRules.set(Double(rules))
        policyLoadTime.set(time)
    }

    private func cached(
        _ box: NIOLockedValueBox<[String: Counter]>, name: String, label: String, value: String, help: String
    ) -> Counter {
        box.withLockedValue { cache in
            if let counter = cache[value] { return counter }
            let counter = registry.makeCounter(descriptor: Self.d(name, help), labels: [(label, value)])
            cache[value] = counter
            return counter
        }
    }

    private static func d(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
