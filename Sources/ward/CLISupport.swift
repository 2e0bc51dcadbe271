import ArgumentParser
import Foundation
import WardJSON

/// A failure the CLI reports as one line and exit status 1. Library errors need not be wrapped: any error's
/// `description` is used; wrap only to prefix a file or flag name.
struct CLIError: Error, CustomStringConvertible {
    /// Stable machine-readable code for `--json` output, e.g. `usage.flag`.
    var code: String
    var message: String

    init(_ message: String, code: String = "error") {
        self.code = code
        self.message = message
    }

    var description: String { message }
}

/// Shared command-line plumbing: error reporting and JSON output. Generic on purpose; every command uses it.
enum CLI {
    /// Runs a command body. Any thrown error (except ArgumentParser's own exits) is printed as one line,
    /// `ward: error: <message>`, on stderr — and, with `json`, also as `{"error": {"code", "message"}}` on
    /// stdout — then the command exits with status 1. Never a stack trace, never a crash.
    static func run(json: Bool = false, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            report(error, json: json)
            throw ExitCode.failure
        }
    }

    /// Prints `error` the way `run` does, without exiting.
    static func report(_ error: any Error, json: Bool = false) {
        let message = oneLine(String(describing: error))
        if json {
            let code = errorCode(error)
            printJSON(["error": ["code": .string(code), "message": .string(message)]])
        }
        printError("ward: error: \(message)")
    }

    /// Writes one line to stderr.
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Prints a JSON document (pretty, members in the order given) on stdout.
    static func printJSON(_ value: JSONValue) {
        print(value.serialized(.pretty))
    }

    /// The `code` of an error that has one (any type with a `code` property that is a string or
    /// string-backed), else `error`.
    static func errorCode(_ error: any Error) -> String {
        for child in Mirror(reflecting: error).children where child.label == "code" {
            if let text = child.value as? String { return text }
            if let raw = child.value as? any RawRepresentable, let text = raw.rawValue as? String { return text }
        }
        return "error"
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
