import Foundation
import Logging
import SignalingProtocol
import Testing
@testable import SignalingServer

@Suite("JSON log lines", .timeLimit(.minutes(1)))
struct LoggingTests {
    @Test func oneObjectPerLineWithMetadataAsMembers() throws {
        let line = JSONLogHandler.line(
            timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "sigctl",
            message: "joined \"room\"\nnext", metadata: ["node.id": "n1", "user.id": .stringConvertible(42), "room.id": "r"],
            source: "SignalingServer")
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let value = try JSONValue(parsing: String(line.dropLast()))
        let object = try #require(value.objectValue)
        #expect(object["message"]?.stringValue == "joined \"room\"\nnext")
        #expect(object["level"]?.stringValue == "info")
        #expect(object["node.id"]?.stringValue == "n1")
        #expect(object["user.id"]?.stringValue == "42")
        #expect(object["room.id"]?.stringValue == "r")
        #expect(object["timestamp"]?.stringValue?.hasPrefix("1970-01-01T00:00:00") == true)
    }
}
