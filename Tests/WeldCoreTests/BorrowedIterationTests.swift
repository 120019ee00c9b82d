import Testing
@testable import WeldCore

/// Array.forEachBorrowed / withBorrowed: every element, in order, nil skipped; what the body
/// keeps stays alive. (That the loop itself makes no retain is seen in the instruction counts,
/// see the commit that introduced it.)
@Suite struct BorrowedIterationTests {
    final class Item { let value: Int; init(_ v: Int) { value = v } }

    @Test func visitsNonNilElementsInOrder() {
        let items: [Item?] = [Item(1), nil, Item(2), nil, nil, Item(3)]
        var seen: [Int] = []
        items.forEachBorrowed { (item: Item) in seen.append(item.value) }
        #expect(seen == [1, 2, 3])
        let empty: [Item?] = []
        empty.forEachBorrowed { (_: Item) in Issue.record("called for an empty array") }
    }

    @Test func visitsEveryElementWithItsIndex() {
        let items = (0..<100).map { Item($0 * 3) }
        var sum = 0
        items.forEachBorrowed { (i, item) in
            #expect(item.value == i * 3)
            sum += item.value
        }
        #expect(sum == (0..<100).reduce(0) { $0 + $1 * 3 })
        #expect(items.withBorrowed(42) { $0.value } == 126)
    }

    @Test func elementsOutliveTheLoopWhenKept() {
        // What the body keeps (a strong reference it stores) is retained as usual.
        let items: [Item?] = [Item(7), Item(8)]
        var kept: [Item] = []
        items.forEachBorrowed { (item: Item) in kept.append(item) }
        #expect(kept.map(\.value) == [7, 8])
        #expect(kept[0] === items[0])
    }
}
