import ServiceLifecycle

/// Lets a fleet run in a `ServiceGroup` next to the exporter (the `demo` command): it serves until graceful
/// shutdown or cancellation, then closes its sockets.
extension SimulatedBMCFleet: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}
