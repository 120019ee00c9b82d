#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Inflates every compressed input section (SHF_COMPRESSED zlib/zstd, legacy `.zdebug_*`) of
/// the files in the link, in parallel, one job per section, into buffers that live as long as
/// the link. Afterwards the sections are ordinary: relocations apply to the inflated bytes,
/// string merging and the DWARF line reader see plain contents. Runs after resolution, so
/// archive members that were never extracted are never inflated.
func decompressSections(_ ctx: Context) throws(LinkError) {
    var jobs: [(file: Int32, entry: Int32)] = []
    for (f, obj) in ctx.objects.enumerated() {
        for k in obj.compressedInputs.indices { jobs.append((Int32(f), Int32(k))) }
    }
    if jobs.isEmpty { return }
    let errors: [String?] = Parallel.map(jobs.count) { j -> String? in
        let obj = ctx.objects[Int(jobs[j].file)]
        let c = obj.compressedInputs[Int(jobs[j].entry)]
        guard let sec = obj.sections[c.sectionIndex] else { return nil }
        let size = Int(sec.size)
        // malloc, not allocate(): a failed allocation must be an error, not a trap.
        guard let buf = malloc(max(size, 1)) else {
            return "\(obj.displayName): cannot allocate \(size) bytes to decompress section \(sec.name.string)"
        }
        if let why = decompress(c.format, from: obj.base + c.payloadOffset, count: c.payloadSize, into: buf, count: size) {
            free(buf)
            return "\(obj.displayName): cannot decompress section \(sec.name.string) (\(c.format.name), \(c.payloadSize) bytes at file offset 0x\(hex(c.payloadOffset))): \(why)"
        }
        sec.data = UnsafeRawPointer(buf)
        return nil
    }
    // Reported in input order, whatever order the threads finished in.
    var failed = false
    for case let e? in errors { ctx.diag.error(e); failed = true }
    if failed { throw LinkError("") }
}
