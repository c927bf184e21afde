import SignalingProtocol

/// Reads the members of one cluster payload object: the JSON parser of the client protocol, with its errors and
/// missing or mistyped fields turned into `ClusterPayloadError`.
///
/// Cluster messages are read for every relayed signal, so they go through the same single-pass parser as client
/// frames rather than `Codable`, whose generic decoding costs several times as much per message. Unknown members
/// are ignored, as PROTOCOL.md §2 asks of readers. An integer may be written in any JSON number form that is exactly
/// an integer in range (`1001`, `1001.0`, `1.001e3`), as `Codable` read them. The parser is the strict one of the
/// client protocol: duplicate member names and nesting deeper than 64 make the whole payload unreadable.
struct PayloadReader {
    let object: JSONObject
    /// Member path for error messages (`WebRTCSignal.to_user`).
    let path: String

    /// The top-level object of `bytes`.
    ///
    /// Takes an array, not any collection: a generic parse across the module boundary is not specialised and spends
    /// a measurable share of a relayed message's CPU time instantiating generic metadata.
    init(json bytes: [UInt8]) throws(ClusterPayloadError) {
        let value: JSONValue
        do {
            value = try bytes.withUnsafeBytes { buffer in try JSONValue(parsing: buffer) }
        } catch {
            throw .malformed("not JSON: \(error)")
        }
        guard let object = value.objectValue else { throw .malformed("not a JSON object") }
        self.init(object: object, path: "")
    }

    private init(object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// The externally tagged payload: the first member whose key is one of `known`, as a reader of its object.
    func tagged(_ known: [String]) throws(ClusterPayloadError) -> (tag: String, body: PayloadReader) {
        guard let member = object.members.first(where: { known.contains($0.key) }) else {
            throw .unknownType(object.keys.sorted().first ?? "")
        }
        guard let body = member.value.objectValue else { throw mistyped("", member.key, member.value) }
        return (member.key, PayloadReader(object: body, path: member.key + "."))
    }

    func string(_ key: String) throws(ClusterPayloadError) -> String {
        guard let value = object[key] else { throw .malformed("missing field \(path)\(key)") }
        guard let string = value.stringValue else { throw mistyped(path, key, value) }
        return string
    }

    /// Absent and `null` both read as nil.
    func optionalString(_ key: String) throws(ClusterPayloadError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let string = value.stringValue else { throw mistyped(path, key, value) }
        return string
    }

    func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) throws(ClusterPayloadError) -> T {
        guard let value = object[key] else { throw .malformed("missing field \(path)\(key)") }
        return try integer(key, value)
    }

    func optionalInteger<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) throws(ClusterPayloadError) -> T? {
        guard let value = object[key], value != .null else { return nil }
        return try integer(key, value)
    }

    private func integer<T: FixedWidthInteger>(_ key: String, _ value: JSONValue) throws(ClusterPayloadError) -> T {
        guard let text = value.numberText else { throw mistyped(path, key, value) }
        if let number = T(text) { return number }
        // Not plain digits: another spelling of an integer (`1001.0`, `1e3`) is accepted when it is exact.
        if let double = Double(text), double.rounded() == double, let number = T(exactly: double) { return number }
        throw .malformed("invalid value at \(path)\(key): \(text) is not an integer in \(T.min)...\(T.max)")
    }

    private func mistyped(_ path: String, _ key: String, _ value: JSONValue) -> ClusterPayloadError {
        value == .null ? .malformed("null at \(path)\(key)") : .malformed("wrong type at \(path)\(key)")
    }
}
