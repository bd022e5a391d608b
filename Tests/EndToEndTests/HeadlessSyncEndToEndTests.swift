import Foundation
import GraphEmulator
import MailCache
import MailCore
import Testing

/// `otter sync` and `otter` pointed at a separately running `otter emulator`, as a user would
/// point them at any Graph-compatible server.
@Suite(.serialized) struct HeadlessSyncEndToEndTests {
    typealias Outcome = (status: Int32, out: String, err: String, reason: Process.TerminationReason)

    /// Runs `otter` with pipes (not a terminal) and returns its exit status and output;
    /// `launcher` is a command that runs it, such as `setpriv` to run it as another user. The
    /// blocking reads and wait happen on a thread of their own: on the two threads of Swift's
    /// cooperative pool they would starve every other test (and the emulators they talk to).
    static func run(_ arguments: [String], environment: [String: String], launcher: [String] = []) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(arguments, environment: environment, launcher: launcher) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], launcher: [String]) throws -> Outcome {
        let process = Process()
        let otter = try otterExecutableURL()
        if let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = launcher.dropFirst() + [otter.path] + arguments
        } else {
            process.executableURL = otter
            process.arguments = arguments
        }
        process.environment = PTYProcess.baseEnvironment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self),
                process.terminationReason)
    }

    /// Starts `otter emulator` and returns it with its base URL (read from its first line).
    static func startEmulator(token: String, messages: Int) throws -> (PTYProcess, String) {
        let emulator = try PTYProcess(executable: try otterExecutableURL().path,
                                      arguments: ["emulator", "--token", token, "--messages", "\(messages)", "--seed", "5"],
                                      environment: try DemoEndToEndTests.environment(), width: 120, height: 10)
        try emulator.waitFor(timeout: .seconds(60), description: "the emulator's listening line") {
            $0.lines.contains { $0.hasPrefix("listening on http://127.0.0.1:") }
        }
        let line = emulator.screen.lines.first { $0.hasPrefix("listening on ") }!
        return (emulator, String(line.dropFirst("listening on ".count)).trimmingCharacters(in: .whitespaces))
    }

    @Test func syncThenASecondInstanceIsRefusedPolitely() async throws {
        let (emulator, url) = try Self.startEmulator(token: "tok-123", messages: 300)
        defer { emulator.terminate() }
        let env = try DemoEndToEndTests.environment()
        let options = ["--account", "work", "--graph-url", url + "/v1.0", "--access-token-command", "printf 'tok-123\\n'"]

        let first = try await Self.run(["sync"] + options, environment: env)
        #expect(first.status == 0, "\(first.err)")
        // Not a terminal: plain lines, one per finished folder, ending with every folder done.
        let lines = first.out.split(separator: "\n")
        let last = try #require(lines.last)
        #expect(last.hasPrefix("folders ") && !first.out.contains("\u{1B}"))
        let counts = last.split(separator: " ")[1].split(separator: "/")
        #expect(counts.count == 2 && counts[0] == counts[1])
        #expect(FileManager.default.fileExists(atPath: env["XDG_CACHE_HOME"]! + "/otter/work/cache.sqlite"))

        // The TUI on the same account holds the cache; a second process says so and exits.
        let tui = try PTYProcess(executable: try otterExecutableURL().path, arguments: options, environment: env,
                                 width: 100, height: 30)
        defer { tui.terminate() }
        try await tui.waitFor(timeout: .seconds(60), description: "the TUI on the synced cache") {
            $0.contains("Focused  Other") && $0.lines[29].contains("1 of")
        }
        let second = try await Self.run(["sync"] + options, environment: env)
        #expect(second.status == 1)
        #expect(second.err.contains("another otter is already using this mailbox"))
        try tui.send("q")
        #expect(try await tui.waitForExit(timeout: .seconds(20)) == 0)
    }

    /// An action the server refuses for good is undone and said: `otter sync` syncs the rest
    /// and exits 1 with the reason, and nothing stays queued.
    @Test func aRefusedActionMakesSyncSayItAndFail() async throws {
        let mailbox = Mailbox(messageCount: 120, seed: 31)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: ["refuse-token"])
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let env = try DemoEndToEndTests.environment()
        let options = ["--account", "r", "--graph-url", url.absoluteString + "/v1.0", "--access-token-command", "printf refuse-token"]
        let first = try await Self.run(["sync"] + options, environment: env)
        try #require(first.status == 0, "\(first.err)")

        // Marked read while offline (outbox first, then the cache, as the TUI does); meanwhile
        // another client deletes the message for good.
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let message = try #require(snapshot.messages(inFolder: inbox.id).first { !$0.isRead })
        let id = MessageID(message.immutableID)
        let outboxURL = URL(fileURLWithPath: env["XDG_STATE_HOME"]! + "/otter/r/pending.sqlite")
        do {
            let cache = try MailCache.open(at: URL(fileURLWithPath: env["XDG_CACHE_HOME"]! + "/otter/r/cache.sqlite"))
            try queueOffline(.markRead(true), on: [id], cache: cache, outbox: try ActionStore.open(at: outboxURL))
        }
        try await mailbox.permanentlyDelete(id: message.id)

        let refused = try await Self.run(["sync"] + options, environment: env)
        #expect(refused.status == 1)
        #expect(refused.err.hasPrefix("otter sync: marking as read failed and was undone"), "\(refused.err)")
        let counts = try #require(refused.out.split(separator: "\n").last).split(separator: " ")[1].split(separator: "/")
        #expect(counts.count == 2 && counts[0] == counts[1])      // the rest synced all the same
        #expect(try ActionStore.open(at: outboxURL).count == 0)
    }

    @Test func aFailingTokenCommandIsAClearError() async throws {
        let (emulator, url) = try Self.startEmulator(token: "right", messages: 20)
        defer { emulator.terminate() }
        let env = try DemoEndToEndTests.environment()
        let failing = try await Self.run(["sync", "--graph-url", url + "/v1.0", "--access-token-command", "exit 3"], environment: env)
        #expect(failing.status == 1)
        #expect(failing.err.contains("sign-in failed") && failing.err.contains("exit status 3"))
        let wrong = try await Self.run(["sync", "--graph-url", url + "/v1.0", "--access-token-command", "echo wrong"], environment: env)
        #expect(wrong.status == 1)
        #expect(wrong.err.contains("401") && wrong.err.contains("InvalidAuthenticationToken"))
        let none = try await Self.run(["sync"], environment: env)
        #expect(none.status != 0 && none.err.contains("otter demo"))
    }
}
