extension SimulatedBMCFleet {
    /// Reboots one BMC picked at random every `interval` until the task is cancelled or `limit` reboots are
    /// done; returns how many it did. Soak tests use it so sessions vanish and SDR timestamps change at moments
    /// the exporter cannot predict. `onReboot` is told the index of each BMC rebooted.
    @discardableResult
    public func rebootAtRandom(
        every interval: Duration, seed: UInt64 = .random(in: .min ... .max), limit: Int = .max,
        onReboot: @Sendable (Int) -> Void = { _ in }
    ) async -> Int {
        var random = SplitMix64(seed: seed)
        var reboots = 0
        while reboots < limit {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            let index = Int(random.next() % UInt64(count))
            do {
                try await reboot(bmc: index)
            } catch {
                break  // the fleet is stopping
            }
            reboots += 1
            onReboot(index)
        }
        return reboots
    }

    /// Sessions (including handshakes in progress) held by all BMCs together.
    public func totalSessionCount() async throws -> Int {
        var total = 0
        for index in 0..<count { total += try await sessionCount(bmc: index) }
        return total
    }
}
