/// nlist_64 as read from the symbol table.
struct NList {
    var strx: UInt32
    var type: UInt8
    var sect: UInt8
    var desc: UInt16
    var value: UInt64

    var isStab: Bool { type & MachO.nStab != 0 }
    var isExternal: Bool { type & MachO.nExt != 0 }
    var isPrivateExtern: Bool { type & MachO.nPext != 0 }
    var kind: UInt8 { type & MachO.nTypeMask }
}
