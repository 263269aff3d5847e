import Logging
import NIOCore
import NIOPosix
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
        /// Requests refused for want of an ingest token (before their bodies were read).
        public var unauthenticated = 0
        /// Requests refused because the in-flight byte budget was full.
        public var overBudget = 0
        /// Attribute values stored cut to `maxAttributeValueBytes`.
        public var attributeValuesTruncated = 0
        /// Spans refused because their trace passed `maxSpansPerTrace`.
        public var spansOverTraceCap = 0
    }

    let sink: any SpanSink
    public let limits: IngestLimits
    /// Bytes held by every request in flight, over both protocols.
    public let budget: IngestBudget
    let tokens: [IngestToken]
    private let traceSpans: TraceSpanCounts
    let logger: Logger
    private let inFlight = Atomic<Int>(0)
    private let counters = Mutex(Counters())

    public init(sink: any SpanSink, limits: IngestLimits = .default, tokens: [IngestToken] = [], logger: Logger) {
        self.sink = sink
        self.limits = limits
        self.tokens = tokens
        self.budget = IngestBudget(limit: limits.maxInflightBytes)
        self.traceSpans = TraceSpanCounts(limit: limits.maxSpansPerTrace)
        self.logger = logger
    }

    /// Checks an `Authorization` value against the ingest tokens, before any body is read;
    /// open when none are configured. Every digest is compared, each in constant time.
    public func authorize(_ authorization: String?) throws(IngestError) {
        guard !tokens.isEmpty else { return }
        var matched = false
        if let token = TokenDigest.bearerToken(authorization) {
            let digest = TokenDigest.sha256(token)
            for entry in tokens where TokenDigest.constantTimeEqual(entry.sha256, digest) { matched = true }
        }
        guard matched else {
            counters.withLock { $0.unauthenticated += 1 }
            throw .unauthenticated
        }
    }

    /// Reserves `bytes` of the in-flight budget for a request about to be read; refused
    /// (counted, overloaded) when they do not fit.
    public func admit(bytes: Int) throws(IngestError) -> BudgetReservation {
        guard let reservation = BudgetReservation(budget, bytes: bytes) else { throw overBudget() }
        return reservation
    }

    /// Grows a request's reservation as its body is read or decompressed.
    public func grow(_ reservation: inout BudgetReservation, to bytes: Int) throws(IngestError) {
        guard reservation.grow(to: bytes) else { throw overBudget() }
    }

    /// Counts a refusal for a full budget, in the overloaded terms exporters retry.
    func overBudget() -> IngestError {
        counters.withLock { $0.overBudget += 1 }
        return .overloaded(retryAfterSeconds: limits.retryAfterSeconds)
    }

    /// Counts one refused export request. Each transport calls it once, where an export's error
    /// leaves for the client (`OTLPHTTPListener.export`, the gRPC handler), whichever check
    /// refused it: counting at every throw site missed some (a 415, a gzip bomb over HTTP) and
    /// counted others twice (the budget running out while a gRPC message was gunzipped).
    public func countRefusal() {
        counters.withLock { $0.requestsRefused += 1 }
    }

    public var statistics: Counters { counters.withLock { $0 } }

    /// Decodes and stores one export request; returns once its spans are committed.
    public func export(_ body: ByteBuffer, encoding: Encoding) async throws(IngestError) -> ExportResponse {
        let decoded = try await offLoop {
            body.withUnsafeReadableBytes { bytes in
                Result { () throws(IngestError) in try self.decode(bytes, encoding: encoding) }
            }
        }
        return try await store(decoded)
    }

    /// Decodes and stores one export request; returns once its spans are committed.
    public func export(_ body: [UInt8], encoding: Encoding) async throws(IngestError) -> ExportResponse {
        let decoded = try await offLoop {
            body.withUnsafeBytes { bytes in
                Result { () throws(IngestError) in try self.decode(bytes, encoding: encoding) }
            }
        }
        return try await store(decoded)
    }

    /// Runs CPU-heavy work (decoding a 19 MiB body takes a while) on NIO's thread pool rather than
    /// Swift's cooperative pool, whose two threads (on two cores) every request handler needs:
    /// with 13 such decodes under way `/healthz` waited up to 450–616 ms for one; off the pool,
    /// 41–134 ms (release `causeway-bench --admission-only`, alternating builds), and peak RSS
    /// fell from 836–930 MiB to 505–595 MiB (why was not measured).
    private func offLoop<T: Sendable>(_ work: @escaping @Sendable () -> Result<T, IngestError>) async throws(IngestError) -> T {
        let result: Result<T, IngestError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive(work)
        } catch {
            throw .unavailable("Causeway is shutting down; retry later")
        }
        return try result.get()
    }

    /// Stores one gRPC message as `GRPCStreamGuard` passed it: a refusal it signalled, a gzip
    /// message gunzipped within the limits and the budget, or a plain message.
    public func export(guarded message: [UInt8]) async throws(IngestError) -> ExportResponse {
        guard let (signal, offset) = GuardSignal.read(message) else {
            return try await export(message, encoding: .protobuf)
        }
        switch signal {
        case .tooLarge: throw .tooLarge(limitBytes: limits.maxBodyBytes)
        case .overloaded: throw IngestError.overloaded(retryAfterSeconds: limits.retryAfterSeconds)
        case .unauthenticated: throw IngestError.unauthenticated
        case .gzip:
            var reservation = try admit(bytes: 0)
            var gunzip = try Gunzip(maxInput: limits.maxBodyBytes, maxOutput: limits.maxBodyBytes)
            let body = try gunzip.decompress(ByteBuffer(bytes: message[offset...]), holding: &reservation, for: self)
            let response = try await export(body, encoding: .protobuf)
            reservation.end()
            return response
        }
    }

    /// Decodes a body and cuts its oversize attribute values (both walk every value: off the pool).
    private func decode(_ body: UnsafeRawBufferPointer, encoding: Encoding) throws(IngestError) -> DecodedExport {
        guard body.count <= limits.maxBodyBytes else { throw .tooLarge(limitBytes: limits.maxBodyBytes) }
        var decoded: DecodedExport
        do {
            switch encoding {
            case .protobuf: decoded = try OTLPProtobuf.decodeExportRequest(body)
            case .json: decoded = try OTLPJSON.decodeExportRequest(body)
            }
        } catch {
            logger.debug("export request refused", metadata: ["reason": "\(error.message)"])
            throw .badRequest(error.message)
        }
        decoded.truncatedValues = decoded.batch.truncateAttributeValues(maxBytes: limits.maxAttributeValueBytes)
        return decoded
    }

    /// Caps the batch (traces over their span cap refused; attribute values were cut as it was
    /// decoded), then hands it to the sink; returns once its spans are committed.
    private func store(_ decoded: DecodedExport) async throws(IngestError) -> ExportResponse {
        var decoded = decoded
        let running = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        if decoded.batch.spanCount > 0, running > limits.maxConcurrentExports {
            throw .overloaded(retryAfterSeconds: limits.retryAfterSeconds)
        }
        let perTrace = decoded.batch.spansPerTrace
        let overCap = traceSpans.admit(perTrace)
        var spansOverCap = 0
        for trace in overCap.sorted() {
            spansOverCap += perTrace[trace] ?? 0
            decoded.reject(spans: perTrace[trace] ?? 0, reason: "trace \(trace.hex) is over the \(limits.maxSpansPerTrace)-span cap")
        }
        decoded.batch.removeSpans(inTraces: overCap)
        if decoded.batch.spanCount > 0 {
            do {
                try await sink.accept(decoded.batch)
            } catch {
                traceSpans.giveBack(perTrace, except: overCap)
                throw refusal(for: error)
            }
        }
        counters.withLock {
            $0.requestsAccepted += 1
            $0.spansAccepted += decoded.batch.spanCount
            $0.spansRejected += decoded.rejectedSpans
            $0.stringsRepaired += decoded.repairedStrings
            $0.attributeValuesTruncated += decoded.truncatedValues
            $0.spansOverTraceCap += spansOverCap
        }
        return decoded.response
    }

    /// What a sink's failure means to the exporter.
    private func refusal(for error: any Error) -> IngestError {
        switch error {
        case SpanSinkError.overloaded(let seconds):
            return .overloaded(retryAfterSeconds: seconds)
        case SpanSinkError.unavailable(let reason):
            return .unavailable(reason)
        default:
            logger.error("spans could not be stored", metadata: ["error": "\(error)"])
            return .unavailable("spans could not be stored; retry later")
        }
    }
}
