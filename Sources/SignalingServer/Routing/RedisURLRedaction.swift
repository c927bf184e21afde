import RedisClient

/// Logs must never show a Redis password.
enum RedisURLRedaction {
    static func redacted(_ url: String) throws -> String {
        try RedisConfiguration(url: url).redactedURL
    }
}
