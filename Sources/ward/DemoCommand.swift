import ArgumentParser

/// `ward demo`: Ward's main job end to end on a throwaway CA.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run Ward end to end on a throwaway CA.")
}
