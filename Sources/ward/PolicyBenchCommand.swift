import ArgumentParser
import Foundation
import WardJSON
import WardPolicy

/// `ward policy bench (DIR | --table FILE) --requests FILE.jsonl [--json]`: time the evaluator alone.
struct PolicyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench",
        abstract: "Measure decisions per second and per-decision latency (evaluator only, after warm-up, one thread).")

    @OptionGroup var source: PolicySourceOptions

    @Option(name: .long, help: "A JSON Lines file of requests (parsed and normalized before timing).")
    var requests: String

    @Option(name: .long, help: "Minimum number of timed decisions for the latency percentiles.")
    var samples = 200_000

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Option(name: .long, help: "Also time every request alone over 15 more passes and write its minimum and median (ns) to this file, one JSON line per timed request in stream order, with its position in the request file as `request` (for finding which requests make the tail).")
    var perRequest: String?

    func run() throws {
        try CLI.run(json: json) {
            let compileStart = BenchClock.now()
            let compiled = try source.load()
            let list = try PolicyCLI.requests(file: requests)
            try PolicyCLI.checkTargets(list, compiled)
            // Requests are parsed and split beforehand; bad requests (normalization failures) are not timed.
            var items: [(table: Int, peer: Int, request: RequestFacts)] = []
            var tables: [DecisionTable] = []
            var tableIndex: [String: Int] = [:]
            var peers: [PeerView] = []
            var peerIndex: [String: Int] = [:]
            var badRequests = 0
            let buildStart = BenchClock.now()
            for item in list where tableIndex[item.target] == nil {
                tableIndex[item.target] = tables.count
                tables.append(compiled.table(for: item.target))
            }
            let compileEnd = BenchClock.now()
            var resolveNanos: UInt64 = 0
            var positions: [Int] = []  // each timed item's position in the request file (bad requests counted)
            for (position, item) in list.enumerated() {
                guard let facts = try? item.facts() else {
                    badRequests += 1
                    continue
                }
                let t = tableIndex[item.target]!
                let key = "\(t)|\(item.principal)|\(item.sourceIP?.description ?? "")|\(item.sni ?? "")"
                if peerIndex[key] == nil {
                    let start = BenchClock.now()
                    peers.append(tables[t].resolve(facts.connection))
                    resolveNanos += BenchClock.now() - start
                    peerIndex[key] = peers.count - 1
                }
                items.append((t, peerIndex[key]!, facts.request))
                positions.append(position)
            }
            guard !items.isEmpty else { throw CLIError("\(requests): no requests to time", code: "bench.empty") }

            var sink = 0
            var allows = 0
            for item in items where tables[item.table].decide(item.request, peer: peers[item.peer]).isAllowed {
                allows += 1
            }
            // Warm-up, then throughput over whole passes for at least ~0.5 s.
            for _ in 0..<3 { for item in items { sink &+= tables[item.table].decide(item.request, peer: peers[item.peer]).dryRun.count } }
            var decisions = 0
            let throughputStart = BenchClock.now()
            repeat {
                for item in items {
                    sink &+= tables[item.table].decide(item.request, peer: peers[item.peer]).isAllowed ? 1 : 0
                }
                decisions += items.count
            } while BenchClock.now() - throughputStart < 500_000_000
            let throughputNanos = BenchClock.now() - throughputStart

            // Latency: each decision timed alone; the clock's own cost (median of empty timings) is subtracted.
            var overhead: [UInt64] = []
            for _ in 0..<10_000 {
                let a = BenchClock.now()
                overhead.append(BenchClock.now() - a)
            }
            overhead.sort()
            let timerCost = overhead[overhead.count / 2]
            /// One decision timed alone (table and peer looked up outside the clock), less the clock's cost.
            func timedDecision(_ item: (table: Int, peer: Int, request: RequestFacts)) -> UInt64 {
                let table = tables[item.table]
                let peer = peers[item.peer]
                let a = BenchClock.now()
                let decision = table.decide(item.request, peer: peer)
                let b = BenchClock.now()
                sink &+= decision.isAllowed ? 1 : 0
                return b - a > timerCost ? b - a - timerCost : 0
            }
            var latencies: [UInt64] = []
            latencies.reserveCapacity(max(samples, items.count))
            while latencies.count < samples {
                for item in items { latencies.append(timedDecision(item)) }
            }
            latencies.sort()
            if let perRequest {
                let passes = 15
                var times = [[UInt64]](repeating: [], count: items.count)
                for _ in 0..<passes {
                    for (index, item) in items.enumerated() { times[index].append(timedDecision(item)) }
                }
                var out = ""
                for (index, samples) in times.enumerated() {
                    let sorted = samples.sorted()
                    out += "{\"index\":\(index),\"request\":\(positions[index]),\"min_ns\":\(sorted[0]),\"median_ns\":\(sorted[passes / 2]),\"max_ns\":\(sorted[passes - 1])}\n"
                }
                try out.write(toFile: perRequest, atomically: true, encoding: .utf8)
            }
            func percentile(_ p: Double) -> UInt64 { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            let ruleCount = compiled.set.ruleCount
            let memory = BenchClock.memory()
            let result: JSONObject = [
                "rules": .int(Int64(ruleCount)), "requests": .int(Int64(list.count)),
                "bad_requests": .int(Int64(badRequests)), "allowed": .int(Int64(allows)),
                "decisions": .int(Int64(decisions)),
                "decisions_per_second": .int(Int64(Double(decisions) / (Double(throughputNanos) / 1e9))),
                "mean_ns": .int(Int64(throughputNanos) / Int64(decisions)),
                "p50_ns": .int(Int64(percentile(0.5))), "p90_ns": .int(Int64(percentile(0.9))),
                "p99_ns": .int(Int64(percentile(0.99))), "p999_ns": .int(Int64(percentile(0.999))),
                "max_ns": .int(Int64(latencies.last ?? 0)), "timer_overhead_ns": .int(Int64(timerCost)),
                "load_ms": .double(Double(buildStart - compileStart) / 1e6),
                "compile_ms": .double(Double(compileEnd - buildStart) / 1e6),
                "tables": .int(Int64(tables.count)), "connections": .int(Int64(peers.count)),
                "resolve_us_per_connection": .double(Double(resolveNanos) / Double(max(peers.count, 1)) / 1e3),
                "table_bitset_bytes": .int(Int64(tables.reduce(0) { $0 + $1.bitsetBytes })),
                "rss_bytes": .int(memory.rss), "peak_rss_bytes": .int(memory.peak),
                "checksum": .int(Int64(sink & 1)),
            ]
            if json {
                print(JSONValue.object(result).serialized(.compact))
            } else {
                print("""
                    \(ruleCount) rules, \(list.count) requests (\(badRequests) bad), \(allows) allowed
                    decisions/s: \(result["decisions_per_second"]!.intValue!) (mean \(result["mean_ns"]!.intValue!) ns over \(decisions) decisions)
                    latency ns: p50 \(percentile(0.5))  p90 \(percentile(0.9))  p99 \(percentile(0.99))  p99.9 \(percentile(0.999))  max \(latencies.last ?? 0)  (timer cost \(timerCost) ns subtracted)
                    load+validate: \(String(format: "%.1f", Double(buildStart - compileStart) / 1e6)) ms, compile \(tables.count) table(s): \(String(format: "%.1f", Double(compileEnd - buildStart) / 1e6)) ms
                    resolve per connection: \(String(format: "%.2f", Double(resolveNanos) / Double(max(peers.count, 1)) / 1e3)) us (\(peers.count) connections)
                    memory: bitsets \(tables.reduce(0) { $0 + $1.bitsetBytes }) bytes, RSS \(memory.rss) bytes, peak RSS \(memory.peak) bytes
                    """)
            }
        }
    }
}

/// Monotonic nanoseconds and process memory for `ward policy bench`.
enum BenchClock {
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Current and peak resident set size from /proc/self/status (0 where unavailable).
    static func memory() -> (rss: Int64, peak: Int64) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int64 {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                let digits = line.split(separator: " ").dropFirst().first { Int64($0) != nil }
                return (digits.flatMap { Int64($0) } ?? 0) * 1024
            }
            return 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }
}
