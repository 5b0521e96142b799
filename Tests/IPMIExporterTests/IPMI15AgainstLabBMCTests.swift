import Foundation
import IPMI
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// `driver: LAN` (IPMI 1.5 sessions) against a real BMC, ipmi_sim with the lab SDRs and `md5 straight` enabled in its
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

    @Test func driverLANExportsWhatRMCPPlusExportsAndSpeaksMD5() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let log = CapturedLog()
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let overLAN = await harness.scrape(bmc, module: Self.lanModule())
        for collector in ["ipmi", "bmc", "chassis", "sel"] {
            #expect(ScrapeAgainstLabBMCTests.value(overLAN, "ipmi_up", ["collector": collector]) == 1, "\(collector)")
        }
        // The session's packets went in IPMI v1.5 framing with MD5 AuthCodes (auth type 2), none of them logged.
        #expect(log.text.contains("IPMI v1.5 auth=2"))
        #expect(log.text.contains("AuthCode not logged"))
        #expect(!log.text.contains(Self.passwordHex))
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

        let cache = NSTemporaryDirectory() + "sdrcache-lan15-\(bmc.port)"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let csv = try await ExternalCommand.output(
            "ipmi-sensors",
            [
                "-D", "LAN", "-a", "MD5", "-h", bmc.address, "-u", "admin", "-p", "password", "-l", "ADMIN",
                "--comma-separated-output", "--no-header-output", "--quiet-cache", "--sdr-cache-directory", cache,
            ])
        var comparedWithFreeIPMI = 0
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5, let theirs = Double(fields[3]), let value = ours[fields[1]] else { continue }
            #expect(Self.agree(value, theirs), "\(fields[1]): \(value) vs ipmi-sensors \(theirs)")
            comparedWithFreeIPMI += 1
        }
        #expect(comparedWithFreeIPMI >= 25)
    }

    /// Straight password works too; a wrong password fails the scrape with a reason and never shows up in the log.
    @Test func straightPasswordAndAWrongPassword() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let log = CapturedLog()
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let straight = await harness.scrape(bmc, module: Self.lanModule(authenticationType: "STRAIGHT_PASSWORD_KEY"))
        #expect(ScrapeAgainstLabBMCTests.value(straight, "ipmi_up", ["collector": "bmc"]) == 1)
        #expect(log.text.contains("IPMI v1.5 auth=4"))
        let wrong = await harness.scrape(bmc, module: Self.lanModule(password: "Wr0ngSecret"), seconds: 15)
        #expect(ScrapeAgainstLabBMCTests.value(wrong, "ipmi_up", ["collector": "bmc"]) == 0)
        #expect(log.text.contains("Activate Session"), "the failure says where the login stopped")
        #expect(!log.text.contains("Wr0ngSecret") && !log.text.contains(Self.passwordHex))
        #expect(!log.text.contains(CommandName.hex(Array("Wr0ngSecret".utf8))))
    }
}
