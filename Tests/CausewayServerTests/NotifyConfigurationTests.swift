import CausewayServer
import Detection
import Notify
import Testing

@Suite("Configuration: notify, escalate_to and blocking rules")
struct NotifyConfigurationTests {
    static let example = """
        listen: { api: 127.0.0.1:9000 }
        owners:
          - { match: { service: device-recovery }, owner: logistics-ops, sla: 4h, escalate_to: ops-leads }
        detect:
          rules:
            - { name: low-confidence, attribute: gen_ai.evaluation.score, below: 0.5, blocking: false }
        notify:
          - { name: finance-slack, url: "https://hooks.example/T0/B0", secret_env: FINANCE_HOOK_SECRET,
              events: [opened, breached], match: { owner: finance-approvals }, format: slack }
          - { name: all, url: "http://127.0.0.1:9999/hook" }
        """

    @Test("the DESIGN.md §3 notify entry reads whole, its secret from the environment")
    func reads() throws {
        let configuration = try CausewayConfiguration.load(yaml: Self.example, environment: ["FINANCE_HOOK_SECRET": "s3cret"])
        #expect(configuration.owners.rules.first?.escalateTo == "ops-leads")
        #expect(configuration.detection.rules.first?.blocking == false)
        let slack = try #require(configuration.notify.first)
        #expect(slack.name == "finance-slack")
        #expect(slack.secret == Array("s3cret".utf8))
        #expect(slack.events == ["opened", "breached"])
        #expect(slack.matchOwner == "finance-approvals")
        #expect(slack.format == .slack)
        #expect(slack.dashboardURL == "http://127.0.0.1:9000")
        let all = configuration.notify[1]
        #expect(all.events.count == 7)
        #expect(all.format == .json)
        #expect(all.secretEnv == nil)
    }

    @Test("bad notify entries name the key and line", arguments: [
        ("notify:\n  - { name: a, url: \"ftp://x/y\" }\n", "notify[0].url at line 2 must be an http:// or https:// URL"),
        ("notify:\n  - { url: \"http://x/y\" }\n", "notify[0] at line 2 needs name"),
        ("notify:\n  - { name: a, url: \"http://x/y\", secret_env: NOPE_NOT_SET }\n", "notify[0].secret_env at line 2 names NOPE_NOT_SET, which is not set"),
        ("notify:\n  - { name: a, url: \"http://x/y\", events: [opened, exploded] }\n", "notify[0].events at line 2 takes"),
        ("notify:\n  - { name: a, url: \"http://x/y\", format: xml }\n", "notify[0].format at line 2 must be one of"),
        ("notify:\n  - { name: a, url: \"http://x/y\" }\n  - { name: a, url: \"http://x/z\" }\n", "notify[1].name at line 3 repeats \"a\""),
        ("notify:\n  - { name: a, url: \"http://x/y\", match: { tool: x } }\n", "unknown key notify[0].match.tool at line 2"),
        ("owners:\n  - { owner: a, escalate_to: \"\" }\n", "owners[0] at line 2 needs escalate_to"),
    ])
    func errors(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) { try CausewayConfiguration.load(yaml: yaml, environment: [:]) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}
