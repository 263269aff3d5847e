import Hummingbird
import Logging

extension ConnectionLimits {
    /// A listener's Hummingbird configuration with the connection cap applied.
    public func applicationConfiguration(host: String, port: Int, listener: String, logger: Logger) -> ApplicationConfiguration {
        .init(address: .hostname(host, port: port), serverName: "causeway",
              availableConnectionsDelegate: ConnectionCap(limit: maxConnections, listener: listener, logger: logger))
    }
}
