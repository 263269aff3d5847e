import PostgresNIO

/// What the PostgreSQL store says when the server refuses: its errors are mapped here, once,
/// into `StorageError` (with the server's message and SQLSTATE), and the ones worth running the
/// transaction again for are recognized here.
enum PostgresFailure {
    /// The SQLSTATE of the server's refusal inside `error` (a transaction's error wraps it).
    static func sqlState(of error: any Error) -> String? {
        if let transaction = error as? PostgresTransactionError {
            return (transaction.closureError ?? transaction.commitError ?? transaction.beginError).flatMap(sqlState(of:))
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A deadlock or a serialization failure: another instance's transaction won; running the
    /// whole transaction again succeeds.
    static func isRetryable(_ error: any Error) -> Bool {
        ["40P01", "40001"].contains(sqlState(of: error) ?? "")
    }

    /// `error` as the store reports it.
    static func mapped(_ error: any Error) -> any Error {
        if error is StorageError || error is StorageUnavailable || error is CancellationError { return error }
        if let transaction = error as? PostgresTransactionError,
           let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
            return mapped(inner)
        }
        if error is PostgresDecodingError {
            return StorageError("PostgreSQL returned a row this version of Causeway cannot read (\(error))")
        }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return StorageError("PostgreSQL refused: \(message) (SQLSTATE \(psql.serverInfo?[.sqlState] ?? "?"))")
            }
            return StorageError("PostgreSQL is unreachable or closed the connection (\(psql.code))")
        }
        return error
    }

    /// Runs `body` (a whole transaction), again up to `attempts` times in all while another
    /// instance's transaction makes it fail retryably; errors come out mapped.
    static func retrying<T>(attempts: Int = 3, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where isRetryable(error) && attempt < attempts {
                attempt += 1
            } catch {
                throw mapped(error)
            }
        }
    }
}
