#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// What the export trie says about one symbol.
public struct ExportTrieEntry: Equatable, Hashable, Sendable {
    /// `ExportTrieFormat` flags: kind (regular, thread-local, absolute) plus weak-definition,
    /// re-export, stub-and-resolver.
    public var flags: UInt64
    /// Offset of the symbol from the image's Mach-O header (absolute value for
    /// `kindAbsolute`); for stub-and-resolver, the stub's offset. Unused for a re-export.
    public var address: UInt64
    /// Re-export: the ordinal of the dylib (1-based `LC_LOAD_DYLIB` order) that defines it.
    /// Stub-and-resolver: the resolver function's offset. Otherwise 0.
    public var other: UInt64
    /// Re-export: the name in that dylib, or nil when it is the same name.
    public var importName: String?

    public init(flags: UInt64, address: UInt64, other: UInt64 = 0, importName: String? = nil) {
        self.flags = flags
        self.address = address
        self.other = other
        self.importName = importName
    }

    /// An ordinary definition at `address` (an offset from the Mach-O header).
    public static func regular(_ address: UInt64, weak: Bool = false, threadLocal: Bool = false) -> ExportTrieEntry {
        ExportTrieEntry(flags: (threadLocal ? ExportTrieFormat.kindThreadLocal : 0) | (weak ? ExportTrieFormat.weakDefinition : 0),
                        address: address)
    }

    /// A symbol re-exported from dylib `ordinal`, under `importName` there (nil: same name).
    public static func reexport(ordinal: UInt64, importName: String? = nil) -> ExportTrieEntry {
        ExportTrieEntry(flags: ExportTrieFormat.reexport, address: 0, other: ordinal, importName: importName)
    }

    var isReexport: Bool { flags & ExportTrieFormat.reexport != 0 }
    var isStubAndResolver: Bool { flags & ExportTrieFormat.stubAndResolver != 0 }
}

/// Builds the export trie payload of `LC_DYLD_EXPORTS_TRIE` (or `LC_DYLD_INFO`'s export
/// area): a radix tree over the exported names with maximal edge labels.
///
/// Deterministic whatever the order symbols are added in: names are sorted bytewise, a
/// node's children are ordered by label, and nodes are laid out depth-first in pre-order.
/// Child offsets are ULEB128, so each node's size depends on offsets that depend on sizes;
/// offsets are recomputed until they stop changing, which gives the smallest encoding for
/// that node order. No padding is appended; align the payload in `__LINKEDIT` as needed.
public struct ExportTrieBuilder {
    private struct Pending {
        var nameOffset: Int
        var nameLength: Int
        var flags: UInt64
        var address: UInt64
        var other: UInt64
        var importOffset: Int
        var importLength: Int   // -1: no import name
    }

    private struct Node {
        var symbol: Int32 = -1      // index into `symbols`, or -1
        var firstEdge: Int32 = 0
        var edgeCount: Int32 = 0
        var offset: Int = 0
    }

    private struct Edge {
        var labelOffset: Int        // into `pool`
        var labelLength: Int
        var child: Int32
    }

    private var pool: [UInt8] = []
    private var symbols: [Pending] = []

    public init() {}

    /// Number of symbols added so far.
    public var count: Int { symbols.count }

    /// Adds a symbol. `name` (and `importName`) are copied, so they may be transient.
    public mutating func add(name: UnsafeRawBufferPointer, _ entry: ExportTrieEntry) {
        let nameOffset = pool.count
        pool.append(contentsOf: name)
        var importOffset = 0, importLength = -1
        if let importName = entry.importName, entry.isReexport {
            importOffset = pool.count
            pool.append(contentsOf: importName.utf8)
            importLength = importName.utf8.count
        }
        symbols.append(Pending(nameOffset: nameOffset, nameLength: name.count, flags: entry.flags,
                               address: entry.address, other: entry.other,
                               importOffset: importOffset, importLength: importLength))
    }

    public mutating func add(_ name: String, _ entry: ExportTrieEntry) {
        var name = name
        name.withUTF8 { add(name: UnsafeRawBufferPointer($0), entry) }
    }

    /// The trie's bytes.
    /// - Throws: `LinkError` for a name added twice, a name containing NUL, or a node with
    ///   more than 255 children (the count is one byte), naming the symbol.
    public func build() throws(LinkError) -> [UInt8] {
        var result: Result<[UInt8], LinkError> = .success([])
        pool.withUnsafeBufferPointer { pool in
            do throws(LinkError) {
                result = .success(try Self.build(symbols, pool))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Sort key: 8 bytes of the name, big-endian and zero-padded, at the depth being sorted.
    private struct SortKey {
        var word: UInt64
        var index: Int32
    }

    private static func build(_ unsorted: [Pending], _ pool: UnsafeBufferPointer<UInt8>) throws(LinkError) -> [UInt8] {
        let base = pool.baseAddress ?? UnsafePointer(bitPattern: 1)!
        func name(_ s: Pending) -> String {
            String(decoding: UnsafeBufferPointer(start: base + s.nameOffset, count: s.nameLength), as: UTF8.self)
        }
        // Edge labels are NUL-terminated: a NUL inside a name would cut it. (Also what makes
        // zero padding in the sort keys order names correctly.)
        for s in unsorted where s.nameLength > 0 && memchr(base + s.nameOffset, 0, s.nameLength) != nil {
            throw LinkError("export trie: symbol name '\(name(s))' contains a NUL byte")
        }
        @inline(__always) func word(_ s: Pending, _ depth: Int) -> UInt64 {
            if s.nameLength >= depth + 8 {
                return UInt64(bigEndian: UnsafeRawPointer(base + s.nameOffset + depth).loadUnaligned(as: UInt64.self))
            }
            var w: UInt64 = 0
            for k in depth..<depth + 8 { w = w << 8 | UInt64(k < s.nameLength ? base[s.nameOffset + k] : 0) }
            return w
        }
        // Most-significant-first sort on 8-byte words: names sharing long prefixes (C++
        // namespaces) cost one word comparison per 8 shared bytes, not a memcmp each time.
        var keys = (0..<unsorted.count).map { SortKey(word: 0, index: Int32($0)) }
        func sortRange(_ lo: Int, _ hi: Int, _ depth: Int) {
            var longer = false
            for i in lo..<hi {
                let s = unsorted[Int(keys[i].index)]
                keys[i].word = word(s, depth)
                if s.nameLength > depth + 8 { longer = true }
            }
            keys[lo..<hi].sort { $0.word != $1.word ? $0.word < $1.word : $0.index < $1.index }
            guard longer else { return }
            var g = lo
            while g < hi {
                var e = g + 1
                while e < hi && keys[e].word == keys[g].word { e += 1 }
                if e - g > 1 { sortRange(g, e, depth + 8) }
                g = e
            }
        }
        if keys.count > 1 { sortRange(0, keys.count, 0) }
        let symbols = keys.map { unsorted[Int($0.index)] }
        for i in symbols.indices.dropFirst() {
            let a = symbols[i - 1], b = symbols[i]
            if a.nameLength == b.nameLength && (a.nameLength == 0 || memcmp(base + a.nameOffset, base + b.nameOffset, a.nameLength) == 0) {
                throw LinkError("export trie: symbol '\(name(b))' exported twice")
            }
        }
        var nodes: [Node] = []
        var edges: [Edge] = []
        var edgeRanges: [(Int, Int)] = []
        nodes.reserveCapacity(symbols.count * 2 + 1)
        edges.reserveCapacity(symbols.count * 2)
        edgeRanges.reserveCapacity(symbols.count * 2)
        @inline(__always) func byte(_ s: Pending, _ i: Int) -> UInt8 { base[s.nameOffset + i] }

        // Builds the node for sorted symbols[lo..<hi], which share their first `depth` bytes;
        // returns its index. Pre-order: the node is numbered before its children.
        func makeNode(_ lo: Int, _ hi: Int, _ depth: Int) throws(LinkError) -> Int32 {
            let index = Int32(nodes.count)
            nodes.append(Node())
            var lo = lo
            if lo < hi && symbols[lo].nameLength == depth {
                nodes[Int(index)].symbol = Int32(lo)  // the shortest sorts first
                lo += 1
            }
            // Group the rest by their next byte; each group becomes one edge whose label is
            // the group's common prefix (that of its first and last names, as they are sorted).
            // Edges go straight into `edges` (a node's edges are contiguous), with each
            // group's range beside them in `edgeRanges`: no allocation per node.
            let firstEdge = edges.count
            var g = lo
            while g < hi {
                let c = byte(symbols[g], depth)
                var e = g + 1
                while e < hi && byte(symbols[e], depth) == c { e += 1 }
                let first = symbols[g], last = symbols[e - 1]
                var common = depth + 1
                let limit = min(first.nameLength, last.nameLength)
                while common < limit && byte(first, common) == byte(last, common) { common += 1 }
                edges.append(Edge(labelOffset: first.nameOffset + depth, labelLength: common - depth, child: -1))
                edgeRanges.append((g, e))
                g = e
            }
            let edgeCount = edges.count - firstEdge
            if edgeCount > 255 {
                let s = symbols[lo]
                throw LinkError("export trie: more than 255 names continue the prefix '\(String(decoding: UnsafeBufferPointer(start: base + s.nameOffset, count: depth), as: UTF8.self))'")
            }
            nodes[Int(index)].firstEdge = Int32(firstEdge)
            nodes[Int(index)].edgeCount = Int32(edgeCount)
            for k in firstEdge..<firstEdge + edgeCount {
                let (groupLo, groupHi) = edgeRanges[k]
                edges[k].child = try makeNode(groupLo, groupHi, depth + edges[k].labelLength)
            }
            return index
        }
        _ = try makeNode(0, symbols.count, 0)

        func terminalSize(_ s: Pending) -> Int {
            var n = LEB128.ulebSize(s.flags)
            if s.flags & ExportTrieFormat.reexport != 0 {
                n += LEB128.ulebSize(s.other) + max(s.importLength, 0) + 1
            } else {
                n += LEB128.ulebSize(s.address)
                if s.flags & ExportTrieFormat.stubAndResolver != 0 { n += LEB128.ulebSize(s.other) }
            }
            return n
        }

        // A node's size less its children's offset ULEBs, which are all that change while
        // offsets settle.
        let fixedSize: [Int] = nodes.map { n in
            var size: Int
            if n.symbol >= 0 {
                let t = terminalSize(symbols[Int(n.symbol)])
                size = LEB128.ulebSize(UInt64(t)) + t
            } else {
                size = 1
            }
            size += 1
            for e in edges[Int(n.firstEdge)..<Int(n.firstEdge + n.edgeCount)] { size += e.labelLength + 1 }
            return size
        }

        // Offsets only grow from one pass to the next, so this converges.
        var total = 0
        var changed = true
        while changed {
            changed = false
            total = 0
            for i in nodes.indices {
                if nodes[i].offset != total { nodes[i].offset = total; changed = true }
                var size = fixedSize[i]
                let n = nodes[i]
                for k in Int(n.firstEdge)..<Int(n.firstEdge + n.edgeCount) {
                    size += LEB128.ulebSize(UInt64(nodes[Int(edges[k].child)].offset))
                }
                total += size
            }
        }

        var out = [UInt8](repeating: 0, count: total)
        out.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            var pos = 0
            for n in nodes {
                if n.symbol >= 0 {
                    let s = symbols[Int(n.symbol)]
                    pos += LEB128.writeULEB(UInt64(terminalSize(s)), to: p + pos)
                    pos += LEB128.writeULEB(s.flags, to: p + pos)
                    if s.flags & ExportTrieFormat.reexport != 0 {
                        pos += LEB128.writeULEB(s.other, to: p + pos)
                        if s.importLength > 0 {
                            (p + pos).update(from: base + s.importOffset, count: s.importLength)
                            pos += s.importLength
                        }
                        p[pos] = 0; pos += 1
                    } else {
                        pos += LEB128.writeULEB(s.address, to: p + pos)
                        if s.flags & ExportTrieFormat.stubAndResolver != 0 {
                            pos += LEB128.writeULEB(s.other, to: p + pos)
                        }
                    }
                } else {
                    p[pos] = 0; pos += 1
                }
                p[pos] = UInt8(n.edgeCount); pos += 1
                for e in edges[Int(n.firstEdge)..<Int(n.firstEdge + n.edgeCount)] {
                    (p + pos).update(from: base + e.labelOffset, count: e.labelLength)
                    pos += e.labelLength
                    p[pos] = 0; pos += 1
                    pos += LEB128.writeULEB(UInt64(nodes[Int(e.child)].offset), to: p + pos)
                }
            }
            precondition(pos == total, "export trie size mismatch")
        }
        return out
    }
}

/// Reads an export trie (from a dylib input, or to check an output).
public enum ExportTrieReader {
    /// Calls `body` with each exported name (bytes valid only during the call) and its
    /// entry, in trie order (depth-first, children in stored order). Validates every offset
    /// and length, and that no node is reached twice (a cycle or shared node), so malformed
    /// input gives an error and cannot loop.
    /// - Parameter path: names the file in errors (e.g. `libfoo.dylib`).
    public static func forEach(_ trie: UnsafeRawBufferPointer, path: String,
                               _ body: (UnsafeRawBufferPointer, ExportTrieEntry) throws(LinkError) -> Void) throws(LinkError) {
        if trie.count == 0 { return }
        func fail(_ message: String, _ offset: Int) -> LinkError {
            LinkError("\(path): malformed export trie: \(message) at offset 0x\(String(offset, radix: 16))")
        }
        var visited = [UInt64](repeating: 0, count: (trie.count + 63) / 64)
        var name: [UInt8] = []
        // (node offset, length of the name prefix before the edge, edge label range)
        var stack: [(node: Int, prefix: Int, labelStart: Int, labelLength: Int)] = [(0, 0, 0, 0)]
        var children: [(node: Int, prefix: Int, labelStart: Int, labelLength: Int)] = []
        while let item = stack.popLast() {
            let node = item.node
            guard node < trie.count else { throw fail("child offset 0x\(String(node, radix: 16)) past the end (size 0x\(String(trie.count, radix: 16)))", node) }
            if visited[node >> 6] & (1 << UInt64(node & 63)) != 0 { throw fail("node reached twice", node) }
            visited[node >> 6] |= 1 << UInt64(node & 63)
            name.removeLast(name.count - item.prefix)
            name.append(contentsOf: UnsafeRawBufferPointer(rebasing: trie[item.labelStart..<item.labelStart + item.labelLength]))

            var pos = node
            guard let terminalSize = LEB128.readULEB(trie, &pos) else { throw fail("bad terminal size", node) }
            guard terminalSize <= UInt64(trie.count - pos) else { throw fail("terminal size \(terminalSize) past the end", node) }
            let childrenAt = pos + Int(terminalSize)
            if terminalSize > 0 {
                let end = childrenAt
                let info = UnsafeRawBufferPointer(rebasing: trie[0..<end])
                guard let flags = LEB128.readULEB(info, &pos) else { throw fail("bad flags", pos) }
                var entry = ExportTrieEntry(flags: flags, address: 0)
                if flags & ExportTrieFormat.reexport != 0 {
                    guard let ordinal = LEB128.readULEB(info, &pos) else { throw fail("bad re-export ordinal", pos) }
                    entry.other = ordinal
                    let start = pos
                    while pos < end && trie[pos] != 0 { pos += 1 }
                    guard pos < end else { throw fail("unterminated re-export name", start) }
                    if pos > start {
                        entry.importName = String(decoding: UnsafeRawBufferPointer(rebasing: trie[start..<pos]), as: UTF8.self)
                    }
                } else {
                    guard let address = LEB128.readULEB(info, &pos) else { throw fail("bad address", pos) }
                    entry.address = address
                    if flags & ExportTrieFormat.stubAndResolver != 0 {
                        guard let resolver = LEB128.readULEB(info, &pos) else { throw fail("bad resolver offset", pos) }
                        entry.other = resolver
                    }
                }
                var failure: LinkError? = nil
                name.withUnsafeBytes { n in
                    do throws(LinkError) { try body(n, entry) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            pos = childrenAt
            guard pos < trie.count else { throw fail("missing child count", pos) }
            let childCount = Int(trie[pos])
            pos += 1
            children.removeAll(keepingCapacity: true)
            for _ in 0..<childCount {
                let labelStart = pos
                while pos < trie.count && trie[pos] != 0 { pos += 1 }
                guard pos < trie.count else { throw fail("unterminated edge label", labelStart) }
                let labelLength = pos - labelStart
                if labelLength == 0 { throw fail("empty edge label", labelStart) }
                pos += 1
                guard let child = LEB128.readULEB(trie, &pos), child < UInt64(trie.count) else {
                    throw fail("bad child offset", pos)
                }
                children.append((Int(child), name.count, labelStart, labelLength))
            }
            stack.append(contentsOf: children.reversed())
        }
    }

    /// All entries as (name, entry) pairs, in trie order. Allocates a String per name.
    public static func entries(_ trie: UnsafeRawBufferPointer, path: String) throws(LinkError) -> [(name: String, entry: ExportTrieEntry)] {
        var out: [(name: String, entry: ExportTrieEntry)] = []
        try forEach(trie, path: path) { name, entry throws(LinkError) in
            out.append((String(decoding: name, as: UTF8.self), entry))
        }
        return out
    }
}
