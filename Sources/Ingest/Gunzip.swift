import CompressNIO
import NIOCore

/// Streaming gzip decompression that never holds more than `maxOutput` decompressed bytes:
/// a gzip bomb is refused as soon as it crosses the limit.
struct Gunzip {
    let maxInput: Int
    let maxOutput: Int

    func decompress<Body: AsyncSequence>(_ body: Body) async throws(IngestError) -> ByteBuffer where Body.Element == ByteBuffer {
        do {
            let inflater = try ZlibDecompressor(algorithm: .gzip)
            var output = ByteBuffer()
            var scratch = ByteBufferAllocator().buffer(capacity: 64 * 1024)
            var inputSeen = 0
            for try await chunk in body {
                inputSeen += chunk.readableBytes
                guard inputSeen <= maxInput else { throw IngestError.tooLarge(limitBytes: maxInput) }
                var input = chunk
                try pump(inflater, &input, &scratch, into: &output)
                while input.readableBytes > 0 {
                    // Another gzip member follows (concatenated streams are valid gzip).
                    try inflater.reset()
                    try pump(inflater, &input, &scratch, into: &output)
                }
            }
            var empty = ByteBuffer()
            scratch.clear()
            do {
                try inflater.inflate(from: &empty, to: &scratch)
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                throw IngestError.badRequest("gzip body is truncated")
            }
            return output
        } catch let error as IngestError {
            throw error
        } catch {
            throw IngestError.badRequest("gzip body is corrupt (\(error))")
        }
    }

    private func pump(_ inflater: ZlibDecompressor, _ input: inout ByteBuffer, _ scratch: inout ByteBuffer, into output: inout ByteBuffer) throws {
        while true {
            scratch.clear()
            var outputFull = false
            do {
                try inflater.inflate(from: &input, to: &scratch)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                outputFull = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // Needs more input: wait for the next chunk.
            } catch let error as CompressNIOError where error == .corruptData {
                throw IngestError.badRequest("gzip body is corrupt")
            }
            if scratch.readableBytes > 0 {
                guard output.readableBytes + scratch.readableBytes <= maxOutput else {
                    throw IngestError.tooLarge(limitBytes: maxOutput)
                }
                output.writeBuffer(&scratch)
            }
            if !outputFull { return }
        }
    }
}
