import Foundation
import Logging
import ServiceLifecycle

/// Re-reads the web config when the file, or a certificate, key or CA file it names, changes, so a renewed
/// certificate (cert-manager, an ACME client) is served without SIGHUP, as exporter-toolkit picks it up on
/// the next connection. Polls the files' status (modification time, size, inode) every `interval`; a change
/// that does not load is logged once and the previous config stays in use.
public struct WebConfigWatcher: Service, CustomStringConvertible {
    let store: WebConfigStore
    let interval: Duration
    let logger: Logger

    public init(store: WebConfigStore, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public var description: String { "WebConfigWatcher" }

    public func run() async throws {
        guard let path = store.path else {
            try? await gracefulShutdown()
            return
        }
        var files = [path] + store.current.files
        var seen = Self.fingerprint(files)
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let now = Self.fingerprint(files)
            guard now != seen else { continue }
            logger.info("Web config or a file it names changed: reloading", metadata: ["path": "\(path)"])
            store.reload(logger: logger)
            files = [path] + store.current.files
            seen = Self.fingerprint(files)
        }
    }

    /// What identifies a version of each file; nil for a file that cannot be read. Symbolic links are followed:
    /// Kubernetes updates a mounted secret by swapping a link to a new directory.
    static func fingerprint(_ files: [String]) -> [[String]?] {
        files.map { file in
            let target = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else { return nil }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return [target, "\(modified)", "\(attributes[.size] ?? "")", "\(attributes[.systemFileNumber] ?? "")"]
        }
    }
}
