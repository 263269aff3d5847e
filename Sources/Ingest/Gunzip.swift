import CompressNIO
import NIOCore

/// Streaming gzip decompression that never holds more than `maxOutput` decompressed bytes,
/// each step admitted to the in-flight budget: a gzip bomb is refused as soon as it crosses
/// either.
struct Gunzip {
    let maxInput: Int
    let maxOutput: Int
    private let inflater: ZlibDecompressor
    private var output = ByteBuffer()
    private var scratch = ByteBufferAllocator().buffer(capacity: 64 * 1024)
    private var inputSeen = 0

    init(maxInput: Int, maxOutput: Int) throws(IngestError) {
        self.maxInput = maxInput
        self.maxOutput = maxOutput
        do {
            inflater = try ZlibDecompressor(algorithm: .gzip)
        } catch {
            throw .unavailable("gzip could not be set up: \(error)")
        }
    }

    /// A whole gzip body read from `body`.
    mutating func decompress<Body: AsyncSequence>(_ body: Body, holding reservation: inout BudgetReservation,
                                                   for handler: ExportHandler) async throws(IngestError) -> ByteBuffer where Body.Element == ByteBuffer {
        do {
            for try await chunk in body {
                try feed(chunk, holding: &reservation, for: handler)
            }
        } catch let error as IngestError {
            throw error
        } catch {
            throw .badRequest("the request body could not be read: \(error)")
        }
        return try finish()
    }

    /// A whole gzip body already in memory.
    mutating func decompress(_ body: ByteBuffer, holding reservation: inout BudgetReservation,
                              for handler: ExportHandler) throws(IngestError) -> ByteBuffer {
        try feed(body, holding: &reservation, for: handler)
        return try finish()
    }

    private mutating func feed(_ chunk: ByteBuffer, holding reservation: inout BudgetReservation, for handler: ExportHandler) throws(IngestError) {
        inputSeen += chunk.readableBytes
        guard inputSeen <= maxInput else { throw .tooLarge(limitBytes: maxInput) }
        var input = chunk
        try pump(&input, holding: &reservation, for: handler)
        while input.readableBytes > 0 {
            // Another gzip member follows (concatenated streams are valid gzip).
            do { try inflater.reset() } catch { throw .badRequest("gzip body is corrupt") }
            try pump(&input, holding: &reservation, for: handler)
        }
    }

    private mutating func finish() throws(IngestError) -> ByteBuffer {
        var empty = ByteBuffer()
        scratch.clear()
        do {
            try inflater.inflate(from: &empty, to: &scratch)
        } catch let error as CompressNIOError where error == .inputBufferOverflow {
            throw .badRequest("gzip body is truncated")
        } catch {
            throw .badRequest("gzip body is corrupt (\(error))")
        }
        return output
    }

    private mutating func pump(_ input: inout ByteBuffer, holding reservation: inout BudgetReservation, for handler: ExportHandler) throws(IngestError) {
        while true {
            scratch.clear()
            var outputFull = false
            do {
                try inflater.inflate(from: &input, to: &scratch)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                outputFull = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // Needs more input: wait for the next chunk.
            } catch {
                throw .badRequest("gzip body is corrupt")
            }
            if scratch.readableBytes > 0 {
                guard output.readableBytes + scratch.readableBytes <= maxOutput else {
                    throw .tooLarge(limitBytes: maxOutput)
                }
                try handler.grow(&reservation, to: output.readableBytes + scratch.readableBytes)
                output.writeBuffer(&scratch)
            }
            if !outputFull { return }
        }
    }
}
