// libFuzzer target: __eh_frame sections. Reads every CIE and FDE at two section addresses.
import WeldCore
import WeldMachO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEHFrame(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
    var sink: UInt64 = 0
    for address: UInt64 in [0, 0xFFFF_FFFF_FFFF_F000] {
        do {
            for f in try EHFrameReader.fdes(bytes, sectionAddress: address, path: "fuzz.o") {
                sink &+= f.functionAddress &+ f.functionLength &+ UInt64(f.offset) &+ (f.lsdaAddress ?? 0)
            }
        } catch {
            sink &+= UInt64(error.message.utf8.count)
        }
    }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
