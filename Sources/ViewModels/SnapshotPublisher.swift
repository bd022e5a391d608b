/// The one way a view model publishes: an AsyncStream that keeps only the newest snapshot, so a
/// slow screen skips stale frames instead of queueing them.
struct SnapshotPublisher<Snapshot: Sendable>: Sendable {
    let stream: AsyncStream<Snapshot>
    private let continuation: AsyncStream<Snapshot>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func publish(_ snapshot: Snapshot) {
        continuation.yield(snapshot)
    }

    func finish() {
        continuation.finish()
    }
}
