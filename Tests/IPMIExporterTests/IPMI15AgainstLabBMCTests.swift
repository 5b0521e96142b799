import Foundation
import IPMI
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// `driver: LAN` (IPMI 1.5 sessions) against a real BMC, ipmi_sim with the lab SDRs and `md2 md5 straight` enabled in its
/// lan.conf, with ipmitool `-I lan` and FreeIPMI `-D LAN` run on the same BMC at test time as the oracles.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct IPMI15AgainstLabBMCTests {
    static func lanModule(authenticationType: String? = nil, password: String = "password") -> ModuleConfig {
        var module = ScrapeAgainstLabBMCTests.module(password: password)
        module.ipmi15 = true
        module.ipmi15AuthenticationType = authenticationType
        return module
    }

    /// The lab password as a packet hex dump would show it.
    static let passwordHex = CommandName.hex(Array("password".utf8))

    /// Sensor readings of a scrape by SDR name (sensors with a reading only; a name two sensors share is left out,
    /// the tools' output being matched by name).
    static func readings(_ families: [MetricFamily]) -> [String: Double] {
        var readings: [String: Double] = [:]
        var shared: Set<String> = []
        let valueFamilies = [
            "ipmi_temperature_celsius", "ipmi_fan_speed_rpm", "ipmi_voltage_volts", "ipmi_current_amperes",
            "ipmi_power_watts", "ipmi_sensor_value",
        ]
        for family in families where valueFamilies.contains(family.name) {
            for sample in family.samples where !sample.value.isNaN {
                guard let name = sample.labels.first(where: { $0.name == "name" })?.value else { continue }
                if readings.updateValue(sample.value, forKey: name) != nil { shared.insert(name) }
            }
        }
        return readings.filter { !shared.contains($0.key) }
    }

    /// The sensor series (values and states) of a scrape, by family and labels; values as text, so that NaN equals
    /// NaN.
    static func sensorSeries(_ families: [MetricFamily]) -> [String: String] {
        var series: [String: String] = [:]
        for family in families where family.name.hasPrefix("ipmi_") && !family.name.contains("duration") {
            for sample in family.samples {
                let key =
                    family.name + "{" + sample.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "}"
                series[key] = "\(sample.value)"
            }
        }
        return series
    }

    /// Every collector of `scrape` is up, the debug log shows v1.5 packets of `authType` (IPMI v2.0 table 13-8) and
    /// neither their AuthCodes nor the password.
    static func expectUpOverIPMI15(_ scrape: [MetricFamily], log: CapturedLog, authType: Int) {
        for collector in ["ipmi", "bmc", "chassis", "sel"] {
            #expect(ScrapeAgainstLabBMCTests.value(scrape, "ipmi_up", ["collector": collector]) == 1, "\(collector)")
        }
        #expect(log.text.contains("IPMI v1.5 auth=\(authType)"))
        #expect(log.text.contains("AuthCode not logged"))
        #expect(!log.text.contains(passwordHex))
    }

    @Test func driverLANExportsWhatRMCPPlusExportsAndSpeaksMD5() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let log = CapturedLog()
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let overLAN = await harness.scrape(bmc, module: Self.lanModule())
        // The session's packets went in IPMI v1.5 framing with MD5 AuthCodes (auth type 2), none of them logged.
        Self.expectUpOverIPMI15(overLAN, log: log, authType: 2)
        let overRMCPPlus = await harness.scrape(bmc, module: ScrapeAgainstLabBMCTests.module())
        let lan = Self.sensorSeries(overLAN)
        #expect(lan.count > 100)
        #expect(lan == Self.sensorSeries(overRMCPPlus))
    }

    /// Equal to the tools' printed precision; a fan in percent is exported as a ratio.
    static func agree(_ ours: Double, _ theirs: Double) -> Bool {
        abs(ours - theirs) <= 0.0051 || abs(ours * 100 - theirs) <= 0.0051
    }

    @Test func readingsMatchIpmitoolAndFreeIPMIOverIPMI15() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        let ours = Self.readings(await harness.scrape(bmc, module: Self.lanModule()))
        #expect(ours.count >= 30)

        let ipmitool = try await ExternalCommand.output(
            "ipmitool",
            [
                "-I", "lan", "-A", "MD5", "-L", "ADMINISTRATOR", "-H", bmc.host, "-p", String(bmc.port), "-U", "admin",
                "-E", "sensor",
            ], environment: ["IPMI_PASSWORD": "password"])
        var comparedWithIpmitool = 0
        for line in ipmitool.split(separator: "\n") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count > 2, let theirs = Double(columns[1]), let value = ours[columns[0]] else { continue }
            #expect(Self.agree(value, theirs), "\(columns[0]): \(value) vs ipmitool \(theirs)")
            comparedWithIpmitool += 1
        }
        #expect(comparedWithIpmitool >= 25)

        #expect(try await Self.compareWithFreeIPMI(ours, bmc, authenticationType: "MD5") >= 25)
    }

    /// Compares `ours` with `ipmi-sensors -D LAN -a <type>` run on `bmc` now; the number of readings compared.
    static func compareWithFreeIPMI(
        _ ours: [String: Double], _ bmc: IPMISim, authenticationType: String
    ) async throws -> Int {
        let cache = NSTemporaryDirectory() + "sdrcache-lan15-\(bmc.port)"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let csv = try await ExternalCommand.output(
            "ipmi-sensors",
            [
                "-D", "LAN", "-a", authenticationType, "-h", bmc.address, "-u", "admin", "-p", "password", "-l",
                "ADMIN",
                "--comma-separated-output", "--no-header-output", "--quiet-cache", "--sdr-cache-directory", cache,
            ])
        var compared = 0
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5, let theirs = Double(fields[3]), let value = ours[fields[1]] else { continue }
            #expect(agree(value, theirs), "\(fields[1]): \(value) vs ipmi-sensors -a \(authenticationType) \(theirs)")
            compared += 1
        }
        return compared
    }

    /// Straight password and MD2 (`-a STRAIGHT_PASSWORD_KEY`, `-a MD2`; IPMI v2.0 section 22.17.1) work too:
    /// ipmi_sim checks the AuthCodes of our requests and we check those of its answers. The MD2 readings are FreeIPMI's
    /// `ipmi-sensors -D LAN -a MD2` on the same BMC (Debian's ipmitool 1.8.19 cannot be that oracle: it has no MD2).
    /// A wrong password fails the scrape at Activate Session and never shows up in the log.
    @Test(arguments: [("STRAIGHT_PASSWORD_KEY", 4), ("MD2", 1)])
    func otherAuthenticationTypesAndAWrongPassword(type: String, authType: Int) async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let log = CapturedLog()
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let scrape = await harness.scrape(bmc, module: Self.lanModule(authenticationType: type))
        Self.expectUpOverIPMI15(scrape, log: log, authType: authType)
        #expect(!log.text.contains("IPMI v1.5 auth=2"), "MD5 was not asked for")
        if type == "MD2" {
            let ours = Self.readings(scrape)
            #expect(ours.count >= 30)
            #expect(try await Self.compareWithFreeIPMI(ours, bmc, authenticationType: type) >= 25)
        }
        let wrong = await harness.scrape(
            bmc, module: Self.lanModule(authenticationType: type, password: "Wr0ngSecret"), seconds: 15)
        #expect(ScrapeAgainstLabBMCTests.value(wrong, "ipmi_up", ["collector": "bmc"]) == 0)
        #expect(log.text.contains("Activate Session"), "the failure says where the login stopped")
        #expect(!log.text.contains("Wr0ngSecret") && !log.text.contains(Self.passwordHex))
        #expect(!log.text.contains(CommandName.hex(Array("Wr0ngSecret".utf8))))
    }
}
