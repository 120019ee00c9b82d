// libFuzzer target: Mach-O export tries (LC_DYLD_EXPORTS_TRIE payloads, as read from dylib
// inputs). Walks every entry; when the walk succeeds, rebuilds a trie from the entries and
// reads it back, which must give the same entries (the builder's own round trip).
import WeldCore
import WeldMachO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExportTrie(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
    do {
        let entries = try ExportTrieReader.entries(bytes, path: "fuzz.trie")
        var builder = ExportTrieBuilder()
        var names = Set<String>()
        for (name, entry) in entries where names.insert(name).inserted { builder.add(name, entry) }
        let rebuilt = try builder.build()
        let again: Result<Int, LinkError> = rebuilt.withUnsafeBytes { raw in
            do throws(LinkError) { return .success(try ExportTrieReader.entries(raw, path: "rebuilt.trie").count) }
            catch { return .failure(error) }
        }
        guard case .success(let count) = again, count == names.count else { fatalError("export trie round trip failed") }
    } catch {
        if error.message.isEmpty { fatalError("empty error message") }
    }
    return 0
}
