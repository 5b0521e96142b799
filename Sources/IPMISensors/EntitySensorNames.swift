/// Sensor names prefixed with their entity, as FreeIPMI prints them with `--entity-sensor-names` ("Processor 1 Temp"
/// for a sensor "Temp" of processor 1): boards name several sensors alike, and the entity tells them apart.
///
/// The entity is the record's entity ID and instance (IPMI v2.0 §43.1, bytes 9–10 of a sensor record; §39 on
/// entities). Its name is FreeIPMI's for the entity ID (``freeIPMIEntityTable``). The instance number is shown only
/// when the repository holds more than one instance of that entity ID; device-relative instances (60h–7Fh, §39.1)
/// are shown less 60h. Unspecified, Other and Unknown entities add nothing, and a name that would only repeat
/// itself is left as it is.
public struct EntitySensorNames: Sendable, Hashable {
    /// Entity IDs of which the repository holds more than one instance.
    public private(set) var severalInstances: Set<UInt8>

    /// Counts the instances of each entity ID over the records that name an entity (sensor records, with the
    /// instances of shared records that increment them, and controller locators); logical containers (bit 7 of the
    /// instance byte) do not count, as in FreeIPMI.
    public init(records: [SDRRecord]) {
        var instances: [UInt8: Set<UInt8>] = [:]
        func add(_ entity: UInt8, _ instanceByte: UInt8, sharing: SensorSharing? = nil) {
            guard instanceByte & 0x80 == 0 else { return }
            let extra = sharing.map { $0.shareCount > 1 && $0.entityInstanceIncrements ? $0.shareCount - 1 : 0 } ?? 0
            for index in 0...extra {
                instances[entity, default: []].insert(UInt8(truncatingIfNeeded: Int(instanceByte) + index))
            }
        }
        for record in records {
            switch record {
            case .fullSensor(let r): add(r.entityID, r.entityInstance)
            case .compactSensor(let r): add(r.entityID, r.entityInstance, sharing: r.sharing)
            case .eventOnly(let r): add(r.entityID, r.entityInstance, sharing: r.sharing)
            case .managementControllerLocator(let r): add(r.entityID, r.entityInstance)
            case .fruDeviceLocator, .intelNodeManager, .other: continue
            }
        }
        severalInstances = Set(instances.filter { $0.value.count > 1 }.keys)
    }

    /// The entity-prefixed name of `sensor`.
    public func name(of sensor: SensorDefinition) -> String {
        Self.name(
            sensor.name, entityID: sensor.entityID, instanceByte: sensor.entityInstance,
            showInstance: severalInstances.contains(sensor.entityID))
    }

    static func name(_ name: String, entityID: UInt8, instanceByte: UInt8, showInstance: Bool) -> String {
        // Unspecified, Other, Unknown: the record says there is no entity to name.
        guard entityID > 0x02 else { return name }
        var instance = instanceByte & 0x7F
        if instance >= 0x60 { instance -= 0x60 }
        let entity = showInstance ? "\(entityName(entityID)) \(instance)" : entityName(entityID)
        return entity.lowercased() == name.lowercased() ? name : "\(entity) \(name)"
    }

    /// FreeIPMI's name of an entity ID.
    public static func entityName(_ entityID: UInt8) -> String { table[Int(entityID)] }

    private static let table: [String] = (0...255).map { entity in
        freeIPMIEntityRuns.last { Int($0.first) <= entity }?.name ?? ""
    }
}
