/// The built-in simulated server, in the same YAML format `--config` accepts (a starting point for own
/// files). Two sockets, twelve temperatures, six fans in RPM and a duty cycle in percent, a CPU load in
/// percent (a threshold sensor of type processor), twelve voltages, PSU currents and power, and discrete presence, redundancy, drive and intrusion sensors.
/// "PCIe Slot3 Temp" sits above its upper non-critical threshold (warning), "FAN6" below its lower critical
/// threshold (critical), and "Fan Redundancy" asserts "redundancy lost".
enum DefaultServer {
    static let yaml = """
        device:
          device_id: 32
          manufacturer_id: 0
          product_id: 21321
          firmware: "2.45"
          system_firmware: "SIM-BIOS 1.4.2"
        users:
          # Test credentials of the simulator, documented in the README. Never use them on real hardware.
          - {name: admin, password: password, privilege: administrator}
          - {name: operator, password: operator, privilege: operator}
          - {name: reader, password: reader, privilege: user}
        cipher_suites: [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17]
        session_slots: 32
        session_timeout: 60
        dcmi_power_sensor: System Power
        sensors:
          - {name: CPU1 Temp, type: temperature, entity: "3.1", nominal: 52, drift: 4, spread: 3,
             thresholds: {unc: 85, uc: 90, unr: 95}}
          - {name: CPU2 Temp, type: temperature, entity: "3.2", nominal: 49, drift: 4, spread: 3,
             thresholds: {unc: 85, uc: 90, unr: 95}}
          - {name: Inlet Temp, type: temperature, entity: "55.1", nominal: 23, drift: 1.5, spread: 2,
             conversion: {m: 1, b: -40}, thresholds: {lc: -5, lnc: 0, unc: 40, uc: 45}}
          - {name: Exhaust Temp, type: temperature, entity: "7.1", nominal: 38, drift: 2, spread: 2,
             thresholds: {unc: 70, uc: 75}}
          - {name: PCH Temp, type: temperature, entity: "7.1", nominal: 55, drift: 2, spread: 2,
             thresholds: {unc: 90, uc: 95}}
          - {name: DIMMA Temp, type: temperature, entity: "32.1", nominal: 41, drift: 2, spread: 2,
             thresholds: {unc: 80, uc: 85}}
          - {name: DIMMB Temp, type: temperature, entity: "32.2", nominal: 42, drift: 2, spread: 2,
             thresholds: {unc: 80, uc: 85}}
          - {name: DIMMC Temp, type: temperature, entity: "32.3", nominal: 40, drift: 2, spread: 2,
             thresholds: {unc: 80, uc: 85}}
          - {name: DIMMD Temp, type: temperature, entity: "32.4", nominal: 43, drift: 2, spread: 2,
             thresholds: {unc: 80, uc: 85}}
          - {name: VR CPU1 Temp, type: temperature, entity: "20.1", nominal: 46, drift: 3, spread: 2,
             thresholds: {unc: 100, uc: 105}}
          - {name: NVMe0 Temp, type: temperature, entity: "26.1", nominal: 44, drift: 2, spread: 2,
             thresholds: {unc: 70, uc: 75}}
          - {name: PCIe Slot3 Temp, type: temperature, entity: "11.3", nominal: 79, drift: 0.5, spread: 0.5,
             thresholds: {unc: 75, uc: 85, unr: 90}}
          - {name: FAN1, type: fan, entity: "29.1", nominal: 7800, drift: 300, spread: 200,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN2, type: fan, entity: "29.2", nominal: 7700, drift: 300, spread: 200,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN3, type: fan, entity: "29.3", nominal: 7900, drift: 300, spread: 200,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN4, type: fan, entity: "29.4", nominal: 7600, drift: 300, spread: 200,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN5, type: fan, entity: "29.5", nominal: 7800, drift: 300, spread: 200,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN6, type: fan, entity: "29.6", nominal: 450, drift: 0, spread: 0,
             conversion: {m: 50}, thresholds: {lnr: 300, lc: 500, lnc: 700}}
          - {name: FAN Duty, type: fan, unit: percent, entity: "29.7", nominal: 38, drift: 5, spread: 3,
             thresholds: {unc: 95, uc: 100}}
          - {name: CPU1 Usage, type: processor, event_type: 1, unit: percent, entity: "3.1", nominal: 35, drift: 15,
             spread: 5, thresholds: {unc: 95}}
          - {name: 12V, type: voltage, entity: "7.1", nominal: 12.06, drift: 0.06, spread: 0.06,
             conversion: {m: 6, r_exp: -2}, thresholds: {lc: 10.8, lnc: 11.4, unc: 12.6, uc: 13.2}}
          - {name: 5V, type: voltage, entity: "7.1", nominal: 5.04, drift: 0.03, spread: 0.03,
             conversion: {m: 3, r_exp: -2}, thresholds: {lc: 4.5, lnc: 4.74, unc: 5.25, uc: 5.49}}
          - {name: 3.3V, type: voltage, entity: "7.1", nominal: 3.32, drift: 0.02, spread: 0.02,
             conversion: {m: 2, r_exp: -2}, thresholds: {lc: 2.96, lnc: 3.14, unc: 3.46, uc: 3.64}}
          - {name: 5VSB, type: voltage, entity: "7.1", nominal: 5.01, drift: 0.03, spread: 0.03,
             conversion: {m: 3, r_exp: -2}, thresholds: {lc: 4.5, lnc: 4.74, unc: 5.25, uc: 5.49}}
          - {name: 3.3VSB, type: voltage, entity: "7.1", nominal: 3.3, drift: 0.02, spread: 0.02,
             conversion: {m: 2, r_exp: -2}, thresholds: {lc: 2.96, lnc: 3.14, unc: 3.46, uc: 3.64}}
          - {name: VBAT, type: voltage, entity: "7.1", nominal: 3.06, drift: 0.01, spread: 0.04,
             conversion: {m: 2, r_exp: -2}, thresholds: {lc: 2.6, lnc: 2.8}}
          - {name: CPU1 Vcore, type: voltage, entity: "3.1", nominal: 1.05, drift: 0.02, spread: 0.02,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 0.8, uc: 1.5}}
          - {name: CPU2 Vcore, type: voltage, entity: "3.2", nominal: 1.04, drift: 0.02, spread: 0.02,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 0.8, uc: 1.5}}
          - {name: VDIMM AB, type: voltage, entity: "32.1", nominal: 1.2, drift: 0.01, spread: 0.01,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 1.08, uc: 1.32}}
          - {name: VDIMM CD, type: voltage, entity: "32.3", nominal: 1.2, drift: 0.01, spread: 0.01,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 1.08, uc: 1.32}}
          - {name: 1.05V PCH, type: voltage, entity: "7.1", nominal: 1.05, drift: 0.01, spread: 0.01,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 0.94, uc: 1.16}}
          - {name: 1.8V AUX, type: voltage, entity: "7.1", nominal: 1.8, drift: 0.01, spread: 0.01,
             conversion: {m: 1, r_exp: -2}, thresholds: {lc: 1.62, uc: 1.98}}
          - {name: PSU1 Current In, type: current, entity: "10.1", nominal: 0.7, drift: 0.1, spread: 0.1,
             conversion: {m: 1, r_exp: -1}, thresholds: {uc: 10}}
          - {name: PSU2 Current In, type: current, entity: "10.2", nominal: 0.6, drift: 0.1, spread: 0.1,
             conversion: {m: 1, r_exp: -1}, thresholds: {uc: 10}}
          - {name: PSU1 Current Out, type: current, entity: "10.1", nominal: 12, drift: 1.5, spread: 1,
             conversion: {m: 2, r_exp: -1}, thresholds: {uc: 45}}
          - {name: PSU1 Power In, type: power, entity: "10.1", nominal: 152, drift: 20, spread: 8,
             conversion: {m: 4}, thresholds: {uc: 800}}
          - {name: PSU2 Power In, type: power, entity: "10.2", nominal: 140, drift: 20, spread: 8,
             conversion: {m: 4}, thresholds: {uc: 800}}
          - {name: System Power, type: power, entity: "23.1", nominal: 284, drift: 40, spread: 16,
             conversion: {m: 4}, thresholds: {unc: 900, uc: 1000}}
          - {name: PSU1 Status, type: power_supply, entity: "10.1", states: [0]}
          - {name: PSU2 Status, type: power_supply, entity: "10.2", states: [0]}
          - {name: PSU Redundancy, type: power_supply, event_type: 11, entity: "19.1", states: [0]}
          - {name: Fan Redundancy, type: fan, event_type: 11, entity: "29.8", states: [1]}
          - {name: Drive 0, type: drive_slot, entity: "26.1", states: [0]}
          - {name: Drive 1, type: drive_slot, entity: "26.2", states: [0]}
          - {name: Drive 2, type: drive_slot, entity: "26.3", states: [0]}
          - {name: Drive 3, type: drive_slot, entity: "26.4", states: [0]}
          - {name: Chassis Intru, type: physical_security, entity: "23.1", states: []}
          - {name: CPU1 Status, type: processor, entity: "3.1", states: [7]}
          - {name: CPU2 Status, type: processor, entity: "3.2", states: [7]}
          - {name: Riser1 Presence, type: entity_presence, entity: "11.1", states: [0]}
        sel:
          - {sensor: Chassis Intru, offset: 0, age: 86400}
          - {sensor: Chassis Intru, offset: 0, deassertion: true, age: 86000}
          - {sensor: FAN6, offset: 2, age: 7200}
          - {sensor: Fan Redundancy, offset: 1, age: 7190}
        """
}
