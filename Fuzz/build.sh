#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/targets into OUT (default .build-fuzz/fuzz).
#
#   Fuzz/build.sh [OUT]
#
# The readers are compiled from their sources with swiftc (-sanitize=fuzzer,address), as the
# same two modules SwiftPM builds, so the sources are fuzzed unchanged: WeldCore (the files the
# readers need, with -enable-testing so a target can make a MappedFile over the fuzz input) and
# WeldELF (formats, input files, linker scripts), and WeldMachO's readers (.tbd stubs, export
# tries). Each target is linked against all three objects.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
out="${1:-.build-fuzz/fuzz}"
mkdir -p "$out/modules"
flags=(-O -g -use-ld=lld -sanitize=fuzzer,address -parse-as-library -swift-version 5 -enforce-exclusivity=checked)

# The reader sources. Only what the readers depend on, so a half-written pass elsewhere in the
# tree does not break the fuzz build.
core=(Sources/WeldCore/Diagnostics.swift Sources/WeldCore/MappedFile.swift
      Sources/WeldCore/Archive.swift Sources/WeldCore/ResponseFile.swift)
elf=(Sources/WeldELF/Format/*.swift Sources/WeldELF/Input/ObjectFile.swift
     Sources/WeldELF/Input/SharedFile.swift Sources/WeldELF/Input/InputSection.swift
     Sources/WeldELF/LinkerScript.swift)
# Mach-O readers: text-based stubs, export tries, __eh_frame.
macho=(Sources/WeldMachO/TextStub/*.swift Sources/WeldMachO/Dyld/LEB128.swift
       Sources/WeldMachO/Dyld/ExportTrieFormat.swift Sources/WeldMachO/Dyld/ExportTrie.swift
       Sources/WeldMachO/Unwind/EHFrameReader.swift)

echo "fuzz build: WeldCore"
swiftc "${flags[@]}" -enable-testing -module-name WeldCore -wmo -c "${core[@]}" \
    -emit-module -emit-module-path "$out/modules/WeldCore.swiftmodule" -o "$out/modules/WeldCore.o"
echo "fuzz build: WeldELF"
swiftc "${flags[@]}" -module-name WeldELF -wmo -c "${elf[@]}" -I "$out/modules" \
    -emit-module -emit-module-path "$out/modules/WeldELF.swiftmodule" -o "$out/modules/WeldELF.o"

echo "fuzz build: WeldMachO"
swiftc "${flags[@]}" -module-name WeldMachO -wmo -c "${macho[@]}" -I "$out/modules" \
    -emit-module -emit-module-path "$out/modules/WeldMachO.swiftmodule" -o "$out/modules/WeldMachO.o"

for t in Fuzz/targets/*.swift; do
    name=$(basename "$t" .swift)
    echo "fuzz build: $name"
    swiftc "${flags[@]}" -module-name "Fuzz_$name" -I "$out/modules" "$t" \
        "$out/modules/WeldCore.o" "$out/modules/WeldELF.o" "$out/modules/WeldMachO.o" -o "$out/fuzz-$name"
done
echo "fuzz targets in $out"
