import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import WardIdentity
import WardJSON
import WardProxy

/// `ward demo`: Ward's main job end to end on a throwaway CA.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Ward end to end on a throwaway CA.",
        discussion: """
            Creates a CA for example.org and SVIDs for the shop's workloads, starts a small built-in "orders" \
            service behind `ward proxy` with the example policies, and sends real mTLS requests from several \
            identities. Prints what each got and which policy rule decided it.
            """)

    @Option(help: "Policy directory (the shop example).") var policies = "policies"
    @Option(help: "Directory for the CA, SVIDs and logs (default: a temporary directory, removed afterwards).")
    var dir: String?
    @Option(help: "Proxy port on 127.0.0.1 (0: any free port).") var port = 0
    @Flag(help: "Leave the proxy running and print curl commands to try (Ctrl-C to stop).") var keepRunning = false
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        try CLI.run(json: json) {
            var demo = try DemoRun(policies: policies, directory: dir, port: port)
            defer { demo.finish(removeDirectory: dir == nil) }
            let results = try demo.sendRequests()
            if json {
                CLI.printJSON(demo.json(results))
            } else {
                print(demo.table(results, keepFiles: dir != nil || keepRunning))
            }
            if keepRunning {
                if !json { print(demo.tryItYourself()) }
                fflush(nil)
                demo.server.run()
            }
        }
    }
}
