import Testing
@testable import WeldMachO

@Suite struct MachOOptionsTests {
    @Test func clangStyleCommandLine() throws {
        let o = try Options.parse(["-demangle", "-lto_library", "/x/libLTO.dylib", "-dynamic", "-arch", "arm64",
                                   "-platform_version", "macos", "12.3.1", "14.0", "-syslibroot", "/sdk",
                                   "-o", "out", "-L/libs", "a.o", "-lfoo", "-framework", "Bar", "-mllvm", "-x",
                                   "-dead_strip", "-rpath", "@executable_path/lib", "-headerpad", "0x100",
                                   "--threads=3", "-lSystem"])
        #expect(o.output == "out")
        #expect(o.minOS == 0x000c_0301)
        #expect(o.sdkVersion == 0x000e_0000)
        #expect(o.syslibroots == ["/sdk"])
        #expect(o.libraryPaths == ["/libs"])
        #expect(o.deadStrip)
        #expect(o.rpaths == ["@executable_path/lib"])
        #expect(o.headerpad == 0x100)
        #expect(o.threads == 3)
        #expect(o.useChainedFixups)
        let kinds = o.inputs.map { input -> String in
            switch input.kind {
            case .path(let p): return "path:\(p)"
            case .library(let l): return "lib:\(l)"
            case .framework(let f): return "fw:\(f)"
            }
        }
        #expect(kinds == ["path:a.o", "lib:foo", "fw:Bar", "lib:System"])
    }

    @Test func dylibDefaultsAndVersions() throws {
        let o = try Options.parse(["-dylib", "-o", "libx.dylib", "-current_version", "1.2.3", "-compatibility_version", "1.0", "x.o"])
        #expect(o.outputKind == .dylib)
        #expect(o.installName == "libx.dylib")
        #expect(o.currentVersion == 0x0001_0203)
        #expect(o.compatibilityVersion == 0x0001_0000)
    }

    @Test func oldDeploymentTargetUsesClassicDyldInfo() throws {
        let o = try Options.parse(["-platform_version", "macos", "11.0", "11.0", "x.o"])
        #expect(!o.useChainedFixups)
        let forced = try Options.parse(["-platform_version", "macos", "11.0", "11.0", "-fixup_chains", "x.o"])
        #expect(forced.useChainedFixups)
    }

    @Test func badValuesAreErrors() {
        #expect(throws: (any Error).self) { try Options.parse(["-arch", "x86_64", "x.o"]) }
        #expect(throws: (any Error).self) { try Options.parse(["-platform_version", "macos", "13.x", "13.0", "x.o"]) }
        #expect(throws: (any Error).self) { try Options.parse(["-undefined", "maybe", "x.o"]) }
        #expect(throws: (any Error).self) { try Options.parse(["-o"]) }
    }

    @Test func versionPacking() {
        #expect(parseVersion("13") == 0x000d_0000)
        #expect(parseVersion("10.15.7") == 0x000a_0f07)
        #expect(parseVersion("1.256") == nil)
        #expect(parseVersion("") == nil)
        #expect(formatVersion(0x000d_0201) == "13.2.1")
    }
}
