#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Inflates every compressed input section (SHF_COMPRESSED zlib/zstd, legacy `.zdebug_*`) of
/// the files in the link, in parallel, once each, into buffers that live as long as the link.
/// Each task takes a contiguous run of sections and reuses one decoder across it. Afterwards
/// the sections are ordinary: relocations apply to the inflated bytes, string merging and the
/// DWARF line reader see plain contents. Runs after resolution, so archive members that were
/// never extracted are never inflated.
func decompressSections(_ ctx: Context) throws(LinkError) {
    var jobs: [(file: Int32, entry: Int32)] = []
    for (f, obj) in ctx.objects.enumerated() {
        // Sections of COMDAT groups another file owns too: a reader that does not check
        // `alive` must never see compressed bytes under an uncompressed size.
        for k in obj.compressedInputs.indices { jobs.append((Int32(f), Int32(k))) }
    }
    if jobs.isEmpty { return }
    // Contiguous runs of sections per task, each with one decoder reused across its run.
    let taskCount = min(jobs.count, Parallel.threadCount * 4)
    let failures: [[(Int, String)]] = Parallel.map(taskCount) { t -> [(Int, String)] in
        let decoder = Decompressor()
        var found: [(Int, String)] = []
        for j in (jobs.count * t / taskCount)..<(jobs.count * (t + 1) / taskCount) {
            let obj = ctx.objects[Int(jobs[j].file)]
            let c = obj.compressedInputs[Int(jobs[j].entry)]
            guard let sec = obj.sections[c.sectionIndex] else { continue }
            let size = Int(sec.size)
            // malloc, not allocate(): a failed allocation must be an error, not a trap.
            guard let buf = malloc(max(size, 1)) else {
                found.append((j, "\(obj.displayName): cannot allocate \(size) bytes to decompress section \(sec.name.string)"))
                continue
            }
            if let why = decoder.decompress(c.format, from: obj.base + c.payloadOffset, count: c.payloadSize, into: buf, count: size) {
                free(buf)
                found.append((j, "\(obj.displayName): cannot decompress section \(sec.name.string) (\(c.format.name), \(c.payloadSize) bytes at file offset 0x\(hex(c.payloadOffset))): \(why)"))
                continue
            }
            sec.data = UnsafeRawPointer(buf)
        }
        return found
    }
    let errors = failures.flatMap { $0 }.map { $0.1 }
    // Reported in input order, whatever order the threads finished in.
    for e in errors { ctx.diag.error(e) }
    if !errors.isEmpty { throw LinkError("") }
}
