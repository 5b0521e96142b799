/// Version strings reported in `ipmi_exporter_build_info` and `--version`.
public enum ExporterVersion {
    public static let current = "0.1.0"

    /// The Swift compiler version this binary was built with, from the compiler's own conditionals.
    public static let swift: String = {
        #if swift(>=6.3)
            "6.3"
        #elseif swift(>=6.2)
            "6.2"
        #elseif swift(>=6.1)
            "6.1"
        #else
            "6.0"
        #endif
    }()
}
