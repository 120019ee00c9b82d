// libFuzzer target: ELF relocatable objects. Runs ObjectFile.parse on the input in place
// (libFuzzer hands over an exactly-sized heap buffer, so ASan sees any read past the end), then
// walks everything the linker reads through the accessors after a successful parse: every
// section, every symbol (name, section, index, value), every relocation and the symbol it
// names, the COMDAT groups, and compressed sections' payloads.
import WeldCore
import WeldELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObject(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let obj = ObjectFile(displayName: "fuzz.o", base: data, size: size, priority: 0, isFromArchive: false)
    do { try obj.parse() } catch { _ = error.message.utf8.count; return 0 }
    var sink = 0
    for (i, name) in obj.sectionNames.enumerated() {
        sink &+= name.count &+ i
        if name.count > 0 { sink &+= Int(name.ptr.load(fromByteOffset: name.count - 1, as: UInt8.self)) }
    }
    if obj.symtab != nil {
        for s in 0..<obj.symbolCount {
            let n = obj.symName(s)
            sink &+= n.count
            if n.count > 0 { sink &+= Int(n.ptr.load(fromByteOffset: n.count - 1, as: UInt8.self)) }
            sink &+= Int(obj.symBind(s)) &+ Int(obj.symType(s)) &+ Int(obj.symVisibility(s))
            sink &+= Int(truncatingIfNeeded: obj.symValue(s) &+ obj.symSize(s)) &+ Int(obj.symShndx(s))
            if obj.isDefined(s) { sink &+= 1 }
            if let sec = obj.symSection(s) { sink &+= sec.index &+ sec.name.count }
        }
    }
    // Compressed sections have their uncompressed size now and their contents only after
    // decompressSections (zlib/zstd are not in the fuzz build): touch their payload instead.
    var compressed = Set<Int>()
    for c in obj.compressedInputs {
        compressed.insert(c.sectionIndex)
        if c.payloadSize > 0 {
            sink &+= Int(data.load(fromByteOffset: c.payloadOffset, as: UInt8.self))
            sink &+= Int(data.load(fromByteOffset: c.payloadOffset + c.payloadSize - 1, as: UInt8.self))
        }
    }
    for case let sec? in obj.sections {
        sink &+= Int(truncatingIfNeeded: sec.size &+ sec.align &+ sec.entsize) &+ Int(sec.type)
        if !sec.isNoBits && sec.size > 0 && !compressed.contains(sec.index) {
            // The linker copies section contents: touch the first and last byte.
            sink &+= Int(sec.data.load(as: UInt8.self))
            sink &+= Int(sec.data.load(fromByteOffset: Int(sec.size) - 1, as: UInt8.self))
        }
        for r in 0..<sec.relocCount {
            let rel = sec.reloc(r)
            sink &+= Int(rel.type) &+ Int(truncatingIfNeeded: rel.offset) &+ Int(truncatingIfNeeded: rel.addend)
            if obj.symtab != nil && rel.sym < obj.symbolCount {
                sink &+= obj.symName(rel.sym).count
                if let target = obj.symSection(rel.sym) { sink &+= target.index }
            }
        }
    }
    for g in obj.groups {
        sink &+= g.signature.count
        for m in g.members { if let s = obj.sections[Int(m)] { sink &+= s.index } }
    }
    if sink == 0x5eed_f00d { print(sink) }   // keep the reads
    return 0
}
