import ArgumentParser
import WardPolicy

/// `ward policy explain (DIR | --table FILE) --request JSON`: the decision for people.
struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain",
        abstract: "Explain a decision: the deciding rule, or for a default deny the closest rules and what did not match.")

    @OptionGroup var source: PolicySourceOptions

    @Option(name: .long, help: "The request as JSON.")
    var request: String

    func run() throws {
        try CLI.run {
            let item = try PolicyCLI.request(request)
            let compiled = try source.load()
            try PolicyCLI.checkTargets([item], compiled)
            let facts: (request: RequestFacts, connection: ConnectionFacts)
            do { facts = try item.facts() } catch {
                print("DENY: \(error) (path \"\(item.path)\"); the proxy answers 400 and never forwards it")
                return
            }
            if facts.request.path != item.path { print("path normalized: \"\(item.path)\" -> \"\(facts.request.path)\"") }
            let explanation = Explanation(set: compiled.set, target: item.target, request: facts.request,
                connection: facts.connection)
            print(explanation.text)
        }
    }
}
