import ArgumentParser
import Foundation
import MailCore
import MailService

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sync the whole mailbox into the local cache without the full-screen interface.",
        discussion: """
            On a terminal a progress line shows folders, messages, bytes, rate and time left; \
            otherwise one plain line is printed per folder. Actions queued in the outbox are sent \
            first. The exit status is 0 when every action was sent and every folder synced, 1 with \
            a message on standard error otherwise.
            """
    )

    @OptionGroup var account: AccountOptions

    func run() async throws {
        let paths = Paths()
        _ = LogSetup.bootstrap(paths: paths)
        let service = try account.openService(paths: paths)
        let display = ProgressDisplay(interactive: isatty(STDOUT_FILENO) == 1)
        let reporter = Task {
            for await progress in service.progress { display.show(progress) }
        }
        do {
            // Actions queued while offline go out first, so the sync reads the result; a cache of
            // regular ids is migrated before them, so they go out under immutable ids.
            try await service.migrateMessageIDsIfNeeded()
            let refused = await service.replayPending()
            if service.pendingActionCount > 0 {
                throw SyncFailure(description: "\(service.pendingActionCount) actions could not be sent; they stay queued")
            }
            try await service.syncAll()
            // The reporter may not have shown the last progress yet: show it here, after the
            // reporter has stopped, so the last line always says where the round ended.
            reporter.cancel()
            await reporter.value
            display.show(await service.latestProgress)
            // Synced, but not all the user did happened: a failure, said as such.
            if let refused { throw SyncFailure(description: refused) }
        } catch {
            reporter.cancel()
            display.finish()
            FileHandle.standardError.write(Data("otter sync: \(TextSanitizer.oneLine(String(describing: error)))\n".utf8))
            throw ExitCode.failure
        }
        display.finish()
    }
}

struct SyncFailure: Error, CustomStringConvertible {
    var description: String
}

/// Renders `SyncProgress`: a redrawn line on a terminal, one line per finished folder otherwise.
final class ProgressDisplay: @unchecked Sendable {
    // @unchecked: `show` and `finish` are called from one task at a time; the lock guards the rest.
    private let interactive: Bool
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var lastFoldersDone = -1
    private var lastLine = ""

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ progress: SyncProgress) {
        lock.lock()
        defer { lock.unlock() }
        let line = Self.describe(progress, elapsed: ContinuousClock.now - started)
        lastLine = line
        if interactive {
            FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
        } else if progress.foldersDone != lastFoldersDone {
            lastFoldersDone = progress.foldersDone
            FileHandle.standardOutput.write(Data("\(line)\n".utf8))
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if interactive && !lastLine.isEmpty { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    static func describe(_ p: SyncProgress, elapsed: Duration) -> String {
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        let rate = Double(p.messages) / seconds
        var parts = ["folders \(p.foldersDone)/\(p.foldersTotal)", "messages \(p.messages)", bytes(p.bytes),
                     "\(Int(rate.rounded()))/s"]
        if p.expectedMessages > p.messages, rate > 0 {
            let left = Double(p.expectedMessages - p.messages) / rate
            parts.append("ETA \(Int(left.rounded()))s")
            let fraction = Double(p.messages) / Double(p.expectedMessages)
            let filled = Int((fraction * 20).rounded(.down))
            parts.insert("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "]", at: 0)
        }
        return parts.joined(separator: "  ")
    }

    static func bytes(_ n: Int) -> String {
        switch n {
        case ..<1024: "\(n) B"
        case ..<(1024 * 1024): String(format: "%.1f KiB", Double(n) / 1024)
        default: String(format: "%.1f MiB", Double(n) / 1_048_576)
        }
    }
}
