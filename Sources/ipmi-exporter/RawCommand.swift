import ArgumentParser
import Foundation
import IPMI
import IPMIClient

/// `ipmi-exporter raw`: one IPMI request, like `ipmitool raw`.
struct RawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw",
        abstract: "Send one IPMI request and print the response data bytes in hex.",
        discussion: """
            Like `ipmitool raw`: NETFN, CMD and DATA are bytes (0x06, 6, 06h). The response data is printed as \
            two-digit hex bytes separated by spaces. A completion code other than 0x00 is printed to standard \
            error and exits 1. Without -H the request goes to this machine's BMC through the kernel's IPMI device \
            (/dev/ipmi0; load the ipmi_si and ipmi_devintf modules). With -H, the password comes from \
            --password-file FILE or the IPMI_PASSWORD environment variable.

            Examples: ipmi-exporter raw 0x06 0x01
                      IPMI_PASSWORD=secret ipmi-exporter raw -H 10.0.0.5 -U admin 0x06 0x01
            """
    )

    @OptionGroup var bmc: BMCOptions

    @Argument(help: "Network function, e.g. 0x06 for App.")
    var netFn: String

    @Argument(help: "Command, e.g. 0x01 for Get Device ID.")
    var command: String

    @Argument(help: "Request data bytes.")
    var data: [String] = []

    func validate() throws {
        for byte in [netFn, command] + data where BMCOptions.parseByte(byte) == nil {
            throw ValidationError("'\(byte)' is not a byte (use 0x06, 6 or 06h)")
        }
    }

    func run() async throws {
        let logger = bmc.makeLogger(label: "ipmi-exporter.raw")
        let netFnByte = BMCOptions.parseByte(netFn)!
        let commandByte = BMCOptions.parseByte(command)!
        let bytes = data.map { BMCOptions.parseByte($0)! }
        let response: IPMIResponse
        do {
            response = try await bmc.withBMC(logger: logger) { requester in
                try await requester.request(
                    netFn: NetFn(rawValue: netFnByte), command: commandByte, data: bytes, lun: 0)
            }
        } catch {
            try reportAndExit("raw", error)
        }
        guard response.completionCode == .normal else {
            // Naming the command: through the local device a BMC that stopped answering shows up as 0xc3 made up by
            // the kernel's driver, which the line should tie to the request.
            let command = CommandName.describe(netFn: NetFn(rawValue: netFnByte), command: commandByte)
            FileHandle.standardError.write(Data("ipmi-exporter raw: \(command): \(response.completionCode)\n".utf8))
            throw ExitCode.failure
        }
        print(response.data.map { String(format: "%02x", $0) }.joined(separator: " "))
    }
}
