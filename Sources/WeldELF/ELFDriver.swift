import WeldCore

public enum ELFDriver {
    public static func main(_ args: [String], argv0: String) -> Int32 {
        Diagnostics.shared.error("not implemented yet")
        return 1
    }
}
