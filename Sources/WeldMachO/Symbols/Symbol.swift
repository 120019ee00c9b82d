#if canImport(Glibc)
import Glibc
#endif

/// A symbol name as a view into memory that lives for the whole link (an input mapping, or the
/// name arena for names that come from elsewhere). No String per symbol.
struct Name {
    var base: UnsafeRawPointer
    var count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    var string: String { String(decoding: bytes, as: UTF8.self) }
    func equals(_ other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (count == 0 || memcmp(base, other.baseAddress!, count) == 0)
    }
    func hasPrefix(_ c: UInt8) -> Bool { count > 0 && base.u8(0) == c }
}

/// What a symbol currently is. Resolution only ever moves a name "up" this list's precedence:
/// undefined < lazy (archive member) < dylib < common < weak definition < definition.
enum SymbolKind: UInt8 {
    case undefined
    case lazy          // defined by an archive member that is not loaded (yet)
    case dylib         // exported by a dylib
    case common        // tentative definition
    case defined       // in an atom of a loaded object
    case absolute      // N_ABS
}

/// One symbol of the link: every external name once, plus every local symbol of every loaded
/// object (so relocations can name either the same way). Hot data: an array of these.
struct Symbol {
    var name: Name
    var kind: SymbolKind = .undefined
    var external = false
    var privateExtern = false
    var weakDef = false
    /// Every definition so far is weak and "can be hidden" (N_WEAK_DEF with N_WEAK_REF, from
    /// `.weak_def_can_be_hidden`: C++ inline functions whose address is never taken): the
    /// output keeps it out of the export trie, as ld64 does.
    var canBeHidden = false
    var weakRef = true            // every reference weak (N_WEAK_REF) so far
    var noDeadStrip = false
    var referencedDynamically = false
    var isThreadLocal = false
    var isFunction = false        // defined in a section with instructions
    var commonAlignLog2: UInt8 = 0
    /// Object index (defined, undefined, common), dylib index (dylib), archive index (lazy).
    var file: Int32 = -1
    /// Global atom index (defined, common after allocation), archive member (lazy).
    var atom: Int32 = -1
    /// Offset in the atom; the size of a common; an absolute value.
    var value: UInt64 = 0
    /// Synthesized slots, -1 when not needed.
    var gotSlot: Int32 = -1
    var stubSlot: Int32 = -1
    var tlvSlot: Int32 = -1
    var lazySlot: Int32 = -1      // classic lazy binding: __la_symbol_ptr slot
    var importIndex: Int32 = -1
    /// Index in the output symbol table, -1 when not written.
    var outputIndex: Int32 = -1
    var exported = false
    var address: UInt64 = 0
}
