import GRDB

/// Writes many rows with one statement a chunk of up to `chunk` rows, the rows' values bound
/// into a multi-row list `(?, …), (?, …)` put where the statement's text says. The writer's
/// per-round statements (fact counts, repeats, settle windows) went through one JSON array
/// read by `json_each` before, each row's fields parsed out of its element again for every
/// column. Measured on the bench's linked load (`causeway-bench --linked-only`, timing each
/// step in the writer): the fact counts took 0.053–0.057 s of the writer's time against 0.080;
/// the repeats and settle windows, whose time is in the rows they change, stayed at 0.066 and
/// 0.017 s.
enum ValuesList {
    static let chunk = 64

    /// Runs `sql(list)` over `rows`, a chunk at a time; `bind` binds one row's `columns` values
    /// in order. The full-chunk statement is prepared once a call, a shorter last chunk's once.
    static func execute<Element>(_ db: Database, columns: Int, rows: some Collection<Element>, sql: (String) -> String,
                                 bind: (PreparedStatement, Element) -> Void) throws {
        let tuple = "(" + repeatElement("?", count: columns).joined(separator: ", ") + ")"
        var full: PreparedStatement?
        var rest = rows[...]
        while !rest.isEmpty {
            let part = rest.prefix(chunk)
            rest = rest.dropFirst(part.count)
            let statement: PreparedStatement
            if part.count == chunk, let full {
                statement = full
            } else {
                statement = try PreparedStatement(db, sql: sql(repeatElement(tuple, count: part.count).joined(separator: ", ")))
                if part.count == chunk { full = statement }
            }
            for row in part { bind(statement, row) }
            try statement.execute()
        }
    }
}
