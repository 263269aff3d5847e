import GRDB
import GRDBSQLite

/// A statement on GRDB's raw sqlite3 handle, bound and stepped without per-row allocation:
/// the ingest hot path (measured ≈ 160k rows/s against ≈ 117k through GRDB's Statement).
/// Only use it inside the GRDB access that owns the connection.
final class PreparedStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private var index: Int32 = 0

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw StorageError("the database connection is closed") }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw StorageError("could not prepare a statement: \(String(cString: sqlite3_errmsg(connection)))")
        }
        self.handle = statement
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func nextIndex() -> Int32 {
        index += 1
        return index
    }

    func bind(_ value: Int64) {
        sqlite3_bind_int64(handle, nextIndex(), value)
    }

    func bind(_ value: UInt64) {
        bind(Int64(bitPattern: value))
    }

    func bind(_ value: some BinaryInteger) {
        bind(Int64(value))
    }

    func bind(text: String) {
        var text = text
        text.withUTF8 { bindText(UnsafeRawBufferPointer($0)) }
    }

    func bind(text utf8: [UInt8]) {
        utf8.withUnsafeBytes { bindText($0) }
    }

    private func bindText(_ buffer: UnsafeRawBufferPointer) {
        let index = nextIndex()
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            sqlite3_bind_text(handle, index, "", 0, nil)
            return
        }
        sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(buffer.count), Self.transient)
    }

    func bind(blob: [UInt8]?) {
        guard let blob else {
            sqlite3_bind_null(handle, nextIndex())
            return
        }
        blob.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, nextIndex(), buffer.baseAddress, Int32(buffer.count), Self.transient)
        }
    }

    /// Runs the bound statement to completion and resets it; returns the rows it changed.
    @discardableResult
    func execute() throws -> Int {
        defer {
            sqlite3_reset(handle)
            index = 0
        }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else {
            throw StorageError("write failed: \(String(cString: sqlite3_errmsg(connection)))")
        }
        return Int(sqlite3_changes(connection))
    }

    /// Runs the bound statement and returns the first column of its first row, if any.
    func queryInt64() throws -> Int64? {
        defer {
            sqlite3_reset(handle)
            index = 0
        }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return sqlite3_column_int64(handle, 0) }
        guard code == SQLITE_DONE else {
            throw StorageError("query failed: \(String(cString: sqlite3_errmsg(connection)))")
        }
        return nil
    }
}
