import Testing
import WeldCore
@testable import WeldMachO

private let sdkLib = "/work/shared/macho/sdk/usr/lib"
private let zigLibSystem = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/ziglang/lib/libc/darwin/libSystem.tbd"

private func parseText(_ text: String, path: String = "test.tbd", arch: String = "arm64",
                       platform: String = "macos") throws(LinkError) -> [TextStubDocument] {
    var text = text
    let result: Result<[TextStubDocument], LinkError> = text.withUTF8 { buf in
        do throws(LinkError) {
            return .success(try TextStubDocument.parse(UnsafeRawBufferPointer(buf), path: path,
                                                        architecture: arch, platform: platform))
        } catch { return .failure(error) }
    }
    return try result.get()
}

private func parseFile(_ path: String) throws -> [TextStubDocument] {
    let file = try MappedFile.open(path)
    return try TextStubDocument.parse(file.bytes, path: path)
}

/// The error message for `text`, or nil if it parsed.
private func errorMessage(_ text: String, arch: String = "arm64") -> String? {
    do { _ = try parseText(text, path: "bad.tbd", arch: arch); return nil } catch { return error.message }
}

@Suite struct TextStubTests {
    static var sdkAvailable: Bool { fileExists("\(sdkLib)/libSystem.tbd") }

    @Test(.enabled(if: sdkAvailable)) func stubSDKLibSystem() throws {
        let docs = try parseFile("\(sdkLib)/libSystem.tbd")
        #expect(docs.count == 1)
        let d = docs[0]
        #expect(d.installName == "/usr/lib/libSystem.B.dylib")
        #expect(d.currentVersion == 1319 << 16)
        #expect(d.compatibilityVersion == 1 << 16)
        #expect(d.targets == ["arm64-macos", "x86_64-macos"])
        #expect(d.isCompatible)
        let names = d.exportedNames
        #expect(names.first == "_write")
        #expect(names.last == "dyld_stub_binder")
        #expect(names.contains("__tlv_bootstrap"))
        #expect(names.contains("___stack_chk_guard"))
        #expect(d.exports.allSatisfy { $0.kind == .regular && !$0.isReexport })
    }

    @Test(.enabled(if: sdkAvailable)) func stubSDKLibcxxAndObjC() throws {
        let cxx = try parseFile("\(sdkLib)/libc++.tbd")[0]
        #expect(cxx.installName == "/usr/lib/libc++.1.dylib")
        #expect(cxx.currentVersion == (1500 << 16 | 65 << 8))
        #expect(cxx.exportedNames.contains("___gxx_personality_v0"))
        let objc = try parseFile("\(sdkLib)/libobjc.tbd")[0]
        #expect(objc.exportedNames == ["_objc_msgSend", "__objc_empty_cache", "_objc_autoreleasePoolPush",
                                       "_objc_autoreleasePoolPop", "_OBJC_CLASS_$_NSObject", "_OBJC_METACLASS_$_NSObject"])
    }

    @Test(.enabled(if: fileExists(zigLibSystem))) func zigMultiDocumentLibSystem() throws {
        let docs = try parseFile(zigLibSystem)
        #expect(docs.count == 40)
        let main = docs[0]
        #expect(main.installName == "/usr/lib/libSystem.B.dylib")
        #expect(main.currentVersion == 1359 << 16)
        // Every re-exported library is inlined as a later document, in the same order.
        #expect(main.reexportedLibraries == docs.dropFirst().map(\.installName))
        // The x86_64-only `R8289209$_…` symbols are filtered out; the arm64e ones serve arm64.
        #expect(main.exportedNames == ["___crashreporter_info__", "_libSystem_init_after_boot_tasks_4launchd", "_mach_init_routine"])
        #expect(docs.dropFirst().allSatisfy { $0.parentUmbrella == "System" && $0.isCompatible })
        #expect(docs[2].currentVersion == 65535 << 16)
        // 9450 exports for arm64-macos, counted independently with PyYAML over the same file
        // (objc-classes count twice: class and metaclass).
        #expect(docs.reduce(0) { $0 + $1.exports.count } == 9450)
        let all = Set(docs.flatMap(\.exportedNames))
        #expect(all.contains("_printf"))
        #expect(all.contains("_malloc"))
        #expect(all.contains("_OBJC_CLASS_$_OS_dispatch_data"))
        #expect(all.contains("_OBJC_METACLASS_$_OS_dispatch_data"))
        #expect(!all.contains("R8289209$_close"))
        // The same file read for x86_64 keeps those.
        let x86 = try MappedFile.open(zigLibSystem)
        let x86Docs = try TextStubDocument.parse(x86.bytes, path: zigLibSystem, architecture: "x86_64")
        #expect(x86Docs[0].exportedNames.contains("R8289209$_close"))
    }

    /// ld64.lld links a program against zig's libSystem.tbd (its `arm64e.x1` targets, which
    /// lld rejects, removed): every symbol lld bound to libSystem is among the exports read
    /// here, and the library's install name is the one lld recorded.
    @Test(.enabled(if: fileExists(zigLibSystem) && MachOFixtures.available)) func zigLibSystemAgreesWithLLD() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        MachOFixtures.write("\(dir)/strip.py", """
        import re, sys
        t = open(sys.argv[1]).read()
        t = re.sub(r',\\s*arm64e\\.x1-[a-z]+', '', t)
        t = re.sub(r'arm64e\\.x1-[a-z]+\\s*,\\s*', '', t)
        open(sys.argv[2], 'w').write(t)
        """)
        MachOFixtures.run("mkdir -p \(dir)/sdk/usr/lib && python3 \(dir)/strip.py \(zigLibSystem) \(dir)/sdk/usr/lib/libSystem.tbd")
        let source = """
        int printf(const char *, ...); void *malloc(unsigned long); void free(void *); int strcmp(const char *, const char *);
        void dispatch_async_f(void *, void *, void (*)(void *)); int pthread_mutex_lock(void *); double sqrt(double); int atexit(void (*)(void));
        static void bye(void) {}
        int main(int c, char **v) { void *p = malloc(4); free(p); atexit(bye); pthread_mutex_lock(0);
          printf("%d %f %p\\n", strcmp(v[0], "x"), sqrt(c), (void *)0); dispatch_async_f(0, 0, 0); return 0; }
        """
        let obj = try #require(MachOFixtures.compile(source, name: "uses.c", in: dir, flags: "-O0"))
        let r = MachOFixtures.run("\(MachOFixtures.ld64) -arch arm64 -platform_version macos 13.0 13.0 -syslibroot \(dir)/sdk -lSystem -o \(dir)/uses \(obj)")
        #expect(r.status == 0, "\(r.output)")
        let dump = MachOFixtures.run("python3 -c \"import sys; sys.path.insert(0,'\(MachOFixtures.shared)'); import machoparse as M; m=M.load('\(dir)/uses'); print(m.dylibs); [print(s) for (o,s,w,a) in m.fixups()[1]]\"")
        #expect(dump.status == 0, "\(dump.output)")
        let lines = dump.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("/usr/lib/libSystem.B.dylib") == true)
        let bound = Set(lines.dropFirst())
        #expect(bound.isSuperset(of: ["_printf", "_malloc", "_free", "_strcmp", "_dispatch_async_f", "_pthread_mutex_lock", "_atexit"]))
        let docs = try parseFile(zigLibSystem)
        #expect(docs[0].installName == "/usr/lib/libSystem.B.dylib")
        let exported = Set(docs.flatMap(\.exportedNames))
        #expect(bound.subtracting(exported).isEmpty, "lld bound names weld does not export: \(bound.subtracting(exported).sorted())")
    }

    @Test func v4AllSymbolKindsAndTargetFiltering() throws {
        let text = """
        --- !tapi-tbd
        tbd-version:     4
        targets:         [ x86_64-macos, arm64-macos, arm64-ios ]
        flags:           [ flat_namespace, not_app_extension_safe ]
        install-name:    '/System/Library/Frameworks/Foo.framework/Versions/A/Foo'
        current-version: 1.2.3
        compatibility-version: 1.1
        parent-umbrella:
          - targets:         [ arm64-macos ]
            umbrella:        Umbrella
        allowable-clients:
          - targets:         [ arm64-macos ]
            clients:         [ ClientA, "Client B" ]
          - targets:         [ x86_64-macos ]
            clients:         [ IntelOnly ]
        reexported-libraries:
          - targets:         [ x86_64-macos, arm64-macos ]
            libraries:       [ '/usr/lib/libbar.dylib' ]
        exports:
          - targets:         [ x86_64-macos, arm64-macos ]
            symbols:         [ _a, 'it''s', "_esc\\x41\\n" ]   # comment after a list
            weak-symbols:    [ _w ]
            thread-local-symbols: [ _tls ]
            objc-classes:    [ Cls ]
            objc-eh-types:   [ Cls ]
            objc-ivars:      [ Cls.ivar ]
          - targets:         [ arm64-ios ]
            symbols:         [ _iosOnly ]
          - targets:         [ x86_64-macos ]
            symbols:
              - _intelOnly
        reexports:
          - targets:         [ arm64-macos ]
            symbols:         [ _re ]
        undefineds:
          - targets:         [ arm64-macos ]
            symbols:         [ _ignored ]
        ...
        """
        let d = try parseText(text)[0]
        #expect(d.installName == "/System/Library/Frameworks/Foo.framework/Versions/A/Foo")
        #expect(d.currentVersion == 0x10203)
        #expect(d.compatibilityVersion == 0x10100)
        #expect(d.flags == [.flatNamespace, .notAppExtensionSafe])
        #expect(d.parentUmbrella == "Umbrella")
        #expect(d.allowableClients == ["ClientA", "Client B"])
        #expect(d.reexportedLibraries == ["/usr/lib/libbar.dylib"])
        #expect(d.exportedNames == ["_a", "it's", "_escA\n", "_w", "_tls", "_OBJC_CLASS_$_Cls", "_OBJC_METACLASS_$_Cls",
                                    "_OBJC_EHTYPE_$_Cls", "_OBJC_IVAR_$_Cls.ivar", "_re"])
        #expect(d.exports.map(\.kind) == [.regular, .regular, .regular, .weak, .threadLocal, .regular, .regular, .regular, .regular, .regular])
        #expect(d.exports.map(\.isReexport) == [false, false, false, false, false, false, false, false, false, true])

        let ios = try parseText(text, platform: "ios")[0]
        #expect(ios.exportedNames == ["_iosOnly"])
        #expect(ios.parentUmbrella == nil)
        let intel = try parseText(text, arch: "x86_64")[0]
        #expect(intel.exportedNames.contains("_intelOnly"))
        #expect(intel.allowableClients == ["IntelOnly"])
        #expect(!intel.exportedNames.contains("_re"))
    }

    @Test func v4DefaultsAndDocumentWithoutEndMarker() throws {
        let docs = try parseText("""
        --- !tapi-tbd
        tbd-version: 4
        targets: [ arm64e-macos ]
        install-name: /usr/lib/libA.dylib
        exports:
        - targets: [ arm64e-macos ]
          symbols: [ _x ]
        --- !tapi-tbd
        tbd-version: 4
        targets: [ arm64-macos ]
        install-name: /usr/lib/libB.dylib
        """)
        #expect(docs.map(\.installName) == ["/usr/lib/libA.dylib", "/usr/lib/libB.dylib"])
        #expect(docs[0].currentVersion == 0x10000 && docs[0].compatibilityVersion == 0x10000)
        #expect(docs[0].exportedNames == ["_x"])
        #expect(docs[1].exports.isEmpty)
    }

    @Test func v5JSON() throws {
        let text = """
        {
        "tapi_tbd_version": 5,
        "main_library": {
          "target_info": [ { "target": "x86_64-macos", "min_deployment": "10.14" },
                           { "target": "arm64-macos", "min_deployment": "11.0" } ],
          "flags": [ { "targets": [ "x86_64-macos" ], "attributes": [ "flat_namespace" ] } ],
          "install_names": [ { "name": "/S/L/F/Foo.framework/Foo" } ],
          "current_versions": [ { "version": "1.2" } ],
          "compatibility_versions": [ { "version": "1.1" } ],
          "parent_umbrellas": [ { "umbrella": "System" } ],
          "allowable_clients": [ { "clients": [ "ClientA" ] } ],
          "reexported_libraries": [ { "names": [ "/u/l/l/libfoo.dylib" ] } ],
          "exported_symbols": [
            { "targets": [ "x86_64-macos", "arm64-macos" ],
              "data": { "global": [ "_global" ], "objc_class": [ "ClassA" ], "weak": [ "_wdata" ], "thread_local": [ "_tlv" ] },
              "text": { "global": [ "_func\\u0041" ], "weak": [] } },
            { "targets": [ "x86_64-macos" ],
              "text": { "global": [ "_intelOnly" ] } }
          ],
          "reexported_symbols": [ { "data": { "objc_eh_type": [ "E" ], "objc_ivar": [ "C.i" ] } } ],
          "undefined_symbols": [ { "data": { "global": [ "_undef" ] } } ]
        },
        "libraries": [
          { "target_info": [ { "target": "arm64-macos" } ],
            "install_names": [ { "name": "/u/l/l/libfoo.dylib" } ],
            "exported_symbols": [ { "text": { "global": [ "_foo" ] } } ] }
        ]
        }
        """
        let docs = try parseText(text)
        #expect(docs.count == 2)
        let d = docs[0]
        #expect(d.installName == "/S/L/F/Foo.framework/Foo")
        #expect(d.targets == ["x86_64-macos", "arm64-macos"])
        #expect(d.currentVersion == 0x10200 && d.compatibilityVersion == 0x10100)
        #expect(d.flags == [])
        #expect(d.parentUmbrella == "System")
        #expect(d.allowableClients == ["ClientA"])
        #expect(d.reexportedLibraries == ["/u/l/l/libfoo.dylib"])
        #expect(d.exportedNames == ["_global", "_OBJC_CLASS_$_ClassA", "_OBJC_METACLASS_$_ClassA", "_wdata", "_tlv",
                                    "_funcA", "_OBJC_EHTYPE_$_E", "_OBJC_IVAR_$_C.i"])
        #expect(d.exports.map(\.kind) == [.regular, .regular, .regular, .weak, .threadLocal, .regular, .regular, .regular])
        #expect(d.exports.suffix(2).allSatisfy { $0.isReexport })
        #expect(docs[1].installName == "/u/l/l/libfoo.dylib")
        #expect(docs[1].exportedNames == ["_foo"])
        let intel = try parseText(text, arch: "x86_64")[0]
        #expect(intel.flags == [.flatNamespace])
        #expect(intel.exportedNames.contains("_intelOnly"))
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let yaml = try parseText("\u{FEFF}--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: /a\n")
        #expect(yaml[0].installName == "/a")
        let json = try parseText("\u{FEFF}{ \"tapi_tbd_version\": 5, \"main_library\": { \"target_info\": [ { \"target\": \"arm64-macos\" } ], \"install_names\": [ { \"name\": \"/b\" } ] } }")
        #expect(json[0].installName == "/b")
    }

    static let v3Stub = """
    --- !tapi-tbd-v3
    archs:           [ x86_64, arm64 ]
    uuids:           [ 'x86_64: 00000000-0000-0000-0000-000000000000', 'arm64: 00000000-0000-0000-0000-000000000001' ]
    platform:        macosx
    flags:           [ not_app_extension_safe ]
    install-name:    /usr/lib/libv3.dylib
    current-version: 3.2.1
    compatibility-version: 3
    parent-umbrella: Umbrella
    objc-constraint: retain_release
    exports:
      - archs:           [ x86_64, arm64 ]
        allowable-clients: [ Client ]
        re-exports:      [ /usr/lib/libinner.dylib ]
        symbols:         [ _v3func, _v3data ]
        objc-classes:    [ Foo ]
        objc-eh-types:   [ Foo ]
        objc-ivars:      [ Foo._bar ]
        weak-def-symbols: [ _v3weak ]
        thread-local-symbols: [ _v3tlv ]
      - archs:           [ x86_64 ]
        symbols:         [ _intelOnly ]
    ...

    """

    @Test func v3Document() throws {
        let d = try parseText(Self.v3Stub)[0]
        #expect(d.targets == ["x86_64-macos", "arm64-macos"])
        #expect(d.installName == "/usr/lib/libv3.dylib")
        #expect(d.currentVersion == 0x30201 && d.compatibilityVersion == 0x30000)
        #expect(d.parentUmbrella == "Umbrella" && d.flags == [.notAppExtensionSafe])
        #expect(d.reexportedLibraries == ["/usr/lib/libinner.dylib"] && d.allowableClients == ["Client"])
        #expect(d.exportedNames == ["_v3func", "_v3data", "_OBJC_CLASS_$_Foo", "_OBJC_METACLASS_$_Foo", "_OBJC_EHTYPE_$_Foo",
                                    "_OBJC_IVAR_$_Foo._bar", "_v3weak", "_v3tlv"])
        #expect(d.exports.map(\.kind).suffix(2) == [.weak, .threadLocal])
        #expect(try parseText(Self.v3Stub, arch: "x86_64")[0].exportedNames.contains("_intelOnly"))
        #expect(throws: LinkError.self) { try parseText(Self.v3Stub, platform: "ios") }
    }

    /// ld64.lld (LLVM's TextAPI) resolves references to the v3 stub's symbols, Objective-C
    /// class included, the way the reader names them.
    @Test(.enabled(if: MachOFixtures.available)) func v3StubAgreesWithLLD() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        MachOFixtures.run("mkdir -p \(dir)/lib")
        // lld would look for the re-exported library; this check is about symbols.
        let stub = Self.v3Stub.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("re-exports:") }.joined(separator: "\n")
        #expect(stub != Self.v3Stub)
        MachOFixtures.write("\(dir)/lib/libv3.tbd", stub)
        let source = """
        int v3func(void); extern int v3data; int v3weak(void);
        extern char fooClass __asm__("_OBJC_CLASS_$_Foo");
        extern char fooMeta __asm__("_OBJC_METACLASS_$_Foo");
        extern char fooEH __asm__("_OBJC_EHTYPE_$_Foo");
        extern long fooIvar __asm__("_OBJC_IVAR_$_Foo._bar");
        void *refs[] = { &fooClass, &fooMeta, &fooEH, &v3data };
        int main(void) { return v3func() + v3weak() + (int)fooIvar; }
        """
        let obj = try #require(MachOFixtures.compile(source, name: "v3use.c", in: dir, flags: "-O0"))
        #expect(MachOFixtures.link([obj], output: "\(dir)/v3use", extra: "-L\(dir)/lib -lv3"))
        let dump = MachOFixtures.run("python3 -c \"import sys; sys.path.insert(0,'\(MachOFixtures.shared)'); import machoparse as M; m=M.load('\(dir)/v3use'); print(m.dylibs); [print(s) for (o,s,w,a) in m.fixups()[1]]\"")
        #expect(dump.status == 0, "\(dump.output)")
        let lines = dump.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("/usr/lib/libv3.dylib") == true)
        let bound = Set(lines.dropFirst())
        let exported = Set(try parseText(Self.v3Stub)[0].exportedNames)
        #expect(bound.isSuperset(of: ["_v3func", "_v3data", "_OBJC_CLASS_$_Foo", "_OBJC_METACLASS_$_Foo", "_OBJC_EHTYPE_$_Foo", "_OBJC_IVAR_$_Foo._bar"]))
        let fromStub = bound.filter { $0.hasPrefix("_v3") || $0.hasPrefix("_OBJC") }
        #expect(fromStub.count == 7 && fromStub.isSubset(of: exported), "\(bound.sorted())")
    }

    @Test func packedVersions() {
        #expect(PackedVersion.parse("1319.0.0") == 1319 << 16)
        #expect(PackedVersion.parse("1500.65") == (1500 << 16 | 65 << 8))
        #expect(PackedVersion.parse("65535.255.255") == 0xFFFF_FFFF)
        #expect(PackedVersion.parse("65536") == nil)
        #expect(PackedVersion.parse("1.256") == nil)
        #expect(PackedVersion.parse("1.2.3.4") == nil)
        #expect(PackedVersion.parse("1..2") == nil)
        #expect(PackedVersion.parse("") == nil)
        #expect(PackedVersion.parse("a") == nil)
        #expect(PackedVersion.format(0x10203) == "1.2.3")
    }

    /// Each malformed input is rejected with `bad.tbd:line:column:` and a reason.
    @Test(arguments: [
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos\ninstall-name: x\n", "bad.tbd:4:1: expected ',' or ']' in the list opened at 3:10, found 'i'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: 'x\n", "bad.tbd:4:15: unterminated quoted string"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\n  install-name: x\n", "bad.tbd:4:3: unexpected indentation"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name x\n", "bad.tbd:4:15: expected ':' after the mapping key"),
        ("--- !tapi-tbd\ntbd-version: 3\ntargets: [ arm64-macos ]\ninstall-name: x\n", "bad.tbd:2:14: unsupported tbd-version 3"),
        ("--- !tapi-tbd-v2\narchs: [ arm64 ]\n", "bad.tbd:1:1: unsupported .tbd format v2"),
        ("--- !tapi-tbd-v3\narchs: [ arm64 ]\ninstall-name: x\n", "bad.tbd:2:1: the document has no 'platform'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\n", "bad.tbd:2:1: the document has no 'install-name'"),
        ("--- !tapi-tbd\ntbd-version: 4\ninstall-name: x\n", "bad.tbd:2:1: the document has no 'targets'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\ncurrent-version: 1.2.3.4\n", "bad.tbd:5:18: malformed current-version '1.2.3.4'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\nexports:\n  - symbols: [ _a ]\n", "bad.tbd:6:5: a 'exports' entry has no 'targets'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\nexports:\n  - targets: [ arm64-macos ]\n    symbol: [ _a ]\n", "bad.tbd:7:5: unknown key 'symbol'"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: [ x ]\n", "bad.tbd:4:15: 'install-name' must be a single value, found a list"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\nexports: [ a, ]b\n", "bad.tbd:5:16: unexpected 'b' after a value"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\nexports: |\n  text\n", "bad.tbd:5:10: block scalars"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos ]\ninstall-name: /usr/lib/libx.dylib\n", "bad.tbd: '/usr/lib/libx.dylib' has no target compatible with arm64-macos"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: x\n...\nstray\n", "bad.tbd:6:1: expected a new document"),
        ("   \n\n", "bad.tbd: empty text-based stub"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos,\n", "bad.tbd:3:10: unterminated list"),
        ("--- !tapi-tbd\ntbd-version: 4\ntargets: { a: b\n", "bad.tbd:3:10: unterminated mapping"),
        (String(repeating: "[", count: 200), "bad.tbd:1:64: nesting deeper than 64 levels"),
        ("{ \"tapi_tbd_version\": 5, \"main_library\": { \"target_info\": [ { \"target\": \"arm64-macos\" } ] } ", "bad.tbd:1:1: unterminated JSON object"),
        ("{ \"tapi_tbd_version\": 5, \"main_library\": { \"target_info\": [ { \"target\": \"arm64-macos\" } ] } }", "bad.tbd:1:42: the document has no 'install_names'"),
        ("{ \"tapi_tbd_version\": 4 }", "bad.tbd:1:23: unsupported tapi_tbd_version 4"),
        ("{ \"tapi_tbd_version\": 5,\n  \"main_library\": { \"x\": tru } }", "bad.tbd:2:26: unexpected 't' where a JSON value was expected"),
        ("{ \"a\": \"b\\q\" }", "bad.tbd:1:10: unknown escape '\\q'"),
        ("{ \"a\": 1 } x", "bad.tbd:1:12: unexpected 'x' after the JSON document"),
        ("{ \"tapi_tbd_version\": 5, \"main_library\": { \"target_info\": [ { \"target\": \"arm64-macos\" } ], \"install_names\": [ { \"name\": \"n\" } ], \"exported_symbols\": [ { \"text\": { \"globl\": [] } } ] } }", "bad.tbd:1:164: unknown symbol kind 'globl'"),
    ])
    func malformedInputIsReportedWithLineAndColumn(input: String, expected: String) {
        let message = errorMessage(input)
        #expect(message?.hasPrefix(expected) == true, "got: \(message ?? "no error")")
    }

    /// Truncating a valid stub at every byte must give a result or an error, never a trap.
    @Test(.enabled(if: sdkAvailable)) func everyPrefixOfAValidStubIsHandled() throws {
        let file = try MappedFile.open("\(sdkLib)/libSystem.tbd")
        var errors = 0
        for n in 0..<file.size {
            do { _ = try TextStubDocument.parse(UnsafeRawBufferPointer(rebasing: file.bytes[0..<n]), path: "cut.tbd") }
            catch { errors += 1; #expect(error.message.hasPrefix("cut.tbd")) }
        }
        #expect(errors > 0)
    }
}
