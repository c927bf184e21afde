#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A cluster payload (a connections record, a message on `cluster:*`, `signal_data`) that could not be read.
public enum ClusterPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON, or a required field missing or of the wrong type.
    case malformed(String)
    /// An externally tagged message whose tag this version does not know (readers ignore it).
    case unknownType(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed cluster payload: \(why)"
        case .unknownType(let tag): return "unknown cluster payload type '\(tag)'"
        }
    }
}

/// JSON decoding shared by every payload type: Foundation's decoder, its errors turned into `ClusterPayloadError`.
enum PayloadDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws(ClusterPayloadError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as ClusterPayloadError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw .malformed("missing field \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformed("wrong type at \(path(context))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .malformed("null at \(path(context))")
        } catch let DecodingError.dataCorrupted(context) {
            throw .malformed(context.codingPath.isEmpty ? "not JSON" : "invalid value at \(path(context))")
        } catch {
            throw .malformed("\(error)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

/// A coding key for any member name (externally tagged enums, tolerant readers).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
