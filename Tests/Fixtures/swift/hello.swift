// A Swift program linked by weld through swiftc: String, Array, Dictionary, a class with a
// deinit, a protocol existential, generics, and an error thrown and caught.
struct Failure: Error { let code: Int }

protocol Shape { var area: Double { get } }
struct Rect: Shape { let w: Double, h: Double; var area: Double { w * h } }
final class Tracker {
    let name: String
    init(_ name: String) { self.name = name }
    deinit { print("deinit \(name)") }
}

func check(_ n: Int) throws -> Int {
    if n < 0 { throw Failure(code: n) }
    return n * 2
}

func largest<T: Comparable>(_ xs: [T]) -> T? { xs.max() }

let greeting = "Hello from Swift linked by weld"
var words = greeting.split(separator: " ").map(String.init)
words.sort()
var counts: [String: Int] = [:]
for ch in greeting.lowercased() where ch.isLetter { counts[String(ch), default: 0] += 1 }
let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
print(greeting)
print("sorted words: \(words)")
print("top letters: \(top.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
let shapes: [any Shape] = [Rect(w: 2, h: 3), Rect(w: 1.5, h: 4)]
print("total area: \(shapes.reduce(0) { $0 + $1.area })")
print("largest: \(largest([3, 9, 4])!), \(largest(["pear", "apple"])!)")
do {
    _ = try check(5)
    _ = try check(-7)
} catch let f as Failure {
    print("caught failure \(f.code)")
}
do { let t = Tracker("scoped"); print("tracker \(t.name)") }
let squares = Dictionary(uniqueKeysWithValues: (1...5).map { ($0, $0 * $0) })
print("squares: \(squares.keys.sorted().map { squares[$0]! })")
