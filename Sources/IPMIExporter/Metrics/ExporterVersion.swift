import CBuildInfo

/// Version strings reported in `ipmi_exporter_build_info` and `--version`.
public enum ExporterVersion {
    /// The release version, from `git describe` or the VERSION file when `make package` built this binary
    /// (scripts/version.sh); "dev" for any other build.
    public static let current = String(cString: ipmi_exporter_build_version())

    /// The git commit this binary was built from ("unknown" outside `make package`).
    public static let revision = String(cString: ipmi_exporter_build_revision())

    /// What `--version` prints.
    public static var description: String { "\(current) (revision \(revision), Swift \(swift))" }

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
