import Foundation

/// A real, independent BMC for tests: one `ipmi_sim` process (Debian `openipmi`) listening on
/// 127.0.0.1, with its own configuration and state directory, started and stopped by the test.
public final class IPMISim: @unchecked Sendable {
    public struct User: Sendable {
        public var number: Int
        public var name: String
        public var password: String
        public var privilege: String  // callback, user, operator, admin

        public init(number: Int, name: String, password: String, privilege: String) {
            self.number = number
            self.name = name
            self.password = password
            self.privilege = privilege
        }
    }

    public struct Configuration: Sendable {
        public var name: String = "bmc"
        public var users: [User] = [
            User(number: 2, name: "admin", password: "password", privilege: "admin"),
            User(number: 3, name: "operator", password: "operpass", privilege: "operator"),
            User(number: 4, name: "reader", password: "readpass", privilege: "user"),
        ]
        /// ipmi_sim_cmd(5) lines run after the BMC exists (sensors, SEL entries …).
        public var emuCommands: [String] = []
        /// ipmi_sim_cmd(5) files run after `emuCommands`.
        public var emuFiles: [String] = []
        /// The BMC key K_g (ipmi_lan(5) `bmc_key`); nil: none. ipmi_sim 2.0.33's RAKP 4 with a key is rejected
        /// by ipmitool and FreeIPMI alike, so two-key logins are tested against our own simulator instead.
        public var bmcKey: String? = nil
        /// An SDR source file compiled with `sdrcomp` into the BMC's main repository.
        public var sdrSource: String? = nil
        /// The `mc_add` fields after the address (ipmi_sim_cmd(5)): device ID, device SDRs, device revision,
        /// firmware major and minor revision, IPMI version, additional device support, manufacturer ID,
        /// product ID. Get Device ID answers with these.
        public var device: String = "0x20 no-device-sdrs 0x03 9 8 0x9f 0x1291 0xf02"
        /// More ipmi_lan(5) lines inside the LAN channel's `startlan` block (`lan_config_program …`).
        public var lanLines: [String] = []

        public init() {}
    }

    public let port: Int
    public let host = "127.0.0.1"
    public let directory: URL
    public let configuration: Configuration
    private var process: Process?

    public var address: String { "\(host):\(port)" }

    /// Where the Swift test sources live, to find configuration files kept under `Tests/`.
    public static func testsDirectory(file: String = #filePath) -> URL {
        // …/Tests/IPMITestSupport/IPMISim.swift → …/Tests
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var isAvailable: Bool { ExternalCommand.isAvailable("ipmi_sim") }

    /// Starts a BMC and waits until it listens.
    public init(_ configuration: Configuration = Configuration(), port: Int? = nil) throws {
        self.configuration = configuration
        self.port = port ?? FreePort.udp()
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ipmisim-\(configuration.name)-\(UUID().uuidString.prefix(8))")
        try start()
    }

    /// Starts a BMC on a Dispatch thread and suspends until it listens: starting ipmi_sim polls and sleeps, which
    /// must not hold one of the few threads of Swift's cooperative pool that other tests' sessions need.
    public static func start(_ configuration: Configuration = Configuration(), port: Int? = nil) async throws -> IPMISim
    {
        try await offPool { try IPMISim(configuration, port: port) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private var stateDirectory: URL { directory.appendingPathComponent("state") }
    private var bmcStateDirectory: URL {
        stateDirectory.appendingPathComponent("ipmi_sim").appendingPathComponent(configuration.name)
    }

    /// The lab BMC of `Tests/Lab`: 58 sensors of every kind, compiled from `sdrs/main.sdrs`.
    public static func labConfiguration(name: String = "lab") -> Configuration {
        lab(name: name, sdrs: "sdrs/main.sdrs", emu: "sensors.emu")
    }

    /// The bridging lab of `Tests/Lab`: a few sensors of the BMC, sensors of a satellite controller at 30h on its IPMB
    /// (LUN 0 and 1) and of controllers that are not there, all in the BMC's SDR repository (`sdrs/bridged.sdrs`,
    /// `bridged.emu`).
    public static func bridgedLabConfiguration(name: String = "bridged") -> Configuration {
        lab(name: name, sdrs: "sdrs/bridged.sdrs", emu: "bridged.emu")
    }

    /// A BMC of `Tests/Lab`: its SDR source and emulator commands, relative to that directory.
    private static func lab(name: String, sdrs: String, emu: String) -> Configuration {
        let lab = testsDirectory().appendingPathComponent("Lab")
        var configuration = Configuration()
        configuration.name = name
        configuration.sdrSource = lab.appendingPathComponent(sdrs).path
        configuration.emuFiles = [lab.appendingPathComponent(emu).path]
        return configuration
    }

    private func writeFiles() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: bmcStateDirectory, withIntermediateDirectories: true)
        var lan = """
            name "\(configuration.name)"
            set_working_mc 0x20
              startlan 1
                addr \(host) \(port)
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid a123456789abcdefa123456789abcdef
            \(configuration.bmcKey.map { "    bmc_key \"\($0)\"" } ?? "")
            \(configuration.lanLines.map { "    " + $0 }.joined(separator: "\n"))
              endlan

            """
        for user in configuration.users {
            lan +=
                "  user \(user.number) true \"\(user.name)\" \"\(user.password)\" \(user.privilege) 10 none md2 md5 straight\n"
        }
        try lan.write(to: directory.appendingPathComponent("lan.conf"), atomically: true, encoding: .utf8)

        // A BMC only opens its LAN channel once its MC is enabled, so mc_enable comes last.
        var emu = [
            "mc_setbmc 0x20",
            "mc_add 0x20 \(configuration.device) persist_sdr",
            "sel_enable 0x20 1000 0x0a",
        ]
        emu += configuration.emuCommands
        emu += configuration.emuFiles.map { "include \"\($0)\"" }
        emu.append("mc_enable 0x20")
        try (emu.joined(separator: "\n") + "\n")
            .write(to: directory.appendingPathComponent("bmc.emu"), atomically: true, encoding: .utf8)

        if let source = configuration.sdrSource {
            // ipmi_sim keeps its main SDR repository in <state>/ipmi_sim/<name>/sdr.<mc>.main.
            let target = bmcStateDirectory.appendingPathComponent("sdr.20.main")
            _ = try ExternalCommand.output("sdrcomp", ["-o", target.path, source])
        }
    }

    private func start() throws {
        _ = Self.orphansReaped
        try writeFiles()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExternalCommand.locate("ipmi_sim") ?? "/usr/bin/ipmi_sim")
        process.arguments = [
            "-c", directory.appendingPathComponent("lan.conf").path,
            "-f", directory.appendingPathComponent("bmc.emu").path,
            "-s", stateDirectory.path,
            "-n",
        ]
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        let log = directory.appendingPathComponent("ipmi_sim.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try ExternalCommand.launch(process)
        self.process = process
        try waitUntilListening()
    }

    /// Polls the kernel's UDP table until the BMC's port is bound (ipmi_sim prints nothing when ready).
    private func waitUntilListening() throws {
        // The socket is bound before the command file has been run, so wait for a real answer: a
        // pre-session Get Channel Authentication Capabilities (IPMI v2.0 §22.13), as every client sends first.
        let probe: [UInt8] = [
            0x06, 0x00, 0xFF, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x09,
            0x20, 0x18, 0xC8, 0x81, 0x14, 0x38, 0x8E, 0x04, 0xA1,
        ]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard process?.isRunning == true else { break }
            if Self.answers(probe, port: port) { return }
            usleep(20_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("ipmi_sim.log"), encoding: .utf8)) ?? ""
        stop()
        throw ExternalCommand.Failure(
            command: "ipmi_sim", result: .init(status: -1, stdout: "", stderr: "did not start answering: " + log))
    }

    /// Sends one datagram to 127.0.0.1:port and waits up to 100 ms for any answer.
    static func answers(_ datagram: [UInt8], port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == datagram.count else {
            usleep(100_000)
            return false
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        return recv(fd, &buffer, buffer.count, 0) > 0
    }

    /// Kills, once per test process, the BMCs a crashed earlier run left behind. ipmi_sim ignores SIGTERM, and a test
    /// process that dies never calls ``stop()``; such a BMC keeps its CPU and port and has made later runs' session
    /// set-ups time out. Only ipmi_sim processes of our own scratch directories whose parent is init are touched: a
    /// BMC of a run still going (another test process) has that process as its parent.
    static let orphansReaped = reapOrphans()

    /// Kills every ipmi_sim of our scratch directories whose parent is init; returns how many.
    public static func reapOrphans() -> Int {
        var killed = 0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid > 1,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let program = arguments.first, program.hasSuffix("ipmi_sim"),
                arguments.contains(where: { $0.contains("/ipmisim-") })
            else { continue }
            guard parent(of: pid) == 1 else { continue }
            if kill(pid, SIGKILL) == 0 { killed += 1 }
        }
        return killed
    }

    /// The parent process ID of `pid` from /proc/PID/stat ("pid (comm) state ppid …", comm may hold spaces, so the
    /// fields are counted from the last ')'); nil when there is no such process or it is a zombie.
    public static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, fields[0] != "Z" else { return nil }
        return Int32(fields[1])
    }

    /// Stops the BMC. ipmi_sim ignores SIGTERM, so it gets SIGKILL, as a power cut would.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Kills and restarts the same BMC on the same port: its session table is gone afterwards.
    public func restart() throws {
        stop()
        try start()
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// Runs `ipmitool -I lanplus` against this BMC as `admin` and returns its output.
    public func ipmitool(
        _ arguments: [String], cipherSuite: Int = 3, user: String = "admin", password: String = "password"
    ) throws -> String {
        try ExternalCommand.output(
            "ipmitool",
            ["-I", "lanplus", "-C", String(cipherSuite), "-H", host, "-p", String(port), "-U", user, "-E"] + arguments,
            environment: ["IPMI_PASSWORD": password])
    }

    /// Runs a FreeIPMI program (`ipmi-sensors` …) against this BMC as `admin` over LAN_2_0, cipher suite 3.
    public func freeIPMI(_ program: String, _ arguments: [String]) async throws -> String {
        try await Self.freeIPMI(program, address: address, cipherSuite: 3, arguments)
    }

    /// Runs a FreeIPMI program against the BMC at `address` as `admin` (password "password") over LAN_2_0, with the
    /// password in a private configuration file (not on the command line) and a fresh SDR cache of its own.
    public static func freeIPMI(
        _ program: String, address: String, cipherSuite: Int, _ arguments: [String]
    ) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freeipmi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("cache"), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("freeipmi.conf")
        try "username admin\npassword password\ndriver-type LAN_2_0\ncipher-suite-id \(cipherSuite)\n"
            .appending("workaround-flags opensesspriv\n").write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
        return try await ExternalCommand.output(
            program,
            ["--config-file", config.path, "-h", address, "--quiet-cache", "--sdr-cache-recreate"]
                + ["--sdr-cache-directory", directory.appendingPathComponent("cache").path] + arguments)
    }
}
