import Foundation
import NIOCore
import WardIdentity
import WardPolicy
import WardTLS

/// Identity and policies loaded from disk, checked, and ready to swap in as a whole.
///
/// Built off the event loops at startup and on every reload; if any part fails the whole load fails, so the
/// running identity and policies are never replaced by a half-loaded set.
struct LoadedState: Sendable {
    var localID: SpiffeID
    var svidNotAfter: Date
    var svidSerial: String
    var trustDomain: TrustDomain
    var tlsContext: TLSContext
    var engine: PolicyEngine
    var loadedAt: Date

    static func load(_ config: ProxyConfig) throws(ProxyError) -> LoadedState {
        guard let svidFile = config.svidFile, let keyFile = config.keyFile, let bundleFile = config.bundleFile else {
            throw ProxyError("config.missing", "svid, key and bundle are required")
        }
        let svid: X509SVID
        let bundle: TrustBundle
        do {
            svid = try X509SVID.load(certificateFile: svidFile, keyFile: keyFile)
            bundle = try TrustBundle.load(contentsOfFile: bundleFile, fallbackTrustDomain: svid.id.trustDomain)
        } catch {
            throw ProxyError("identity.\(error.code.rawValue)", error.message)
        }
        guard svid.privateKey != nil else {
            throw ProxyError("identity.no_key", "\(keyFile): no private key")
        }
        let tls = TLSConfiguration(
            role: .server, svid: svid, trustBundles: [bundle],
            peerRequirement: .any, allowTLS12: config.allowTLS12, alpn: ["http/1.1"],
            handshakeTimeout: config.handshakeTimeout)
        let context: TLSContext
        do {
            context = try TLSContext(tls)
        } catch {
            throw ProxyError(error.code.rawValue, "TLS context from \(svidFile): \(error.message)")
        }
        let engine = try loadPolicies(config, target: svid.id.description)
        return LoadedState(
            localID: svid.id, svidNotAfter: svid.leaf.notAfter, svidSerial: svid.leaf.serialHex,
            trustDomain: bundle.trustDomain, tlsContext: context, engine: engine, loadedAt: Date())
    }

    /// Policies for `target` from a directory (validated; any error refuses the load) or a compiled table file.
    static func loadPolicies(_ config: ProxyConfig, target: String) throws(ProxyError) -> PolicyEngine {
        if let table = config.tableFile {
            do {
                let compiled = try CompiledPolicies.load(path: table)
                return PolicyEngine(set: compiled.set, target: target, hash: compiled.sha256)
            } catch {
                throw ProxyError("policy.table", "\(table): \(error)")
            }
        }
        guard let directory = config.policyDirectory else {
            throw ProxyError("config.missing", "policies or table: one is required")
        }
        let loaded: (set: PolicySet, diagnostics: [Diagnostic])
        do {
            loaded = try PolicySet.load(directory: directory, lint: false)
        } catch {
            throw ProxyError("policy.load", "\(directory): \(error)")
        }
        let errors = loaded.diagnostics.filter { $0.severity == .error }
        if let first = errors.first {
            throw ProxyError("policy.invalid", "\(first)\(errors.count > 1 ? " (and \(errors.count - 1) more)" : "")")
        }
        let hash = CompiledPolicies(set: loaded.set, target: target).sha256
        return PolicyEngine(set: loaded.set, target: target, hash: hash)
    }
}
