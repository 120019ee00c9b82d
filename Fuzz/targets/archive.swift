// libFuzzer target: ar archives (GNU, BSD, thin, mixed). Archive.parse over a MappedFile that
// views the input in place, then every symbol-table entry (name, defining member), every member
// (name, bytes, lookup by header offset), as the linker's archive loading does.
@testable import WeldCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let file = MappedFile(path: "dir/fuzz.a", base: data, size: size)
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if !Archive.isArchive(bytes) && size >= 8 { return 0 }
    let ar: Archive
    do { ar = try Archive.parse(file) } catch { _ = error.message.utf8.count; return 0 }
    var sink = 0
    for i in 0..<ar.symbolCount {
        let name = ar.symbolName(i)
        sink &+= name.count
        if name.count > 0 { sink &+= Int(name[name.count - 1]) }
        let m = ar.symbolMember(i)
        sink &+= ar.members[m].name.utf8.count
    }
    for (i, m) in ar.members.enumerated() {
        sink &+= m.name.utf8.count &+ (m.thinPath?.utf8.count ?? 0)
        if let d = ar.memberData(i), d.count > 0 { sink &+= Int(d[0]) &+ Int(d[d.count - 1]) }
        if ar.memberIndex(headerOffset: m.headerOffset) != i { fatalError("member \(i) not found by its header offset") }
    }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
