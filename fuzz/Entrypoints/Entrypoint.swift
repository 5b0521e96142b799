// libFuzzer entry point, compiled with one harness selected by -D FUZZ_HARNESS_<NAME> (see fuzz/run.sh).
// LLVMFuzzerInitialize writes the harness's built-in seeds when FUZZ_WRITE_SEEDS names a directory.
#if canImport(Glibc)
    import Glibc
#endif

#if FUZZ_HARNESS_PACKET
    let fuzzOne: ([UInt8]) -> Void = PacketFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = { [] }
#elseif FUZZ_HARNESS_SESSION
    let fuzzOne: ([UInt8]) -> Void = SessionFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = SessionFuzzHarness.seeds
#elseif FUZZ_HARNESS_SDR
    let fuzzOne: ([UInt8]) -> Void = SDRFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = { [] }
#elseif FUZZ_HARNESS_SIMULATOR
    let fuzzOne: ([UInt8]) -> Void = SimulatorFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = SimulatorFuzzHarness.seeds
#elseif FUZZ_HARNESS_READING
    let fuzzOne: ([UInt8]) -> Void = ReadingFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = { [] }
#elseif FUZZ_HARNESS_FRU
    let fuzzOne: ([UInt8]) -> Void = FRUFuzzHarness.run
    let builtInSeeds: () -> [[UInt8]] = { [] }
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let directory = getenv("FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    for (index, seed) in builtInSeeds().enumerated() {
        let path = directory + "/seed-" + String(index)
        guard let file = fopen(path, "wb") else { continue }
        _ = seed.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    exit(0)
}
