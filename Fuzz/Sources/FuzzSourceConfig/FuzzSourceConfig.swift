// libFuzzer entry point; links only with -sanitize=fuzzer (scripts/fuzz.sh). The body is fuzzSourceConfig in FuzzEntryPoints.
import FuzzEntryPoints

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let outcome = fuzzSourceConfig(UnsafeRawBufferPointer(start: data, count: size))
    if !outcome.violations.isEmpty { fatalError(outcome.description) }
    return 0
}
