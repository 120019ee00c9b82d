import Testing
@testable import WeldMachO

@Suite struct MachODriverTests {
    @Test func driverExists() {
        _ = MachODriver.self
    }
}
