/// Validation of DNS subjectAltNames Ward puts into SVIDs: LDH labels (a leading `*` label allowed), at most 63
/// bytes per label and 253 in all. Case is kept as given.
public enum DNSName {
    /// Throws `.invalidDNSName` saying which rule `name` breaks.
    public static func validate(_ name: String) throws(IdentityError) {
        let fail = { (why: String) in IdentityError(.invalidDNSName, "invalid DNS name \"\(name)\": \(why)") }
        guard !name.isEmpty else { throw fail("it is empty") }
        guard name.utf8.count <= 253 else { throw fail("it is longer than 253 bytes") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            guard !label.isEmpty else { throw fail("it has an empty label") }
            if label == "*" {
                guard index == 0, labels.count > 2 else { throw fail("\"*\" is allowed only as the first of 3+ labels") }
                continue
            }
            guard label.utf8.count <= 63 else { throw fail("a label is longer than 63 bytes") }
            guard label.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0)
                || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
            else { throw fail("only letters, digits, '-' and '.' are allowed") }
            guard label.first != "-", label.last != "-" else { throw fail("a label starts or ends with '-'") }
        }
    }
}
