import Ingest
import Storage
import TraceModel

/// Ingest's sink, backed by the writer: returns once the batch is committed.
struct WriterSink: SpanSink {
    let writer: SpanWriter
    let retryAfterSeconds: Int

    func accept(_ batch: TraceBatch) async throws {
        do {
            try await writer.write(batch)
        } catch is SpanWriter.Saturated {
            throw SpanSinkError.overloaded(retryAfterSeconds: retryAfterSeconds)
        } catch is SpanWriter.Stopped {
            throw SpanSinkError.unavailable("Causeway is shutting down; retry later")
        } catch let error as StorageUnavailable {
            throw SpanSinkError.unavailable("\(error.message); retry later")
        }
    }
}
