// weld benchmark workload "swift": a small program that pulls in a large part
// of Foundation (Codable JSON, ISO 8601 dates, String(format:)), built with
// `swiftc -O -static-stdlib`, so the link takes the Swift runtime, Foundation,
// ICU and its data, and libdispatch from static archives.
import Foundation

struct Sample: Codable, Equatable {
  let id: Int
  let label: String
  let taken: Date
  let tags: [String]
}

let start = Date(timeIntervalSince1970: 1_700_000_000)
let samples = (0..<3).map { i in
  Sample(id: i,
         label: String(format: "sample-%03d (%.2f)", i, Double(i) * 1.5),
         taken: start.addingTimeInterval(Double(i) * 86_400),
         tags: ["x", "y\(i)"])
}

let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
encoder.dateEncodingStrategy = .iso8601
let json = try! encoder.encode(samples)
print(String(decoding: json, as: UTF8.self))

let decoder = JSONDecoder()
decoder.dateDecodingStrategy = .iso8601
let decoded = try! decoder.decode([Sample].self, from: json)
print("decoded:", decoded.count, decoded == samples, decoded.last!.label)
