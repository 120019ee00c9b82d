import WeldCore

/// Size of the __unwind_info section to synthesize from live __compact_unwind entries, or nil
/// for none. Until the Unwind component is merged, weld writes no __unwind_info (functions
/// still run; C++ exceptions cannot unwind through them).
func planUnwindInfo(_ ctx: LinkContext) -> UInt64? { nil }
