import Testing
import WeldCore
@testable import WeldELF

// Inputs weld builds or reads in special forms: `-b binary` and --package-metadata objects
// (built in memory, then read back by the ordinary object parser), compressed sections'
// headers, and the options that choose them.

private func bytes(_ array: [UInt8]) -> UnsafeRawBufferPointer {
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count, 1), alignment: 8)
    p.copyBytes(from: array)
    return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<array.count])
}

/// An object holding one non-allocated section NAME with FLAGS and CONTENTS.
private func objectWith(section name: String, flags: UInt64, contents: [UInt8]) -> ObjectFile {
    var o = MemoryObject()
    o.sections = [.init(name: name, type: SHT.progbits, flags: flags, align: 1, contents: bytes(contents))]
    return o.build(displayName: "test.o", priority: 0)
}

private func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
private func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

@Suite struct InputFormsTests {
    @Test func binaryInputDefinesStartEndAndSize() throws {
        let data: [UInt8] = Array("twelve bytes".utf8)
        let obj = binaryInputObject(path: "dir/my-file.bin", contents: bytes(data), priority: 0)
        try obj.parse()
        var found: [String: (UInt32, UInt64)] = [:]
        for i in 1..<obj.symbolCount { found[obj.symName(i).string] = (obj.symShndx(i), obj.symValue(i)) }
        #expect(found["_binary_dir_my_file_bin_start"]?.1 == 0)
        #expect(found["_binary_dir_my_file_bin_end"]?.1 == 12)
        #expect(found["_binary_dir_my_file_bin_size"]?.0 == UInt32(SHN.abs))
        #expect(found["_binary_dir_my_file_bin_size"]?.1 == 12)
        let data0 = try #require(obj.sections.compactMap { $0 }.first { $0.name.equals(".data") })
        #expect(data0.size == 12 && data0.flags == SHF.alloc | SHF.write)
        #expect(Array(UnsafeRawBufferPointer(start: data0.data, count: 12)) == data)
        #expect(!obj.lacksStackNote && !obj.hasExecStackNote)
    }

    @Test func packageMetadataIsAnFDONote() throws {
        let obj = packageMetadataObject(#"{"name":"x"}"#, priority: 0)
        try obj.parse()
        let note = try #require(obj.sections.compactMap { $0 }.first { $0.name.equals(".note.package") })
        #expect(note.type == SHT.note && note.flags & SHF.alloc != 0 && note.size % 4 == 0)
        let p = note.data
        #expect(p.u32(0) == 4 && p.u32(8) == 0xcafe_1a7e)
        #expect(String(decoding: UnsafeRawBufferPointer(start: p + 12, count: 3), as: UTF8.self) == "FDO")
        let desc = String(decoding: UnsafeRawBufferPointer(start: p + 16, count: Int(p.u32(4)) - 1), as: UTF8.self)
        #expect(desc == #"{"name":"x"}"#)
    }

    @Test func packageMetadataDecoding() {
        func decoded(_ s: String) -> String { String(decoding: decodePackageMetadata(s), as: UTF8.self) }
        #expect(decoded(#"{"plain":"json"}"#) == #"{"plain":"json"}"#)
        #expect(decoded("%7B%22name%22:%22mold%22%2C%22ver%22%3A%22x%20%%22%7d") == #"{"name":"mold","ver":"x %"}"#)
        #expect(decoded("%[lbrace]%[quot]a%[quot]:%[quot]b%[space]c%[quot]%[comma]%[quot]d%[quot]:1%[rbrace]") == #"{"a":"b c","d":1}"#)
        #expect(decoded("100% sure, %[unknown] %4") == "100% sure, %[unknown] %4")
    }

    @Test func compressedSectionGetsItsUncompressedSize() throws {
        // Elf64_Chdr: zlib, 1000 bytes, alignment 8; then any payload (inflated later).
        let chdr = le32(1) + le32(0) + le64(1000) + le64(8)
        let obj = objectWith(section: ".debug_info", flags: SHF.compressed, contents: chdr + [0x78, 0x01, 0, 0])
        try obj.parse()
        let sec = try #require(obj.sections.compactMap { $0 }.first { $0.name.equals(".debug_info") })
        #expect(sec.size == 1000 && sec.align == 8 && sec.flags & SHF.compressed == 0)
        #expect(obj.compressedInputs.count == 1 && obj.compressedInputs[0].format == .zlib && obj.compressedInputs[0].payloadSize == 4)
    }

    @Test func legacyZdebugIsRenamed() throws {
        let header = Array("ZLIB".utf8) + [0, 0, 0, 0, 0, 0, 0x01, 0x00]   // 256, big-endian
        let obj = objectWith(section: ".zdebug_line", flags: 0, contents: header + [1, 2, 3])
        try obj.parse()
        let sec = try #require(obj.sections.compactMap { $0 }.first)
        #expect(sec.name.string == ".debug_line" && sec.size == 256)
        #expect(obj.compressedInputs.first?.payloadSize == 3)
    }

    @Test(arguments: [
        (le32(3) + le32(0) + le64(10) + le64(1), "unknown compression type 3"),
        (le32(1) + le32(0) + le64(1 << 40) + le64(1), "too large"),
        (le32(2) + le32(0) + le64(10) + le64(3), "not a power of two"),
        ([1, 0, 0, 0], "too small"),
    ])
    func badCompressionHeaders(_ contents: [UInt8], _ expected: String) {
        let obj = objectWith(section: ".debug_str", flags: SHF.compressed, contents: contents)
        do {
            try obj.parse()
            Issue.record("parse accepted a bad compression header")
        } catch {
            #expect(error.message.contains("test.o") && error.message.contains(".debug_str") && error.message.contains(expected),
                    "\(error.message)")
        }
    }

    @Test func allocatedCompressedSectionIsAnError() {
        let chdr = le32(1) + le32(0) + le64(4) + le64(1)
        let obj = objectWith(section: ".data", flags: SHF.compressed | SHF.alloc, contents: chdr)
        #expect(throws: LinkError.self) { try obj.parse() }
    }

    @Test func optionSpellings() throws {
        for (value, format) in [("zlib", CompressionFormat.zlib), ("zlib-gabi", .zlib), ("zstd", .zstd)] {
            let o = try Options.parse(["--compress-debug-sections=\(value)", "x.o"])
            #expect(o.compressDebugSections == format)
        }
        #expect(try Options.parse(["--compress-debug-sections", "none", "x.o"]).compressDebugSections == nil)
        #expect(throws: LinkError.self) { try Options.parse(["--compress-debug-sections=lz4", "x.o"]) }
        let o = try Options.parse(["a.o", "-b", "binary", "blob", "--format=elf64-x86-64", "c.o", "--why-extract=-",
                                   "--retain-symbols-file", "keep", "--default-symver", "--no-undefined-version",
                                   "--dynamic-list-data", "--package-metadata={}"])
        #expect(o.inputs.map(\.binary) == [false, true, false])
        #expect(o.whyExtract == "-" && o.retainSymbolsFile == "keep" && o.defaultSymver && o.noUndefinedVersion)
        #expect(o.dynamicListData && o.packageMetadata == "{}")
        #expect(throws: LinkError.self) { try Options.parse(["-b", "srec", "x.o"]) }
    }
}
