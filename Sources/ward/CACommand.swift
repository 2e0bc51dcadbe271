import ArgumentParser
import WardIdentity

/// `ward ca …`: the certificate authority.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Run the SPIFFE certificate authority.",
        subcommands: [CAInitCommand.self, CAIssueCommand.self, CASignCommand.self, CABundleCommand.self,
            CABenchCommand.self])
}

/// `--dir`, shared by every `ward ca` command.
struct CADirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "Directory holding the CA (ca/ca.pem, ca/ca.key, bundle.pem, bundle.spiffe.json).")
    var dir: String = "certs"
}

/// Turning flag strings into library values, with errors that name the flag.
enum CAFlags {
    static func ttl(_ text: String, flag: String = "--ttl") throws -> TTL {
        do { return try TTL(parsing: text) } catch { throw CLIError("\(flag): \(error.message)", code: error.code.rawValue) }
    }

    static func keyType(_ text: String) throws -> KeyType {
        do { return try KeyType(parsing: text) } catch {
            throw CLIError("--key-type: \(error.message)", code: error.code.rawValue)
        }
    }

    static func spiffeID(_ text: String, flag: String) throws -> SpiffeID {
        do { return try SpiffeID(text) } catch {
            throw CLIError("\(flag): \(error.description)", code: IdentityError.Code.invalidSpiffeID.rawValue)
        }
    }

    static func trustDomain(_ text: String) throws -> TrustDomain {
        do { return try TrustDomain(text) } catch {
            throw CLIError(
                "--trust-domain: invalid trust domain \"\(text)\": \(error.reason)",
                code: IdentityError.Code.invalidTrustDomain.rawValue)
        }
    }

    static func dnsNames(_ names: [String]) throws -> [String] {
        for name in names {
            do { try DNSName.validate(name) } catch { throw CLIError("--dns: \(error.message)", code: error.code.rawValue) }
        }
        return names
    }

    /// Library TTL errors name no flag; prefix the one the user typed.
    static func prefixingTTL<T>(_ body: () throws(IdentityError) -> T) throws -> T {
        do { return try body() } catch {
            if error.code == .ttlExceedsCA && !error.message.hasPrefix("the CA certificate") {
                throw CLIError("--ttl: \(error.message)", code: error.code.rawValue)
            }
            throw error
        }
    }
}
