/// Every header condition of a table compiled into flat arrays of plain integers and bytes.
///
/// A header condition is checked on candidate clauses only, but at 10,000 rules those candidates' rules are
/// not in cache: checking `Condition`s through `CompiledRule` read the rule record, its condition array, each
/// condition's pattern array and the pattern strings, five or six cache misses that made header-carrying
/// requests the whole p99 tail (`ward policy bench --per-request`). Here a clause's checks are a range of
/// `checks` (found in its `ClauseEntry`, the line the evaluator reads anyway), and the few arrays below are small
/// enough to stay in cache. Same answers as `Condition.holds(for: RequestFacts)`, allocation-free.
struct HeaderChecks: Sendable {
    /// One condition: the header named `names[name]` has (or, `negated`, has no) occurrence matching one of
    /// `patterns[patternStart..<patternEnd]`.
    struct Check: Sendable {
        let name: Int32
        let patternStart: Int32
        let patternEnd: Int32
        let negated: Bool
    }

    /// A `StringPattern` as bytes: `bytes[start..<start + length]`.
    struct Pattern: Sendable {
        enum Kind: UInt8, Sendable { case exact, prefix, suffix, present }
        let kind: Kind
        /// Whether the pattern text is ASCII (exact compares may then stop at the bytes when the value is too).
        let ascii: Bool
        let start: Int32
        let length: Int32
        /// Index in `exactTexts` (exact patterns), for the Unicode-equivalence fallback.
        let text: Int32
    }

    /// Distinct header names, lower case.
    private(set) var names: [[UInt8]] = []
    private(set) var checks: [Check] = []
    private(set) var patterns: [Pattern] = []
    private(set) var bytes: [UInt8] = []
    /// Exact patterns' texts: String `==` (canonical equivalence) decides when bytes differ and either side is
    /// not ASCII, as `StringPattern.matches` does.
    private(set) var exactTexts: [String] = []

    /// Appends `conditions` (header conditions of one rule) and returns their range in `checks`.
    mutating func add(_ conditions: [Condition]) -> Range<Int32> {
        let start = Int32(checks.count)
        for condition in conditions {
            guard case .header(let name) = condition.key else { continue }
            let nameBytes = Array(name.utf8)
            var nameIndex = names.firstIndex(of: nameBytes) ?? -1
            if nameIndex < 0 {
                names.append(nameBytes)
                nameIndex = names.count - 1
            }
            let patternStart = Int32(patterns.count)
            for pattern in condition.patterns { patterns.append(add(pattern)) }
            checks.append(Check(name: Int32(nameIndex), patternStart: patternStart, patternEnd: Int32(patterns.count),
                negated: condition.negated))
        }
        return start..<Int32(checks.count)
    }

    private mutating func add(_ pattern: StringPattern) -> Pattern {
        let kind: Pattern.Kind
        let text: String
        switch pattern {
        case .exact(let s): (kind, text) = (.exact, s)
        case .prefix(let s): (kind, text) = (.prefix, s)
        case .suffix(let s): (kind, text) = (.suffix, s)
        case .present: (kind, text) = (.present, "")
        }
        let start = Int32(bytes.count)
        bytes += text.utf8
        var textIndex: Int32 = -1
        if kind == .exact {
            exactTexts.append(text)
            textIndex = Int32(exactTexts.count - 1)
        }
        return Pattern(kind: kind, ascii: text.utf8.allSatisfy { $0 < 0x80 }, start: start, length: Int32(text.utf8.count),
            text: textIndex)
    }

    /// Whether every check in `range` holds for `request`.
    func holds(_ range: Range<Int32>, _ request: RequestFacts) -> Bool {
        for index in range {
            let check = checks[Int(index)]
            var matched = false
            for header in request.headers where nameMatches(header.name, Int(check.name)) {
                if valueMatches(header.value, Int(check.patternStart)..<Int(check.patternEnd)) {
                    matched = true
                    break
                }
            }
            if matched == check.negated { return false }
        }
        return true
    }

    /// `equalsIgnoringASCIICase` against the lower-case name `names[name]`.
    @inline(__always)
    private func nameMatches(_ text: String, _ name: Int) -> Bool {
        utf8Bytes(text) { a in
            names[name].withUnsafeBufferPointer { b in
                guard a.count == b.count else { return false }
                for i in 0..<a.count where (a[i] >= 0x41 && a[i] <= 0x5A ? a[i] | 0x20 : a[i]) != b[i] { return false }
                return true
            }
        }
    }

    /// Whether `value` matches one of `patterns[range]` (`StringPattern.matches`).
    private func valueMatches(_ value: String, _ range: Range<Int>) -> Bool {
        utf8Bytes(value) { v in
            bytes.withUnsafeBufferPointer { all in
                for index in range {
                    let pattern = patterns[index]
                    let p = UnsafeBufferPointer(rebasing: all[Int(pattern.start)..<Int(pattern.start + pattern.length)])
                    switch pattern.kind {
                    case .present:
                        if v.count > 0 { return true }
                    case .prefix:
                        if v.count >= p.count && memoryEqual(v.baseAddress, p.baseAddress, p.count) { return true }
                    case .suffix:
                        if v.count >= p.count && memoryEqual(v.baseAddress.map { $0 + (v.count - p.count) }, p.baseAddress, p.count) {
                            return true
                        }
                    case .exact:
                        if v.count == p.count && memoryEqual(v.baseAddress, p.baseAddress, p.count) { return true }
                        // Different bytes can still be canonically equivalent (`\u{212A}` == `K`) unless both are ASCII.
                        if !(pattern.ascii && v.allSatisfy({ $0 < 0x80 })) && value == exactTexts[Int(pattern.text)] {
                            return true
                        }
                    }
                }
                return false
            }
        }
    }
}

/// Whether `count` bytes at `a` and `b` are equal (either may be nil when `count` is 0).
@inline(__always)
private func memoryEqual(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard count > 0, let a, let b else { return true }
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
