import Foundation
import Notify
import Storage

extension CausewayConfiguration {
    /// Reads `notify` (DESIGN.md §9): `{name, url, secret_env, events, match, format, dashboard_url}`.
    /// The secret is read from the named environment variable now, so a missing one stops `serve`.
    static func readNotify(_ list: [YAMLSection], environment: [String: String], api: ListenAddress) throws(ConfigurationError) -> [NotificationTarget] {
        var targets: [NotificationTarget] = []
        for entry in list {
            try entry.onlyKeys(["name", "url", "secret_env", "events", "match", "format", "dashboard_url"])
            guard let name = try entry.string("name"), !name.isEmpty else { throw entry.missing("name") }
            guard !targets.contains(where: { $0.name == name }) else {
                throw ConfigurationError("\(entry.path).name at line \(entry.line(of: "name")) repeats \"\(name)\": names tell deliveries apart")
            }
            guard let url = try entry.string("url") else { throw entry.missing("url") }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ConfigurationError("\(entry.path).url at line \(entry.line(of: "url")) must be an http:// or https:// URL, got \"\(url)\"")
            }
            var target = NotificationTarget(name: name, url: url, dashboardURL: "http://\(api.host):\(api.port)")
            if let variable = try entry.string("secret_env") {
                guard let secret = environment[variable], !secret.isEmpty else {
                    throw ConfigurationError("\(entry.path).secret_env at line \(entry.line(of: "secret_env")) names \(variable), which is not set")
                }
                target.secretEnv = variable
                target.secret = Array(secret.utf8)
            }
            if let events = try entry.stringList("events") {
                let unknown = events.filter { !NotificationPlan.events.contains($0) }
                guard unknown.isEmpty, !events.isEmpty else {
                    throw ConfigurationError("\(entry.path).events at line \(entry.line(of: "events")) takes "
                        + NotificationPlan.events.sorted().joined(separator: ", ") + "; got \(unknown.isEmpty ? "none" : unknown.joined(separator: ", "))")
                }
                target.events = Set(events)
            }
            if let match = try entry.section("match") {
                try match.onlyKeys(["class", "category", "owner", "severity"])
                target.matchClass = try match.string("class")
                target.matchCategory = try match.string("category")
                target.matchOwner = try match.string("owner")
                target.matchSeverity = try match.string("severity")
            }
            if let format = try entry.choice("format", NotificationFormat.self) { target.format = format }
            if let dashboard = try entry.string("dashboard_url") { target.dashboardURL = dashboard }
            targets.append(target)
        }
        return targets
    }
}
