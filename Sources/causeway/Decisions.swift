import ArgumentParser
import Foundation
import TraceModel

/// `causeway decisions TRACE_ID [--wait D]`: what the agent of that workflow should do now.
/// Exits 0 proceed, 3 hold, 4 stop (DESIGN.md §9), so a shell step can branch on it.
struct Decisions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask whether the agent of a workflow may proceed, must hold for a reviewer, or must stop.",
        discussion: "Exit status: 0 proceed, 3 hold, 4 stop, 1 error. With --wait, waits up to that long for the answer to change."
    )

    @Argument(help: "Any trace id of the workflow (32 hex digits).")
    var traceID: String

    @Option(help: "Wait up to this long for the answer to change (30s, 10m, 1h).")
    var wait: String?

    @Flag(help: "Print the API's JSON.") var json = false
    @OptionGroup var connection: ServerOptions

    /// One long poll is held at most this long by the server; longer waits ask again.
    static let pollNanos: UInt64 = 55_000_000_000

    func validate() throws {
        guard let id = TraceID(hex: traceID), !id.isZero else {
            throw ValidationError("a trace id is 32 hex digits and not all zero")
        }
        if let wait, DurationText.parse(wait) == nil {
            throw ValidationError("--wait is a duration like 30s, 10m or 1h")
        }
    }

    func run() async throws {
        let waitNanos = wait.flatMap(DurationText.parse) ?? 0
        let deadline = ContinuousClock.now.advanced(by: .nanoseconds(Int64(min(waitNanos, UInt64(Int64.max)))))
        let path = "/api/v1/decisions?trace_id=\(traceID.lowercased())"
        var body = try await CLI.call { try await connection.client.get(path) }
        let first = try JSONValue.parse(body)["decision"]?.stringValue
        while waitNanos > 0 {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, try JSONValue.parse(body)["decision"]?.stringValue == first else { break }
            let millis = min(UInt64(remaining.components.seconds) * 1000 + UInt64(remaining.components.attoseconds / 1_000_000_000_000_000),
                             Self.pollNanos / 1_000_000)
            guard millis > 0 else { break }
            body = try await CLI.call { try await connection.client.get(path + "&wait=\(millis)ms") }
        }
        let answer = try JSONValue.parse(body)
        if json {
            CLI.print(String(decoding: body, as: UTF8.self))
        } else {
            CLI.print(Self.text(answer))
        }
        switch answer["decision"]?.stringValue {
        case "proceed": return
        case "hold": throw ExitCode(3)
        case "stop": throw ExitCode(4)
        default:
            FileHandle.standardError.write(Data("causeway: the server gave no decision\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The answer for a terminal: the verdict, what blocks it, and the decisions made.
    static func text(_ answer: JSONValue) -> String {
        var lines = ["\(answer["decision"]?.stringValue ?? "?")  workflow \(TerminalText.escape(answer["workflow_id"]?.stringValue ?? "(no spans yet)"))"]
        if case .array(let blocking)? = answer["blocking"], !blocking.isEmpty {
            lines.append("waiting on:")
            for item in blocking {
                lines.append("  \(TerminalText.escape(item["id"]?.stringValue ?? ""))  \(TerminalText.escape(item["class"]?.stringValue ?? ""))  "
                    + TerminalText.escape(item["next_decision"]?.stringValue ?? ""))
            }
        }
        if case .array(let made)? = answer["decisions"], !made.isEmpty {
            lines.append("decided:")
            for item in made {
                let call = item["call_id"]?.stringValue.map { " call \($0)" } ?? ""
                lines.append("  \(TerminalText.escape(item["decision"]?.stringValue ?? "")) by \(TerminalText.escape(item["by"]?.stringValue ?? ""))"
                    + " at \(TerminalText.escape(item["at"]?.stringValue ?? ""))  \(TerminalText.escape(item["tool"]?.stringValue ?? ""))\(TerminalText.escape(call))"
                    + "  (\(TerminalText.escape(item["exception_id"]?.stringValue ?? "")))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
