import AsyncHTTPClient
import Foundation
import Synchronization

/// Outlook's rules for one mailbox (GRAPH.md §10, QUALITY.md Reliability 4): at most four
/// requests in flight, and once the server says `Retry-After`, no request to that mailbox until
/// then — not only the one that was told.
///
/// A `$batch` counts as the requests it makes the server run at once (Outlook runs up to four
/// items of a batch side by side, GRAPH.md §9), so a batch beside a sync never takes the mailbox
/// over its limit. Waiters are served in arrival order, so a batch needing four slots is not
/// starved by a stream of single requests.
actor RequestGate {
    private struct Waiter {
        var slots: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private let limit: Int
    private var inFlight = 0
    private var waiters: [Waiter] = []
    private var pausedUntil: ContinuousClock.Instant?

    init(limit: Int = 4) {
        self.limit = limit
    }

    /// Waits for `slots` free slots (at most the limit) and for any mailbox-wide pause to end.
    func enter(slots requested: Int = 1) async {
        let slots = min(max(1, requested), limit)
        while true {
            if let until = pausedUntil, until > .now, !Task.isCancelled {
                try? await Task.sleep(until: until, clock: .continuous)
                continue
            }
            if waiters.isEmpty, inFlight + slots <= limit {
                inFlight += slots
                return
            }
            await withCheckedContinuation { waiters.append(Waiter(slots: slots, continuation: $0)) }
            // `leave` handed the slots over. A pause that began meanwhile still holds us back.
            if let until = pausedUntil, until > .now, !Task.isCancelled {
                leave(slots: slots)
                continue
            }
            return
        }
    }

    func leave(slots requested: Int = 1) {
        inFlight -= min(max(1, requested), limit)
        while let first = waiters.first, inFlight + first.slots <= limit {
            waiters.removeFirst()
            inFlight += first.slots
            first.continuation.resume()
        }
    }

    /// Holds every request to the mailbox back for `seconds`.
    func pause(for seconds: TimeInterval) {
        let until = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }

    var currentlyInFlight: Int { inFlight }
}

/// The HTTP client (and so the connection pool) requests go through. After a 503 the front end
/// that answered may be unhealthy, and a pooled keep-alive connection would take the retry
/// straight back to it: `renew(after:)` makes later requests use a fresh client, whose first
/// request opens a new connection (which the load balancer may route elsewhere). The old
/// client is shut down once the requests still running on it have finished, never under them.
///
/// AsyncHTTPClient has no call to evict one connection from its pool, and `Connection: close`
/// only closes a connection after the request that carries it, so a whole client is replaced.
final class HTTPClientRenewal: Sendable {
    /// A client lent to one request; give it back with `release`.
    struct Lease: Sendable {
        let client: HTTPClient
        let generation: Int
    }

    private struct Generation {
        var client: HTTPClient
        var number: Int
        var inFlight: Int
    }

    private struct State {
        var current: Generation
        /// Replaced clients with requests still running on them.
        var retired: [Generation] = []
    }

    private let state: Mutex<State>
    private let makeClient: @Sendable () -> HTTPClient

    init(makeClient: @escaping @Sendable () -> HTTPClient) {
        self.makeClient = makeClient
        state = Mutex(State(current: Generation(client: makeClient(), number: 0, inFlight: 0)))
    }

    deinit {
        // No request can be running (each holds the owner), so nothing is cut short.
        let clients = state.withLock { [$0.current.client] + $0.retired.map(\.client) }
        for client in clients { Self.shutDown(client) }
    }

    func lease() -> Lease {
        state.withLock { state in
            state.current.inFlight += 1
            return Lease(client: state.current.client, generation: state.current.number)
        }
    }

    func release(_ lease: Lease) {
        let drained: HTTPClient? = state.withLock { state in
            if state.current.number == lease.generation {
                state.current.inFlight -= 1
                return nil
            }
            guard let index = state.retired.firstIndex(where: { $0.number == lease.generation }) else { return nil }
            state.retired[index].inFlight -= 1
            guard state.retired[index].inFlight == 0 else { return nil }
            return state.retired.remove(at: index).client
        }
        if let drained { Self.shutDown(drained) }
    }

    /// The client of `lease` got a 503: later requests get a fresh client. Several requests on
    /// the same client failing together renew it once.
    func renew(after lease: Lease) {
        let fresh = makeClient()
        let unused: HTTPClient? = state.withLock { state in
            guard state.current.number == lease.generation else { return fresh }
            let old = state.current
            state.current = Generation(client: fresh, number: old.number + 1, inFlight: 0)
            // The caller still holds its lease on the old client, so it is never idle here.
            state.retired.append(old)
            return nil
        }
        if let unused { Self.shutDown(unused) }
    }

    /// How many times the client was replaced (for tests and logs).
    var generation: Int { state.withLock { $0.current.number } }

    private static func shutDown(_ client: HTTPClient) {
        client.shutdown(queue: .global()) { _ in }
    }
}

/// When to try a failed request again: `Retry-After` when the server gives one, otherwise
/// exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"), capped.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int = 6, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 60) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// How long a server's `Retry-After` is obeyed: fully up to five times `maxDelay`.
    func honoured(_ retryAfter: TimeInterval) -> TimeInterval { min(retryAfter, maxDelay * 5) }

    /// The delay before attempt `attempt + 1` (attempt counts from 1), or nil to give up.
    /// `idempotent`: repeating the request is harmless even if the first one took effect.
    func delay(after error: GraphError, attempt: Int, idempotent: Bool,
               random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        switch error {
        case .service(let status, _, _, _, let retryAfter) where status == 429 || status == 503 || (status == 504 && idempotent):
            // 429 and 503 say the request was not carried out. A gateway timeout (504) says
            // nothing of the sort: the mailbox may have done it, so only a harmless request is
            // repeated blindly (a send is checked by the outbox first).
            if let retryAfter { return honoured(retryAfter) }
            return backoff(attempt, random: random)
        case .transport where idempotent, .invalidResponse where idempotent:
            // A dropped connection or a truncated body: safe to repeat a GET, never a send.
            return backoff(attempt, random: random)
        default:
            return nil
        }
    }

    private func backoff(_ attempt: Int, random: (ClosedRange<Double>) -> Double) -> TimeInterval {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return random(0...ceiling)
    }
}
