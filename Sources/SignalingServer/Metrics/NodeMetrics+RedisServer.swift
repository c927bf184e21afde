import Metrics
import Prometheus
import RedisClient

/// The Redis server gauges, set at scrape time from the bridge's `RedisServerStatus`.
extension NodeMetrics {
    func redisServer(_ server: RedisServerStatus) {
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Meter(label: MetricNames.redisServerSwitches, factory: factory).set(server.switches)
        Metrics.Meter(label: MetricNames.redisLastSwitch, factory: factory)
            .set(server.lastSwitch.map { Int($0.timeIntervalSince1970) } ?? 0)
        guard let address = server.address else { return }
        let previous = redisAddresses.withLock { addresses in
            defer { addresses = [address] }
            return addresses.subtracting([address])
        }
        for old in previous {
            Metrics.Meter(label: MetricNames.redisServer, dimensions: [(MetricNames.addressLabel, old)], factory: factory).set(0)
        }
        Metrics.Meter(label: MetricNames.redisServer, dimensions: [(MetricNames.addressLabel, address)], factory: factory).set(1)
    }
}
