import WeldCore

extension DylibFile {
    /// Reads a text-based stub (.tbd, via the TextStub reader): the first document is the
    /// library itself, the others are libraries it re-exports, which become hidden dylibs whose
    /// exports bind through the umbrella's ordinal.
    static func readTextStub(path: String, bytes: UnsafeRawBufferPointer) throws(LinkError) -> [DylibFile] {
        let docs = try TextStubDocument.parse(bytes, path: path, architecture: "arm64", platform: "macos")
        var out: [DylibFile] = []
        for (i, doc) in docs.enumerated() where doc.isCompatible {
            let d = DylibFile(path: path, installName: doc.installName, currentVersion: doc.currentVersion,
                              compatibilityVersion: doc.compatibilityVersion)
            d.reexports = doc.reexportedLibraries
            d.parentUmbrella = doc.parentUmbrella
            d.isHidden = i > 0
            // One copy of the name pool per document; names are views into it.
            let pool = doc.symbolNameBytes.withUnsafeBytes { NameArena.make($0) }
            d.exports.reserveCapacity(doc.exports.count)
            for e in doc.exports {
                let name = UnsafeRawBufferPointer(rebasing: pool[Int(e.nameOffset)..<Int(e.nameOffset + e.nameLength)])
                d.exports.append(Export(name: name, weakDef: e.kind == .weak, threadLocal: e.kind == .threadLocal))
            }
            out.append(d)
        }
        return out
    }
}
