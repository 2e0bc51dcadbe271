/// A lifetime such as `1h`, `90m`, `8760h` or `1h30m` (units `s`, `m`, `h`, `d`), as certificate TTL flags take.
public struct TTL: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds, always positive.
    public let seconds: Int

    /// The longest accepted TTL (100 years); anything longer is a typo.
    public static let maximum = 100 * 365 * 86_400

    public init(seconds: Int) throws(IdentityError) {
        guard seconds > 0, seconds <= TTL.maximum else {
            throw IdentityError(.invalidTTL, "TTL must be between 1s and 876000h, got \(seconds)s")
        }
        self.seconds = seconds
    }

    /// Parses `text`; the error names what was expected.
    public init(parsing text: String) throws(IdentityError) {
        let expected = "expected a duration like 1h, 30m, 90s, 7d or 1h30m, got \"\(text)\""
        var total = 0
        var number: Int?
        var sawUnit = false
        for char in text {
            if let digit = char.wholeNumberValue, char.isASCII {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(digit)
                guard !o1, !o2, plus <= TTL.maximum else { throw IdentityError(.invalidTTL, "TTL too long: \(expected)") }
                number = plus
                continue
            }
            let unit: Int
            switch char {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86_400
            default: throw IdentityError(.invalidTTL, expected)
            }
            guard let value = number else { throw IdentityError(.invalidTTL, expected) }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow, product <= TTL.maximum else { throw IdentityError(.invalidTTL, "TTL too long: \(expected)") }
            total += product
            number = nil
            sawUnit = true
        }
        guard sawUnit, number == nil, total > 0 else { throw IdentityError(.invalidTTL, expected) }
        try self.init(seconds: total)
    }

    public var timeInterval: Double { Double(seconds) }

    /// Compact form: `1h`, `1h30m`, `8760h`, `45s`.
    public var description: String { TTL.format(seconds: seconds) }

    /// Formats a number of seconds the way TTLs are written (hours, minutes, seconds; no days).
    public static func format(seconds: Int) -> String {
        if seconds <= 0 { return "0s" }
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, secs = seconds % 60
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if secs > 0 { text += "\(secs)s" }
        return text
    }

    public static func < (lhs: TTL, rhs: TTL) -> Bool { lhs.seconds < rhs.seconds }
}
