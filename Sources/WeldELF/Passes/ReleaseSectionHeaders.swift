import WeldCore

/// Drops the inputs' section header tables from memory before the output comes in: parse()
/// read them into `InputSection`s and nothing reads them after layout, yet they are 64 bytes
/// per section (28 MB for the 437,000 sections of the lld workload, whose peak RSS this took
/// from 431 to 412 MB). One system call per 64 objects (see `PageDropQueue`), on every thread:
/// the kernel drops pages under a shared lock. Anything that reads a header later still reads
/// it right: the page comes back from the page cache.
func releaseSectionHeaders(_ ctx: Context) {
    let pages = InputPages()
    let objects = ctx.objects
    Parallel.forEachChunk(objects.count, minChunk: 64) { range in
        // parse() checked each table lies in its file and sized `sections` to it (extended
        // section numbering included); objects without sections have none to drop.
        pages.release(objects[range].lazy.filter { !$0.sections.isEmpty }.map { (UnsafeRawPointer($0.sectionHeader(0)), $0.sections.count * 64) })
    }
}
