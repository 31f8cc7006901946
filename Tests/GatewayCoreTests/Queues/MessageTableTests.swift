@testable import GatewayCore
import Testing

/// The sharded table answers as one dictionary would: random puts, replacements and removals against a model.
struct MessageTableTests {
    @Test func behavesAsOneDictionary() {
        var table = MessageTable()
        var model: [String: QueuedMessage] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let id = "m\(Int.random(in: 0..<3_000, using: &generator))"
            switch Int.random(in: 0..<3, using: &generator) {
            case 0, 1:
                let message = QueuedMessage(id: id, body: [UInt8(step & 0xFF)], sentAt: Int64(step), visibleAt: 0)
                #expect(table.updateValue(message, forKey: id) == model.updateValue(message, forKey: id))
            default:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            }
        }
        #expect(table.count == model.count)
        #expect(Dictionary(uniqueKeysWithValues: table.values.map { ($0.id, $0) }) == model)
        for (id, message) in model { #expect(table[id] == message) }
        table["m1"] = nil
        model["m1"] = nil
        #expect(table.count == model.count)
        table.removeAll()
        #expect(table.count == 0 && Array(table.values).isEmpty)
    }
}
