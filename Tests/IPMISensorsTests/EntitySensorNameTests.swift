import Testing

@testable import IPMISensors

@Suite("Entity sensor names")
struct EntitySensorNameTests {
    @Test("the entity's name goes first, with the instance when the repository has several of that entity")
    func prefix() {
        #expect(
            EntitySensorNames.name("Temp", entityID: 0x03, instanceByte: 2, showInstance: true) == "Processor 2 Temp")
        #expect(EntitySensorNames.name("Fan1", entityID: 0x1D, instanceByte: 1, showInstance: false) == "Fan Fan1")
    }

    @Test("device-relative instances are shown less 60h; the container bit is not part of the number")
    func instances() {
        #expect(
            EntitySensorNames.name("Temp", entityID: 0x03, instanceByte: 0x61, showInstance: true) == "Processor 1 Temp"
        )
        #expect(
            EntitySensorNames.name("Temp", entityID: 0x03, instanceByte: 0x82, showInstance: true) == "Processor 2 Temp"
        )
    }

    @Test("unspecified, other and unknown entities add nothing; a name equal to the prefix stays as it is")
    func leftAlone() {
        for entity: UInt8 in [0x00, 0x01, 0x02] {
            #expect(EntitySensorNames.name("Temp", entityID: entity, instanceByte: 1, showInstance: true) == "Temp")
        }
        #expect(
            EntitySensorNames.name("processor 1", entityID: 0x03, instanceByte: 1, showInstance: true) == "processor 1")
        #expect(EntitySensorNames.name("FAN", entityID: 0x1D, instanceByte: 1, showInstance: false) == "FAN")
    }

    @Test("entity names are FreeIPMI's, for all 256 entity IDs")
    func table() {
        #expect(EntitySensorNames.entityName(0x04) == "Disk")
        #expect(EntitySensorNames.entityName(0x17) == "System Chassis")
        #expect((0...255).allSatisfy { !EntitySensorNames.entityName(UInt8($0)).isEmpty })
    }
}
