import ArgumentParser

@main
struct Causeway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "causeway",
        abstract: "A trace correlator for AI-agent workflows: OTLP in, an owned exception queue out.",
        subcommands: [Serve.self, Traces.self, Exceptions.self, Stats.self, Decisions.self]
    )
}
