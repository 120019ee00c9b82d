import Testing
import WeldCore
@testable import WeldMachO

private func parseStub(_ text: String) throws -> TextStubDocument {
    var text = text
    let r: Result<[TextStubDocument], LinkError> = text.withUTF8 { buf in
        do throws(LinkError) { return .success(try TextStubDocument.parse(UnsafeRawBufferPointer(buf), path: "d.tbd")) }
        catch { return .failure(error) }
    }
    return try r.get()[0]
}

@Suite struct LinkerDirectiveSymbolTests {
    @Test func parsesEveryForm() {
        #expect(LinkerDirectiveSymbol.parse("$ld$previous$/usr/lib/swift/libswiftFoundation.dylib$1.0.0$1$10.15$13.0$_$s10Foundation4DataV$")
                == .previous(installName: "/usr/lib/swift/libswiftFoundation.dylib", compatibilityVersion: 0x10000, platform: 1,
                             start: 0x0A0F00, end: 0x0D0000, symbol: "_$s10Foundation4DataV"))
        #expect(LinkerDirectiveSymbol.parse("$ld$previous$@rpath/libswiftCore.dylib$$1$10.0$10.15$$")
                == .previous(installName: "@rpath/libswiftCore.dylib", compatibilityVersion: nil, platform: 1,
                             start: 0x0A0000, end: 0x0A0F00, symbol: nil))
        #expect(LinkerDirectiveSymbol.parse("$ld$install_name$os11.0$/New") == .installName(os: 0x0B0000, installName: "/New"))
        #expect(LinkerDirectiveSymbol.parse("$ld$compatibility_version$os12.0$1.2.3") == .compatibilityVersion(os: 0x0C0000, version: 0x10203))
        #expect(LinkerDirectiveSymbol.parse("$ld$hide$os10.10$_atomic_signal_fence") == .hide(os: 0x0A0A00, symbol: "_atomic_signal_fence"))
        #expect(LinkerDirectiveSymbol.parse("$ld$add$os13.0$_new") == .add(os: 0x0D0000, symbol: "_new"))
        #expect(LinkerDirectiveSymbol.parse("$ld$weak$os11.0$_w") == .weak(os: 0x0B0000, symbol: "_w"))
        for bad in ["_main", "$ld$", "$ld$hide$10.10$_x", "$ld$hide$os10.10$", "$ld$bogus$os1$_x",
                    "$ld$previous$/a$$1$10.0$", "$ld$previous$/a$$x$10.0$11.0$$", "$ld$previous$$$1$10.0$11.0$$",
                    "$ld$previous$/a$$1$10.0$11.0$_sym"] {
            #expect(LinkerDirectiveSymbol.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func appliesByDeploymentTarget() {
        let previous = LinkerDirectiveSymbol.previous(installName: "/a", compatibilityVersion: nil, platform: 1, start: 0x0A0F00, end: 0x0D0000, symbol: nil)
        #expect(previous.applies(platform: 1, minimumOS: 0x0B0000))
        #expect(previous.applies(platform: 1, minimumOS: 0x0A0F00))
        #expect(!previous.applies(platform: 1, minimumOS: 0x0D0000))   // end is exclusive
        #expect(!previous.applies(platform: 2, minimumOS: 0x0B0000))
        #expect(LinkerDirectiveSymbol.hide(os: 0x0B0000, symbol: "_x").applies(platform: 1, minimumOS: 0x0B0000))
        #expect(!LinkerDirectiveSymbol.hide(os: 0x0B0000, symbol: "_x").applies(platform: 1, minimumOS: 0x0B0100))
    }

    @Test func documentDirectivesApplied() throws {
        let text = """
        --- !tapi-tbd
        tbd-version: 4
        targets: [ arm64-macos ]
        install-name: /System/Library/Frameworks/Foo.framework/Foo
        compatibility-version: 2
        exports:
          - targets: [ arm64-macos ]
            symbols: [ _keep, _hidden, '$ld$hide$os11.0$_hidden', '$ld$add$os11.0$_added',
                       '$ld$previous$/usr/lib/libold.dylib$1.0.0$1$10.15$13.0$_moved$',
                       '$ld$previous$/usr/lib/libOldFoo.dylib$$1$11.0$12.0$$',
                       '$ld$weak$os11.0$_weakling', '$ld$install_name$os14.0$/never', _moved ]
        ...
        """
        var d = try parseStub(text)
        let result = d.applyLinkerDirectives(platform: 1, minimumOS: 0x0B0000)
        #expect(d.exportedNames == ["_keep", "_moved", "_added"])
        #expect(d.installName == "/usr/lib/libOldFoo.dylib")
        #expect(d.compatibilityVersion == 0x20000)
        #expect(result.moved == [MovedSymbol(symbol: "_moved", installName: "/usr/lib/libold.dylib", compatibilityVersion: 0x10000)])
        #expect(result.weakImports == ["_weakling"])

        var later = try parseStub(text)
        let none = later.applyLinkerDirectives(platform: 1, minimumOS: 0x0D0000)
        #expect(later.exportedNames == ["_keep", "_hidden", "_moved"])
        #expect(later.installName == "/System/Library/Frameworks/Foo.framework/Foo")
        #expect(none.moved.isEmpty && none.weakImports.isEmpty)
    }
}
