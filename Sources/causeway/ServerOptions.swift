import ArgumentParser
import Foundation

/// `--server` and `--token`, shared by every client command.
struct ServerOptions: ParsableArguments {
    @Option(help: "The Causeway API.") var server = "http://127.0.0.1:8319"

    @Option(help: "A reviewer's token, sent as Authorization: Bearer (default $CAUSEWAY_TOKEN).")
    var token: String?

    @Option(help: "A PEM file of the private CA to trust for an https --server.")
    var ca: String?

    var client: APIClient {
        let fromEnvironment = ProcessInfo.processInfo.environment["CAUSEWAY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return APIClient(server: server, token: token ?? fromEnvironment, caPath: ca)
    }
}
