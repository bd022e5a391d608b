import Foundation
import MailCache
import MailCore
import Testing

/// Crash runs of `otter sync` the mbsync way, shared by the crash-safety tests: a run killed
/// with SIGKILL at one crash point (`CrashPoint`), then runs until one finishes.
enum CrashRuns {
    /// `otter sync ARGUMENTS`, killed at crash point `point` (nil: not at all). Returns whether
    /// the kill happened; a run past the last crash point must have succeeded.
    static func sync(killedAt point: Int?, _ arguments: [String], environment: [String: String]) async throws -> Bool {
        var crashEnvironment = environment
        if let point { crashEnvironment["OTTER_CRASH_AFTER"] = String(point) }
        let run = try await HeadlessSyncEndToEndTests.run(["sync"] + arguments, environment: crashEnvironment)
        let crashed = run.status == SIGKILL && run.reason == .uncaughtSignal
        if !crashed { try #require(run.status == 0, "sync: \(run.err)") }
        return crashed
    }

    /// Runs `otter sync ARGUMENTS` again, up to three times, until it succeeds.
    static func recover(_ arguments: [String], environment: [String: String], afterPoint point: Int?) async throws {
        var recovered = false
        for _ in 0..<3 where !recovered {
            recovered = try await HeadlessSyncEndToEndTests.run(["sync"] + arguments, environment: environment).status == 0
        }
        try #require(recovered, "otter sync did not recover after a crash at point \(point ?? 0)")
    }
}

/// Records `action` on messages as the TUI does while offline, as `MailService.perform` does:
/// durable in the outbox first, then applied to the cache, one transaction each.
func queueOffline(_ action: TriageAction, on ids: [MessageID], cache: MailCache, outbox: ActionStore) throws {
    let current = try cache.messages(ids)
    let new = try ids.map { id in NewAction(action, on: id, undo: action.inverse(restoring: try #require(current[id]))) }
    try outbox.append(new)
    try cache.applyLocally(new.map { ($0.action, $0.messageID) })
}
