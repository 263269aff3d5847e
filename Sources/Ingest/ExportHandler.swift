import Logging
import NIOCore
import OTLP
import Synchronization
import TraceModel

/// The work both listeners share: bound concurrency, decode, hand to the sink, answer.
public final class ExportHandler: Sendable {
    /// The wire encoding of a request body.
    public enum Encoding: Sendable {
        case protobuf
        case json
    }

    /// Counts of what ingest saw, for stats and /metrics.
    public struct Counters: Sendable, Equatable {
        public var requestsAccepted = 0
        public var requestsRefused = 0
        public var spansAccepted = 0
        public var spansRejected = 0
        public var stringsRepaired = 0
    }

    let sink: any SpanSink
    public let limits: IngestLimits
    let logger: Logger
    private let inFlight = Atomic<Int>(0)
    private let counters = Mutex(Counters())

    public init(sink: any SpanSink, limits: IngestLimits = .default, logger: Logger) {
        self.sink = sink
        self.limits = limits
        self.logger = logger
    }

    public var statistics: Counters { counters.withLock { $0 } }

    /// Decodes and stores one export request; returns once its spans are committed.
    public func export(_ body: ByteBuffer, encoding: Encoding) async throws(IngestError) -> ExportResponse {
        let decoded = try body.withUnsafeReadableBytes { bytes in
            Result { () throws(IngestError) in try decode(bytes, encoding: encoding) }
        }.get()
        return try await store(decoded)
    }

    /// Decodes and stores one export request; returns once its spans are committed.
    public func export(_ body: [UInt8], encoding: Encoding) async throws(IngestError) -> ExportResponse {
        let decoded = try body.withUnsafeBytes { bytes in
            Result { () throws(IngestError) in try decode(bytes, encoding: encoding) }
        }.get()
        return try await store(decoded)
    }

    private func decode(_ body: UnsafeRawBufferPointer, encoding: Encoding) throws(IngestError) -> DecodedExport {
        guard body.count <= limits.maxBodyBytes else { throw refuse(.tooLarge(limitBytes: limits.maxBodyBytes)) }
        let decoded: DecodedExport
        do {
            switch encoding {
            case .protobuf: decoded = try OTLPProtobuf.decodeExportRequest(body)
            case .json: decoded = try OTLPJSON.decodeExportRequest(body)
            }
        } catch {
            logger.debug("export request refused", metadata: ["reason": "\(error.message)"])
            throw refuse(.badRequest(error.message))
        }
        return decoded
    }

    private func store(_ decoded: DecodedExport) async throws(IngestError) -> ExportResponse {
        if decoded.batch.spanCount > 0 {
            let running = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
            defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
            guard running <= limits.maxConcurrentExports else {
                throw refuse(.overloaded(retryAfterSeconds: limits.retryAfterSeconds))
            }
            do {
                try await sink.accept(decoded.batch)
            } catch SpanSinkError.overloaded(let seconds) {
                throw refuse(.overloaded(retryAfterSeconds: seconds))
            } catch SpanSinkError.unavailable(let reason) {
                throw refuse(.unavailable(reason))
            } catch {
                logger.error("spans could not be stored", metadata: ["error": "\(error)"])
                throw refuse(.unavailable("spans could not be stored; retry later"))
            }
        }
        counters.withLock {
            $0.requestsAccepted += 1
            $0.spansAccepted += decoded.batch.spanCount
            $0.spansRejected += decoded.rejectedSpans
            $0.stringsRepaired += decoded.repairedStrings
        }
        return decoded.response
    }

    private func refuse(_ error: IngestError) -> IngestError {
        counters.withLock { $0.requestsRefused += 1 }
        return error
    }
}
