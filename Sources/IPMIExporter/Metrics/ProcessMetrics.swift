import Foundation
import PrometheusText

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The standard `process_*` metrics of Prometheus client libraries, read from `/proc/self` (Linux; elsewhere
/// only what `getrlimit` offers).
public enum ProcessMetrics {
    public static func collect() -> [MetricFamily] {
        var families: [MetricFamily] = []
        #if os(Linux)
            if let stat = readStat() {
                families.append(
                    MetricFamily(
                        name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.",
                        type: .counter, samples: [Sample(value: stat.cpuSeconds)]))
                families.append(
                    .gauge(
                        "process_resident_memory_bytes", help: "Resident memory size in bytes.",
                        value: stat.residentBytes))
                families.append(
                    .gauge(
                        "process_virtual_memory_bytes", help: "Virtual memory size in bytes.", value: stat.virtualBytes)
                )
                if let start = stat.startTime {
                    families.append(
                        .gauge(
                            "process_start_time_seconds",
                            help: "Start time of the process since unix epoch in seconds.", value: start))
                }
            }
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
                families.append(
                    .gauge("process_open_fds", help: "Number of open file descriptors.", value: Double(entries.count)))
            }
        #endif
        // The soft limits, "unlimited" (RLIM_INFINITY) as the largest 64-bit number, as client_golang reads
        // /proc/self/limits.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            families.append(
                .gauge(
                    "process_max_fds", help: "Maximum number of open file descriptors.",
                    value: Double(limit.rlim_cur)))
        }
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 {
            families.append(
                .gauge(
                    "process_virtual_memory_max_bytes", help: "Maximum amount of virtual memory available in bytes.",
                    value: Double(limit.rlim_cur)))
        }
        return families
    }

    struct Stat {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTime: Double?
    }

    /// Fields of proc(5) `/proc/self/stat` after the parenthesised command name, which may itself hold spaces.
    static func readStat() -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field N is fields[N - 3].
        func field(_ number: Int) -> Double? {
            number - 3 < fields.count ? Double(fields[number - 3]) : nil
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard ticks > 0, let utime = field(14), let stime = field(15), let vsize = field(23), let rss = field(24)
        else { return nil }
        var start: Double?
        if let startTicks = field(22), let boot = bootTime() {
            start = boot + startTicks / ticks
        }
        return Stat(
            cpuSeconds: (utime + stime) / ticks, residentBytes: rss * pageSize, virtualBytes: vsize, startTime: start)
    }

    /// `btime` of `/proc/stat`: boot time in seconds since the epoch.
    static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
