/// A relocation after parsing: pairs (ADDEND + X, SUBTRACTOR + UNSIGNED) are folded into one
/// record, inline addends are read, and section-relative targets are turned into atoms.
struct Reloc {
    var offset: UInt32        // from the start of the atom
    var type: UInt8
    var length: UInt8         // log2 of the width
    var pcrel: Bool
    var targetIsSymbol: Bool  // target is an nlist index; else a file-local atom index
    var target: Int32
    var subtrahend: Int32     // nlist index of a SUBTRACTOR's symbol, or -1
    var addend: Int64
}
