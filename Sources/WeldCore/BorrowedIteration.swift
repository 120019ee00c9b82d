/// Loops over arrays of class references without a retain and a release per element.
///
/// Swift retains an object loaded from an array whenever it cannot prove the array outlives
/// the use (any call it cannot see into), and releases it after. In weld's per-section loops
/// that is two atomic operations per input section (437,000 in the lld workload), and in
/// parallel loops over shared objects two threads then bounce the same cache line. Here the
/// array is held once for the whole loop and each element is lent to `body` (+0, guaranteed):
/// it lives as long as the array, which cannot change during the call (`self` is held).
extension Array {
    /// `body(element)` for every non-nil element, in order.
    @inlinable @inline(__always)
    public func forEachBorrowed<T: AnyObject>(_ body: (T) throws -> Void) rethrows where Element == T? {
        try withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return }
            // An Optional class reference is one pointer, nil being zero.
            let words = UnsafeRawPointer(start).assumingMemoryBound(to: UnsafeRawPointer?.self)
            for i in 0..<buffer.count {
                guard let object = words[i] else { continue }
                try Unmanaged<T>.fromOpaque(object)._withUnsafeGuaranteedRef(body)
            }
        }
    }
}

extension Array where Element: AnyObject {
    /// `body(index, element)` for every element, in order.
    @inlinable @inline(__always)
    public func forEachBorrowed(_ body: (Int, Element) throws -> Void) rethrows {
        try withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return }
            let words = UnsafeRawPointer(start).assumingMemoryBound(to: UnsafeRawPointer.self)
            for i in 0..<buffer.count {
                try Unmanaged<Element>.fromOpaque(words[i])._withUnsafeGuaranteedRef { try body(i, $0) }
            }
        }
    }

    /// `body(self[i])` for one element, lent as above.
    @inlinable @inline(__always)
    public func withBorrowed<R>(_ i: Int, _ body: (Element) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { buffer in
            precondition(i >= 0 && i < buffer.count, "index out of range")
            let words = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UnsafeRawPointer.self)
            return try Unmanaged<Element>.fromOpaque(words[i])._withUnsafeGuaranteedRef(body)
        }
    }
}
