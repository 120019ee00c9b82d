import Testing
import WeldCore
@testable import WeldMachO

/// The object reader on clang's own output: atoms cut at symbols, strings and literals,
/// relocation pairs folded, and damaged headers rejected with a message.
@Suite struct ObjectFileTests {
    func parse(_ source: String, name: String, flags: String = "-O1") throws -> ObjectFile {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let path = try #require(MachOFixtures.compile(source, name: name, in: dir, flags: flags))
        let file = try MappedFile.open(path)
        return try ObjectFile(name: path, bytes: file.bytes)
    }

    func atoms(_ f: ObjectFile, _ sect: String) -> [Atom] {
        guard let s = f.sections.first(where: { $0.sectname == sect }) else { return [] }
        return Array(f.atoms[Int(s.firstAtom)..<Int(s.firstAtom + s.atomCount)])
    }

    @Test(.enabled(if: MachOFixtures.available)) func functionsStringsAndLiteralsBecomeAtoms() throws {
        let f = try parse("""
            int puts(const char *);
            int one(void) { return puts("first"); }
            int two(void) { return puts("second"); }
            """, name: "a.c")
        #expect(f.subsectionsViaSymbols)
        let text = atoms(f, "__text")
        #expect(text.count == 2)   // one atom per function
        let strings = atoms(f, "__cstring")
        #expect(strings.map { $0.size } == [6, 7])   // "first\0", "second\0"
        let lits = try parse("""
                .section __TEXT,__literal8,8byte_literals
                .quad 0x400921fb54442d18
                .quad 0x4005bf0a8b145769
                .subsections_via_symbols
            """, name: "lit.s")
        #expect(atoms(lits, "__literal8").map { $0.size } == [8, 8])
        // Every defined symbol lands at the start of an atom here.
        for k in f.nlists.indices where f.symbolAtom[k] >= 0 && f.nlists[k].kind == MachO.nSect {
            #expect(f.symbolOffset[k] == 0, "\(f.symbolNameString(k))")
        }
    }

    @Test(.enabled(if: MachOFixtures.available)) func relocationPairsAreFolded() throws {
        let f = try parse("""
            extern int table[64];
            int pick(void) { return table[17]; }
            """, name: "b.c", flags: "-O1 -fno-pic -mcmodel=small")
        // adrp+ldr through the GOT or a direct page reference; either way no ADDEND or
        // SUBTRACTOR record survives on its own, and every relocation names its target.
        #expect(!f.relocs.contains { $0.type == ARM64Reloc.addend || $0.type == ARM64Reloc.subtractor })
        #expect(f.relocs.allSatisfy { !$0.targetIsSymbol || Int($0.target) < f.nlists.count })
        let g = try parse(".text\n.globl _f\n_f:\n adrp x0, _g@PAGE + 0x10\n add x0, x0, _g@PAGEOFF + 0x10\n ret\n.data\n.globl _g\n_g: .space 64\n.subsections_via_symbols\n", name: "c.s")
        let page = try #require(g.relocs.first { $0.type == ARM64Reloc.page21 })
        #expect(page.addend == 0x10)   // from the ARM64_RELOC_ADDEND before it
    }

    @Test func damagedHeadersAreErrors() {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes { b in
            b.baseAddress!.put32(0, MachO.magic64)
            b.baseAddress!.put32(4, MachO.cpuTypeARM64)
            b.baseAddress!.put32(12, MachO.mhObject)
            b.baseAddress!.put32(16, 1)          // one load command...
            b.baseAddress!.put32(20, 4096)       // ...whose commands run past the file
        }
        do {
            _ = try bytes.withUnsafeBytes { try ObjectFile(name: "bad.o", bytes: $0) }
            Issue.record("a damaged header was accepted")
        } catch {
            let message = (error as? LinkError)?.message ?? ""
            #expect(message.contains("bad.o") && message.contains("load commands"), "\(message)")
        }
        let x86 = [UInt8](repeating: 0, count: 32).enumerated().map { i, _ -> UInt8 in
            [0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01][safe: i] ?? 0
        }
        do {
            _ = try x86.withUnsafeBytes { try ObjectFile(name: "x86.o", bytes: $0) }
            Issue.record("an x86_64 object was accepted")
        } catch {
            #expect(((error as? LinkError)?.message ?? "").contains("x86_64"))
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i < count ? self[i] : nil }
}
