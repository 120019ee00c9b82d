import WeldCore

/// An archive named on the command line, with which members are already in the link.
final class ArchiveInput {
    let archive: Archive
    let path: String
    var loaded: [Bool]
    init(archive: Archive, path: String) {
        self.archive = archive
        self.path = path
        loaded = [Bool](repeating: false, count: archive.members.count)
    }
}

/// Everything one link knows, passed to every pass. Passes are plain functions over it.
final class LinkContext {
    let options: Options
    let diag = Diagnostics.shared
    var symtab = SymbolTable()
    /// Loaded objects, in link order (command line order; archive members when they are pulled).
    var objects: [ObjectFile] = []
    /// Atoms of all loaded objects (object `i`'s atoms start at `objects[i].atomBase`), then
    /// synthesized zero-fill atoms for common symbols.
    var atoms: [Atom] = []
    var dylibs: [DylibFile] = []
    var archives: [ArchiveInput] = []
    /// Symbols whose definition lives in a synthesized atom (commons), by atom.
    var commonSymbols: [Int32] = []
    /// Every file the link opened, in order (for -dependency_info).
    var inputPaths: [String] = []
    /// -u names: undefined references that do not come from an object.
    var forcedUndefined: [Int32] = []
    /// -sectcreate sections and the files that fill them.
    var createdSections: [(section: OutputSection, file: MappedFile)] = []

    // Set by the passes.
    var entrySymbol: Int32 = -1
    /// -init: the function, and the synthesized initializer entry (first in its section).
    var initSymbol: Int32 = -1
    var initAtom: Int32 = -1
    var headerSymbol: Int32 = -1
    /// Linker-defined symbols at the image's first byte (the Mach-O header): they move with the
    /// image, unlike true absolute symbols.
    var imageBaseSymbols: [Int32] = []
    var gotSymbols: [Int32] = []
    var stubSymbols: [Int32] = []
    var tlvPointerSymbols: [Int32] = []
    /// Classic dyld info: dylib functions bound on first call (__la_symbol_ptr, __stub_helper).
    var lazySymbols: [Int32] = []
    var stubBinderSymbol: Int32 = -1
    /// The 8 zero bytes the stub helper passes to dyld_stub_binder (__DATA,__data).
    var dyldPrivateAtom: Int32 = -1
    /// Offsets of each lazy symbol's record in the lazy-bind stream (set with the dyld info).
    var lazyBindOffsets: [UInt32] = []
    /// Imported symbols, in chained-fixup import order.
    var imports: [Int32] = []
    var layout = OutputLayout()
    /// Range-extension thunks, when __TEXT's code is larger than b/bl can cross.
    var thunks: ThunkPlan? = nil
    /// Some function's compact unwind entry defers to its __eh_frame FDE (DWARF mode).
    var hasDwarfUnwindEntries = false

    init(options: Options) { self.options = options }

    /// Whether references to `s` go through dyld: imports, names left to run time, and (with
    /// chained fixups) exported weak definitions, which dyld coalesces across images by a
    /// weak lookup as ld64 and lld arrange.
    @inline(__always) func isBoundAtLoad(_ s: Symbol) -> Bool {
        switch s.kind {
        case .dylib, .undefined: return true
        case .defined: return s.weakDef && s.exported
        default: return false
        }
    }

    /// What a pointer slot bound at load time holds in the file: nothing for chained fixups and
    /// imports; with classic dyld info, an exported weak definition's own address (a rebase,
    /// which a weak bind may then replace with another image's definition).
    @inline(__always) func boundSlotValue(_ s: Symbol, addend: Int64) -> UInt64 {
        if s.kind == .defined && !options.useChainedFixups { return s.address &+ UInt64(bitPattern: addend) }
        return 0
    }

    @inline(__always) func object(of atom: Atom) -> ObjectFile { objects[Int(atom.file)] }

    /// The global symbol index that nlist `n` of `file` became.
    @inline(__always) func symbolID(_ file: ObjectFile, _ n: Int32) -> Int32 { file.symbolIDs[Int(n)] }

    /// "file.o:(__TEXT,__text+0x1c)" for an offset inside a global atom.
    func location(atom a: Int32, offset: UInt32) -> String {
        let atom = atoms[Int(a)]
        if atom.file < 0 { return "<common symbol>" }
        let f = objects[Int(atom.file)]
        return f.location(section: Int(atom.section), offset: UInt64(atom.inputOffset) + UInt64(offset))
    }

    func fileName(ofSymbol s: Symbol) -> String {
        switch s.kind {
        case .dylib: return dylibs[Int(s.file)].path
        case .lazy: return archives[Int(s.file)].path
        default: return s.file >= 0 ? objects[Int(s.file)].name : "<internal>"
        }
    }
}
