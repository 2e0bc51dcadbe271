import WardIdentity
import WardTLS

/// The server side every bench server terminates with: an SVID, its key and one trust bundle from PEM files, Ward's
/// defaults (TLS 1.3, a client certificate required and verified), ALPN `http/1.1`. One definition, so the TLS bench
/// and the proxy floor measure the same handshake configuration.
public func benchServerContext(svidFile: String, keyFile: String, bundleFile: String) throws -> TLSContextProvider {
    let svid = try X509SVID.load(certificateFile: svidFile, keyFile: keyFile)
    let bundle = try TrustBundle.load(contentsOfFile: bundleFile)
    return TLSContextProvider(
        try TLSContext(TLSConfiguration(role: .server, svid: svid, trustBundles: [bundle], alpn: ["http/1.1"])))
}
