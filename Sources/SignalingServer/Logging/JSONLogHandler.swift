#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging

/// A log handler that writes one JSON object per line to standard error, for log shippers:
/// `{"timestamp":"…","level":"info","label":"sigctl","message":"…","node.id":"…",…}`.
///
/// Metadata keys become top-level members (`node.id`, `room.id`, `user.id`, `connection.id`), so a query can
/// filter on them without parsing the message.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.line(
            timestamp: Date(), level: event.level, label: label, message: event.message.description,
            metadata: merged, source: event.source)
        var bytes = Array(line.utf8)
        // One write(2) per line: concurrent lines never interleave (writes below PIPE_BUF are atomic on pipes).
        bytes.withUnsafeMutableBytes { buffer in
            _ = write(2, buffer.baseAddress, buffer.count)
        }
    }

    static func line(
        timestamp: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata,
        source: String
    ) -> String {
        var out = "{\"timestamp\":\(quoted(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(timestamp))),"
        out += "\"level\":\(quoted(level.rawValue)),\"label\":\(quoted(label)),\"message\":\(quoted(message))"
        for key in metadata.keys.sorted() {
            out += ",\(quoted(key)):\(json(metadata[key]!))"
        }
        out += ",\"source\":\(quoted(source))}\n"
        return out
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let value): quoted(value.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.keys.sorted().map { "\(quoted($0)):\(json(dictionary[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Sets up process-wide logging for `sigctl serve`: text (swift-log's stream handler) or JSON lines, on stderr.
public enum NodeLogging {
    public static func bootstrap(format: NodeConfiguration.LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            return handler
        }
    }
}
