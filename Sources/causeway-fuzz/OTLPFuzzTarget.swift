import OTLP
import TraceModel

#if CAUSEWAY_FUZZING
/// libFuzzer's entry point (`scripts/fuzz`): every input is decoded as an OTLP protobuf and as
/// an OTLP JSON export request, as the listeners would. Either may refuse it; neither may crash,
/// hang or grow without bound, and what decodes must encode its response.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let decoded = try? OTLPProtobuf.decodeExportRequest(bytes) {
        _ = OTLPProtobuf.encode(decoded.response)
        _ = decoded.batch.spanCount
    }
    if let decoded = try? OTLPJSON.decodeExportRequest(bytes) {
        _ = OTLPJSON.encode(decoded.response)
    }
    _ = try? JSONValue.parse(bytes, maxDepth: 64)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry as `<module>_main`: hand the process to libFuzzer's driver.
@_cdecl("causeway_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}
#else
/// Built without `scripts/fuzz` there is nothing to run.
@main
enum CausewayFuzz {
    static func main() {
        print("causeway-fuzz is a libFuzzer target: run scripts/fuzz [SECONDS]")
    }
}
#endif
