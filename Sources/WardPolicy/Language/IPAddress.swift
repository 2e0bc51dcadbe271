/// An IPv4 or IPv6 address as 128 bits (IPv4 as the IPv4-mapped IPv6 address `::ffff:a.b.c.d`).
///
/// One representation lets a single sorted-range index serve both families, and an IPv4 peer reached over a
/// dual-stack socket (`::ffff:10.0.0.1`) matches IPv4 blocks as operators expect.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Whether this is an IPv4(-mapped) address.
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text (no zone, no brackets); nil when malformed.
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let value = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self = value
        } else {
            guard let v4 = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4))
        }
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                !(part.count > 1 && part.hasPrefix("0")), let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseIPv6(_ text: Substring) -> IPAddress? {
        var groups: [UInt16] = []
        var gap: Int?
        var rest = text
        if rest.hasPrefix("::") {
            gap = 0
            rest = rest.dropFirst(2)
        }
        while !rest.isEmpty {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let part = rest[..<end]
            if part.contains(".") {
                guard end == rest.endIndex, let v4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                rest = rest[end...]
                break
            }
            guard !part.isEmpty, part.count <= 4, let group = UInt16(part, radix: 16) else { return nil }
            groups.append(group)
            rest = rest[end...]
            if rest.hasPrefix("::") {
                guard gap == nil else { return nil }
                gap = groups.count
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                if rest.isEmpty { return nil }
            }
        }
        if let gap {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return IPAddress(high: high, low: low)
    }

    public var description: String {
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
        return groups.map { String($0, radix: 16) }.joined(separator: ":")
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An IP block: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`, or a bare address).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the block (host bits are zero).
    public let network: IPAddress
    /// Prefix length over the 128-bit form (an IPv4 `/8` is stored as `/104`).
    public let bits: Int

    /// Parses `a.b.c.d/n`, `x::y/n` or a bare address; nil when malformed or when host bits are set.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let maxBits = address.isIPv4 && !parts[0].contains(":") ? 32 : 128
        var length = maxBits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), parts[1].count <= 3,
                let n = Int(parts[1]), n <= maxBits
            else { return nil }
            length = n
        }
        let total = maxBits == 32 ? length + 96 : length
        let masked = CIDR.mask(address, total)
        guard masked == address else { return nil }
        self.network = masked
        self.bits = total
        self.text = text
    }

    private let text: String

    public var description: String { text }

    static func mask(_ address: IPAddress, _ bits: Int) -> IPAddress {
        let highMask: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << (64 - UInt64(bits)))
        let lowMask: UInt64 = bits <= 64 ? 0 : (bits >= 128 ? ~0 : ~0 << (128 - UInt64(bits)))
        return IPAddress(high: address.high & highMask, low: address.low & lowMask)
    }

    /// Whether `address` is inside the block.
    public func contains(_ address: IPAddress) -> Bool { CIDR.mask(address, bits) == network }

    /// Whether every address of `other` is inside this block.
    public func covers(_ other: CIDR) -> Bool { other.bits >= bits && contains(other.network) }
}
