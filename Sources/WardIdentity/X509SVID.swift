/// An X.509-SVID: the workload's certificate chain (leaf first, then intermediates; never the root) and, when
/// Ward generated it or loaded it, the private key.
///
/// This is what the TLS layer presents; `load(certificateFile:keyFile:)` checks the key matches the leaf and
/// the leaf carries a valid workload SPIFFE ID before anything is served with it.
public struct X509SVID: Sendable {
    public let id: SpiffeID
    /// Leaf first, then intermediates up to (not including) a trust anchor.
    public let chain: [Certificate]
    /// The leaf's private key; nil for SVIDs signed from a CSR (the key stays with the workload).
    public let privateKey: PrivateKey?

    public var leaf: Certificate { chain[0] }

    /// Assembles an SVID, checking that the leaf has one valid workload SPIFFE ID and that `privateKey`, if
    /// any, matches it.
    public init(chain: [Certificate], privateKey: PrivateKey?) throws(IdentityError) {
        guard let leaf = chain.first else { throw IdentityError(.emptyChain, "the SVID has no certificate") }
        self.id = try SVIDVerifier.checkLeaf(leaf)
        if let privateKey {
            let leafKey = try leaf.publicKey
            guard privateKey.matches(leafKey) else {
                throw IdentityError(.keyMismatch, "the private key does not match the SVID's certificate")
            }
        }
        self.chain = chain
        self.privateKey = privateKey
    }

    /// An SVID the CA has just built (already known to be well-formed): skips re-checking.
    init(issued id: SpiffeID, chain: [Certificate], privateKey: PrivateKey?) {
        self.id = id
        self.chain = chain
        self.privateKey = privateKey
    }

    /// Loads `svid.pem` (leaf then intermediates) and `svid.key`, checking they belong together.
    public static func load(certificateFile: String, keyFile: String) throws(IdentityError) -> X509SVID {
        let chain = try Certificate.chain(contentsOfFile: certificateFile)
        let key = try PrivateKey(contentsOfFile: keyFile)
        do {
            return try X509SVID(chain: chain, privateKey: key)
        } catch {
            if error.code == .keyMismatch {
                throw IdentityError(.keyMismatch, "\(keyFile): the private key does not match \(certificateFile)")
            }
            throw IdentityError(error.code, "\(certificateFile): \(error.message)")
        }
    }

    /// The chain as PEM (what `svid.pem` holds).
    public var chainPEM: String { Certificate.pem(chain) }
}
