import Foundation

/// A value guarded by a lock.
///
/// The emulator's state outside the `Mailbox` actor (tokens, throttle counters, the fault
/// schedule, statistics) is touched by every request for a few microseconds; a lock keeps
/// that synchronous, so the throttle can count a request before anything else awaits.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only read or written while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Everything a server keeps besides the mailbox content: sign-in state, the throttle, the
/// fault schedule and request statistics. It outlives `stop()`/`start()` of the server.
final class EmulatorRuntime: Sendable {
    let configuration: GraphEmulatorConfiguration
    let identity: IdentityPlatform
    let throttle: MailboxThrottle
    let faults: FaultInjector
    let statistics = RequestStatistics()
    let connections = ConnectionStatistics()
    private let current: Locked<Mailbox>
    /// Builds the initial mailbox again for `POST /_emulator/reset`; nil when the server was
    /// given a ready-made `Mailbox`, which cannot be rebuilt.
    private let makeMailbox: (@Sendable () throws -> Mailbox)?

    init(
        mailbox: Mailbox, makeMailbox: (@Sendable () throws -> Mailbox)?, staticTokens: Set<String>,
        configuration: GraphEmulatorConfiguration
    ) {
        self.configuration = configuration
        self.current = Locked(mailbox)
        self.makeMailbox = makeMailbox
        self.identity = IdentityPlatform(
            owner: mailbox.owner, staticTokens: staticTokens, configuration: configuration.identity)
        self.throttle = MailboxThrottle(configuration.throttling)
        self.faults = FaultInjector(configuration.faults)
    }

    /// The mailbox requests are served from now.
    var mailbox: Mailbox { current.withLock { $0 } }

    /// Replaces the mailbox with a freshly built initial one. Requests already running finish
    /// on the old one; delta tokens of the old one are refused by the new one (each mailbox
    /// signs its tokens with its own key).
    func resetMailbox() throws -> Mailbox? {
        guard let makeMailbox else { return nil }
        let fresh = try makeMailbox()
        current.withLock { $0 = fresh }
        return fresh
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
