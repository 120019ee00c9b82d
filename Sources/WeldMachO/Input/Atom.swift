/// A piece of a section that moves as a unit: with MH_SUBSECTIONS_VIA_SYMBOLS a section is cut
/// at every symbol, C strings at every string, literals at every literal.
struct Atom {
    var file: Int32           // object index; -1 for synthesized zero-fill (commons)
    var section: Int32        // index in the file's sections
    var inputOffset: UInt32   // offset in the input section
    var size: UInt32
    var alignLog2: UInt8
    var live: Bool = true
    var relocStart: Int32 = 0
    var relocCount: Int32 = 0
    var outSection: Int32 = -1
    var outOffset: UInt64 = 0
    /// For a deduplicated literal: the global atom index of the copy that is kept (else -1).
    var replacedBy: Int32 = -1
}
