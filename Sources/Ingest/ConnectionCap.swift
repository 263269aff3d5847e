import HummingbirdCore
import Logging

/// At most `limit` connections open on one listener; past it new ones wait in the backlog, and
/// one line is logged each time the cap is reached (DESIGN.md §1).
struct ConnectionCap: AvailableConnectionsDelegate {
    let limit: Int
    let listener: String
    let logger: Logger
    private var open = 0
    private var atCap = false

    init(limit: Int, listener: String, logger: Logger) {
        self.limit = limit
        self.listener = listener
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open >= limit, !atCap {
            atCap = true
            logger.warning("connection cap reached; new connections wait until one closes",
                           metadata: ["listener": "\(listener)", "max_connections": "\(limit)"])
        }
    }

    mutating func connectionClosed() {
        open -= 1
        if atCap, open < limit {
            atCap = false
            logger.info("below the connection cap again", metadata: ["listener": "\(listener)", "open_connections": "\(open)"])
        }
    }

    func isAcceptingNewConnections() -> Bool {
        open < limit
    }
}
