import ArgumentParser
import Foundation
import TraceModel

/// `causeway traces …`: read workflows from the API.
struct Traces: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show stored traces and the workflows they belong to.",
        subcommands: [Show.self]
    )

    /// `causeway traces show TRACE_ID`: the whole workflow as a tree across traces.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the workflow a trace belongs to as a tree.")

        @Argument(help: "The trace id (32 hex digits).")
        var traceID: String

        @Flag(name: .long, help: "Print the API's JSON instead of the tree.")
        var json = false

        @OptionGroup var connection: ServerOptions

        func validate() throws {
            guard let id = TraceID(hex: traceID), !id.isZero else {
                throw ValidationError("a trace id is 32 hex digits and not all zero")
            }
        }

        func run() async throws {
            let body = try await CLI.call { try await connection.client.get("/api/v1/traces/\(traceID.lowercased())") }
            if json {
                FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
                return
            }
            var tree = WorkflowTree(workflow: try JSONValue.parse(body))
            FileHandle.standardOutput.write(Data(tree.render().utf8))
        }
    }
}
