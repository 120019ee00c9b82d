import WeldCore

/// A shared library given as input: its dynamic symbols, their versions, its soname and the
/// symbols it leaves undefined (which an executable must export if it defines them).
public final class SharedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer
    public let size: Int
    public let priority: Int64
    public var index: Int32 = -1
    public var soname: String
    public let asNeeded: Bool
    public var isNeeded = false              // referenced: emitted as DT_NEEDED
    public var dynsym: UnsafeRawPointer? = nil
    public var symbolCount = 0
    public var dynstr: UnsafeRawPointer? = nil
    public var dynstrSize = 0
    public var versym: UnsafeRawPointer? = nil
    /// Version names by version index (index 0 and 1 are local/global: empty).
    public var versionNames: [NameRef?] = []
    public var symbolIds: [Int32] = []       // global id of each dynamic symbol (or -1)

    public init(path: String, base: UnsafeRawPointer, size: Int, priority: Int64, asNeeded: Bool) {
        self.path = path; self.base = base; self.size = size; self.priority = priority; self.asNeeded = asNeeded
        self.soname = path.split(separator: "/").last.map(String.init) ?? path
    }

    func corrupt(_ what: String) -> LinkError { LinkError("\(path): corrupt shared library: \(what)") }

    /// Name of dynamic symbol i. parse() found a terminator inside .dynstr for every symbol's
    /// name, so `strlen` stays inside the table.
    @inline(__always) public func symName(_ i: Int) -> NameRef {
        let p = dynstr! + Int(dynsym!.u32(i * 24))
        return NameRef(p, strlen(p.assumingMemoryBound(to: CChar.self)))
    }
    @inline(__always) public func symBind(_ i: Int) -> UInt8 { dynsym!.u8(i * 24 + 4) >> 4 }
    @inline(__always) public func symType(_ i: Int) -> UInt8 { dynsym!.u8(i * 24 + 4) & 0xf }
    @inline(__always) public func symVisibility(_ i: Int) -> UInt8 { dynsym!.u8(i * 24 + 5) & 3 }
    @inline(__always) public func symShndx(_ i: Int) -> UInt16 { dynsym!.u16(i * 24 + 6) }
    @inline(__always) public func symValue(_ i: Int) -> UInt64 { dynsym!.u64(i * 24 + 8) }
    @inline(__always) public func symSize(_ i: Int) -> UInt64 { dynsym!.u64(i * 24 + 16) }
    /// Version index of dynamic symbol i (bit 15, "hidden", masked off), 1 if unversioned.
    @inline(__always) public func symVersion(_ i: Int) -> UInt16 { versym.map { $0.u16(i * 2) & 0x7fff } ?? 1 }
    @inline(__always) public func symVersionHidden(_ i: Int) -> Bool { versym.map { $0.u16(i * 2) & 0x8000 != 0 } ?? false }

    public func parse() throws(LinkError) {
        let b = base
        if size < 64 { throw corrupt("file is too small for an ELF header") }
        if b.u32(0) != 0x464c_457f || b.u8(4) != 2 || b.u8(5) != 1 { throw LinkError("\(path): not an ELF64 little-endian file") }
        if b.u16(18) != EM_X86_64 { throw LinkError("\(path): is for machine \(b.u16(18)), not x86-64") }
        if b.u16(16) != ET.dyn { throw LinkError("\(path): is not a shared library") }
        let shoff = b.u64(40), shnum = Int(b.u16(60))
        if b.u16(58) != 64 || shoff > UInt64(size) || UInt64(shnum) * 64 > UInt64(size) - shoff {
            throw corrupt("section headers at 0x\(hex(shoff)) are outside the file")
        }
        let sh = b + Int(shoff)
        func checked(_ i: Int) throws(LinkError) -> (UnsafeRawPointer, Int) {
            let h = sh + i * 64
            let off = h.u64(24), sz = h.u64(32)
            if off > UInt64(size) || sz > UInt64(size) - off { throw corrupt("section \(i) extends past the end of the file") }
            return (b + Int(off), Int(sz))
        }
        var verdefIndex = -1
        for i in 0..<shnum {
            let h = sh + i * 64
            switch h.u32(4) {
            case SHT.dynsym:
                let (p, sz) = try checked(i)
                dynsym = p; symbolCount = sz / 24
                let link = Int(h.u32(40))
                if link >= shnum { throw corrupt(".dynsym links to section \(link), out of range") }
                (dynstr, dynstrSize) = try checked(link)
            case SHT.gnuVersym: versym = try checked(i).0
            case SHT.gnuVerdef: verdefIndex = i
            case SHT.dynamic:
                let (p, sz) = try checked(i)
                // DT_SONAME refers into the dynamic string table, which .dynsym's link names.
                var k = 0
                while k + 16 <= sz {
                    let tag = p.i64(k)
                    if tag == DT.null { break }
                    if tag == DT.soname {
                        let link = Int(h.u32(40))
                        if link < shnum {
                            let (s, ssz) = try checked(link)
                            let val = p.u64(k + 8), off = Int(truncatingIfNeeded: val)
                            if val < UInt64(ssz), let len = s.cStringLength(off, limit: ssz - off) {
                                soname = String(decoding: UnsafeRawBufferPointer(start: s + off, count: len), as: UTF8.self)
                            }
                        }
                    }
                    k += 16
                }
            default: break
            }
        }
        if symbolCount > 0 {
            // Every name must end inside .dynstr; when the table ends with NUL, that is true of
            // every offset inside it.
            let syms = dynsym!, str = dynstr!, strSize = dynstrSize
            let terminated = str.endsWithNUL(size: strSize)
            for s in 0..<symbolCount {
                let off = Int(syms.u32(s * 24))
                if UInt(bitPattern: off) >= UInt(bitPattern: strSize) || !terminated && str.cStringLength(off, limit: strSize - off) == nil {
                    throw corrupt("dynamic symbol \(s) has a bad name offset")
                }
            }
        }
        if let v = versym, (v - b) + symbolCount * 2 > size { throw corrupt(".gnu.version is truncated") }
        if verdefIndex >= 0 {
            let (p, sz) = try checked(verdefIndex)
            var off = 0
            var names: [NameRef?] = [nil, nil]
            for _ in 0..<Int((sh + verdefIndex * 64).u32(44)) {
                if off + 20 > sz { throw corrupt(".gnu.version_d is truncated") }
                let ndx = Int(p.u16(off + 4)), aux = Int(p.u32(off + 12)), next = Int(p.u32(off + 16))
                if off + aux + 8 <= sz {
                    let nameOff = Int(p.u32(off + aux))
                    if nameOff < dynstrSize, let len = dynstr!.cStringLength(nameOff, limit: dynstrSize - nameOff) {
                        while names.count <= ndx { names.append(nil) }
                        names[ndx] = NameRef(dynstr! + nameOff, len)
                    }
                }
                if next == 0 { break }
                off += next
            }
            versionNames = names
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
