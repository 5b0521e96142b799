import IPMISimulator
import IPMITestSupport
import Logging

/// Starts one in-process simulated BMC on a free loopback port for the duration of `body`.
func withSimulatedBMC<T>(
    count: Int = 1, configuration: SimulatorConfiguration = .defaultServer, faults: BMCFaults = .none,
    _ body: (SimulatedBMCFleet) async throws -> T
) async throws -> T {
    let fleet = try await SimulatedBMCFleet.start(
        count: count, basePort: 0, host: "127.0.0.1", configuration: configuration, faults: faults,
        logger: Logger(label: "simulator-test"))
    do {
        let result = try await body(fleet)
        await fleet.stop()
        return result
    } catch {
        await fleet.stop()
        throw error
    }
}

/// ipmitool lanplus arguments for BMC `port` with the documented test credential.
func ipmitoolArguments(
    port: Int, suite: Int = 17, user: String = "admin", password: String = "password", privilege: String? = nil
) -> [String] {
    var arguments = [
        "-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", user, "-P", password, "-C", String(suite),
    ]
    if let privilege { arguments += ["-L", privilege] }
    return arguments + ["-N", "1", "-R", "2"]
}
