import WeldCore

/// The dylibs that get an LC_LOAD_DYLIB, in order (text-stub sub-documents ride on their
/// umbrella's ordinal). Assigns `ordinal`.
func assignDylibOrdinals(_ ctx: LinkContext) {
    var n = 0
    var umbrella = 0
    var seen: [String: Int] = [:]
    // A used re-exported library keeps the library that re-exports it (binds go through it
    // unless the re-exported one is hoisted).
    var parent: DylibFile? = nil
    for d in ctx.dylibs {
        if !d.isHidden { parent = d } else if d.isReferenced { parent?.isReferenced = true }
    }
    for d in ctx.dylibs {
        if d.isHidden {
            if d.isReferenced && d.isPublic && !ctx.options.noImplicitDylibs, seen[d.installName] == nil {
                n += 1
                d.ordinal = n
                seen[d.installName] = n
            } else {
                d.ordinal = umbrella
            }
            continue
        }
        if let o = seen[d.installName] { d.ordinal = o; umbrella = o; continue }
        // libSystem stays: dyld initializes a process through it.
        if ctx.options.deadStripDylibs && !d.isReferenced && !d.reexported && !d.needed && d.installName != "/usr/lib/libSystem.B.dylib" {
            // Keep it only if a re-exported part of it is used.
            d.ordinal = 0
            umbrella = 0
            continue
        }
        n += 1
        d.ordinal = n
        umbrella = n
        seen[d.installName] = n
    }
}

func loadedDylibs(_ ctx: LinkContext) -> [DylibFile] {
    var out: [DylibFile] = []
    var last = 0
    for d in ctx.dylibs where d.ordinal > last {
        out.append(d)
        last = d.ordinal
    }
    return out
}
