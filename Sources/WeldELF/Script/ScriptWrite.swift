import WeldCore

/// Writes what a script puts into sections besides input sections: BYTE/SHORT/LONG/QUAD
/// data and the fill pattern in gaps. Each range is disjoint from every input section's bytes,
/// so this runs beside the copy of input sections.
func writeScriptContents(_ ctx: Context, _ state: ScriptState, _ buf: UnsafeMutableRawPointer) {
    for (os, offset, size, pattern) in state.fillRanges where !os.isNoBits {
        let p = buf + Int(os.offset + offset)
        for i in 0..<Int(size) { p.storeBytes(of: pattern[i % pattern.count], toByteOffset: i, as: UInt8.self) }
    }
    for (os, offset, size, value) in state.dataItems where !os.isNoBits {
        let p = buf + Int(os.offset + offset)
        for i in 0..<size { p.storeBytes(of: UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))), toByteOffset: i, as: UInt8.self) }
    }
}
