import CBuildInfo

/// Version strings reported in `ipmi_exporter_build_info` and `--version`.
public enum ExporterVersion {
    /// The release version, from `git describe` or the VERSION file when `make package` built this binary
    /// (scripts/version.sh); "dev" for any other build.
    public static let current = String(cString: ipmi_exporter_build_version())

    /// The git commit this binary was built from ("unknown" outside `make package`).
    public static let revision = String(cString: ipmi_exporter_build_revision())

    /// What `--version` prints, in the layout of the Prometheus exporters' `--version` (prometheus/common's
    /// version.Print): the program, version and revision on the first line, then the build's facts. Build user and date
    /// are left out: a build records neither (so that it is reproducible).
    public static var description: String {
        """
        ipmi-exporter, version \(current) (revision: \(revision))
          swift version:    \(swift)
          platform:         \(platform)
        """
    }

    /// Operating system and architecture with Go's names (`linux/amd64`), as the Prometheus exporters print them.
    public static let platform: String = {
        #if os(Linux)
            let system = "linux"
        #elseif os(macOS)
            let system = "darwin"
        #else
            let system = "unknown"
        #endif
        #if arch(x86_64)
            let architecture = "amd64"
        #elseif arch(arm64)
            let architecture = "arm64"
        #else
            let architecture = "unknown"
        #endif
        return "\(system)/\(architecture)"
    }()

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
