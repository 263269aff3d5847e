import ArgumentParser
import Foundation
import TraceModel

/// `causeway exceptions …`: the queue, through the API.
struct Exceptions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and act on the exception queue.",
        subcommands: [List.self, Show.self, Ack.self, Assign.self, Resolve.self, Dismiss.self, Reopen.self,
                      Approve.self, Deny.self, Retry.self, Abort.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List exceptions, newest first.")

        @Option(help: "open, acknowledged, resolved, dismissed or merged.") var status: String?
        @Option(name: .customLong("class"), help: "An exception class, e.g. approval_required.") var exceptionClass: String?
        @Option(help: "An owner.") var owner: String?
        @Option(help: "At most this many (1–500; default all, a page at a time).") var limit: Int?
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var connection: ServerOptions

        func run() async throws {
            var query: [String] = []
            if let status { query.append("status=\(Query.escape(status))") }
            if let exceptionClass { query.append("class=\(Query.escape(exceptionClass))") }
            if let owner { query.append("owner=\(Query.escape(owner))") }
            let client = connection.client
            var items: [JSONValue] = []
            var cursor: String?
            repeat {
                var page = query + ["limit=\(min(limit.map { $0 - items.count } ?? 200, 500))"]
                if let cursor { page.append("cursor=\(Query.escape(cursor))") }
                let body = try await CLI.call { try await client.get("/api/v1/exceptions?" + page.joined(separator: "&")) }
                let answer = try JSONValue.parse(body)
                items += answer["exceptions"]?.arrayValue ?? []
                cursor = answer["next_cursor"]?.stringValue
            } while cursor != nil && items.count < (limit ?? Int.max)
            if json {
                var writer = JSONWriter()
                writer.raw("{\"exceptions\":")
                JSONValue.array(items).write(to: &writer)
                writer.byte(UInt8(ascii: "}"))
                CLI.print(writer.string)
                return
            }
            CLI.print(ExceptionText.table(items))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an exception and its causal path as a tree.")

        @Argument(help: "The exception id (exc_…).") var id: String
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var connection: ServerOptions

        func run() async throws {
            let body = try await CLI.call { try await connection.client.get("/api/v1/exceptions/\(Query.escape(id))") }
            if json {
                CLI.print(String(decoding: body, as: UTF8.self))
                return
            }
            CLI.print(ExceptionText.detail(try JSONValue.parse(body)))
        }
    }

    /// The options every action takes.
    struct ActionOptions: ParsableArguments {
        @Argument(help: "The exception id (exc_…).") var id: String
        @Option(help: "Who is acting (default $USER).") var actor: String?
        @Option(help: "The new owner (required for assign).") var owner: String?
        @Option(help: "A note for the history.") var note: String?
        @OptionGroup var connection: ServerOptions

        func perform(_ action: String) async throws {
            var writer = JSONWriter()
            writer.raw("{\"action\":")
            writer.string(action)
            writer.key("actor")
            writer.string(actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli")
            if let owner {
                writer.key("owner")
                writer.string(owner)
            }
            writer.key("note")
            writer.string(note ?? "")
            writer.byte(UInt8(ascii: "}"))
            let body = try await CLI.call {
                try await connection.client.post("/api/v1/exceptions/\(Query.escape(id))/actions", json: writer.bytes)
            }
            let exception = try JSONValue.parse(body)
            CLI.print("\(TerminalText.escape(exception["id"]?.stringValue ?? id)): \(exception["status"]?.stringValue ?? "?"), owner \(TerminalText.escape(exception["owner"]?.stringValue ?? "?"))")
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an open exception.")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("ack") }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an exception to another owner (--owner).")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("assign") }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an exception.")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("resolve") }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dismiss an exception (not a real problem).")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("dismiss") }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a resolved or dismissed exception.")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("reopen") }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve the call an approval_required exception waits on (it and later calls of the tool in the workflow may run).")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("approve") }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deny the call an approval_required exception waits on (the agent is told to stop).")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("deny") }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decide that the agent may retry (the cause is fixed).")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("retry") }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decide that the agent must give up the run.")
        @OptionGroup var options: ActionOptions
        func run() async throws { try await options.perform("abort") }
    }
}

/// What every client command shares: API errors to stderr with exit 1, output to stdout.
enum CLI {
    static func call(_ body: () async throws -> [UInt8]) async throws -> [UInt8] {
        do {
            return try await body()
        } catch let failure as APIClient.Failure {
            FileHandle.standardError.write(Data("causeway: \(TerminalText.escape(failure.message))\n".utf8))
            throw ExitCode(1)
        }
    }

    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

/// Percent-encoding for query values and path segments.
enum Query {
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
