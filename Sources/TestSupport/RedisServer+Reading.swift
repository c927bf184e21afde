import RedisClient

/// One-shot reads on a fresh connection, for checking what a test's processes wrote.
extension RedisServer {
    public func withConnection<T>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        let connection = try await connect()
        defer { connection.close() }
        return try await body(connection)
    }

    public func hgetall(_ key: String) async throws -> [String: String] {
        try await withConnection { c in
            let flat = try await c.send("HGETALL", key).stringArray ?? []
            var out: [String: String] = [:]
            var i = 0
            while i + 1 < flat.count {
                out[flat[i] ?? ""] = flat[i + 1] ?? ""
                i += 2
            }
            return out
        }
    }

    public func exists(_ key: String) async throws -> Bool {
        try await withConnection { try await $0.send("EXISTS", key).int == 1 }
    }

    public func get(_ key: String) async throws -> String? {
        try await withConnection { c in
            let reply = try await c.send("GET", key)
            return reply.isNull ? nil : reply.string
        }
    }

    public func ttl(_ key: String) async throws -> Int64 {
        try await withConnection { try await $0.send("TTL", key).int ?? -3 }
    }

    /// Every key matching `pattern`, with SCAN.
    public func keys(_ pattern: String = "*") async throws -> Set<String> {
        try await withConnection { c in
            var keys = Set<String>()
            var cursor = "0"
            repeat {
                let reply = try await c.send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).array ?? []
                guard reply.count == 2 else { break }
                cursor = reply[0].string ?? "0"
                keys.formUnion((reply[1].stringArray ?? []).compactMap { $0 })
            } while cursor != "0"
            return keys
        }
    }
}
