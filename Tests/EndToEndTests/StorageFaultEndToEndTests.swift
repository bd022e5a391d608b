import Foundation
import GraphEmulator
import MailCore
import Testing
import TestSupport

/// The real binary on a cache that cannot be written: a full disk and a read-only file system
/// (a tmpfs of the test's own, so ENOSPC and EROFS are the kernel's), and a cache file an
/// ordinary user may not write (mode 0444, run as `nobody`). `otter sync` fails with a clear
/// message; `otter` stays up, reads the cache, says what is wrong, and actions still reach the
/// server. Mounting and switching users need root, as these tests have here.
@Suite(.serialized, .enabled(if: ScratchFileSystem.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                            "needs mount and setpriv (root)"))
struct StorageFaultEndToEndTests {
    static let token = "storage-token"

    struct Setup {
        let mailbox: Mailbox
        let server: GraphEmulatorServer
        let environment: [String: String]
        let account: [String]
        var tui: [String] { account + ["--poll-interval", "5", "--active-poll-interval", "2"] }
        let newest: EmulatedMessage
        let subjects: [String]
    }

    /// An emulator in this process, XDG folders (the cache's in `cacheHome`), and the Inbox's
    /// newest Focused messages as the list shows them.
    func setUp(cacheHome: URL) async throws -> Setup {
        let mailbox = Mailbox(messageCount: 150, seed: 29)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Self.token])
        let base = try await server.start()
        var environment = try DemoEndToEndTests.environment()
        environment["XDG_CACHE_HOME"] = cacheHome.path
        let account = ["--account", "box", "--graph-url", base.absoluteString + "/v1.0",
                       "--access-token-command", "printf \(Self.token)"]
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let focused = snapshot.messages(inFolder: inbox.id).filter { $0.inferenceClassification == .focused }
        try #require(focused[0].flag.status == .notFlagged, "the tests flag the newest message")
        return Setup(mailbox: mailbox, server: server, environment: environment, account: account, newest: focused[0],
                     subjects: focused.prefix(3).map { DemoEndToEndTests.visiblePrefix($0.subject) })
    }

    func startTUI(_ setup: Setup) async throws -> PTYProcess {
        let otter = try PTYProcess(executable: try otterExecutableURL().path, arguments: setup.tui,
                                   environment: setup.environment, width: 100, height: 30)
        try await otter.waitFor(timeout: .seconds(60), description: "the Inbox list from the cache") { screen in
            screen.contains("Focused  Other") && setup.subjects.allSatisfy(screen.contains)
                && screen.lines[29].contains("Inbox · Focused  1 of")
        }
        return otter
    }

    /// Flags the newest message (selected first) and waits until the server has it.
    func flagNewestAndExpectItOnTheServer(_ otter: PTYProcess, _ setup: Setup) async throws {
        try otter.send("s")
        let deadline = ContinuousClock.now + .seconds(30)
        while try await setup.mailbox.message(id: setup.newest.id).flag.status != .flagged, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await setup.mailbox.message(id: setup.newest.id).flag.status == .flagged,
                "the flag reached the server although the cache could not be written")
    }

    @Test func aFullDiskKeepsTheAppUpAndActionsGoOutUntilThereIsRoomAgain() async throws {
        let fs = try ScratchFileSystem(kilobytes: 8192)
        defer { fs.remove() }
        let setup = try await setUp(cacheHome: fs.url)
        defer { Task { await setup.server.stop() } }
        let first = try await HeadlessSyncEndToEndTests.run(["sync"] + setup.account, environment: setup.environment)
        try #require(first.status == 0, "otter sync: \(first.err)")

        // Something else fills the disk; new mail arrives meanwhile.
        let filler = fs.url.appendingPathComponent("filler")
        fs.fill(filler)
        _ = try await setup.mailbox.deliver(NewMessage(subject: "Arrived while the disk was full",
                                                       from: .init(name: "Dana", address: "dana@contoso.com"),
                                                       body: .init(contentType: .text, content: "hi")))
        let full = try await HeadlessSyncEndToEndTests.run(["sync"] + setup.account, environment: setup.environment)
        #expect(full.status == 1)
        #expect(full.err.hasPrefix("otter sync: the disk holding the mail cache is full") && full.err.contains("Free some space"))

        let otter = try await startTUI(setup)
        defer { otter.terminate() }
        try await flagNewestAndExpectItOnTheServer(otter, setup)
        try await otter.waitFor(timeout: .seconds(60), description: "the status line saying the disk is full") { screen in
            screen.lines[29].contains("disk full: new mail not saved")
        }

        // Room again: the next poll catches up by itself, the flag and the new mail included.
        try FileManager.default.removeItem(at: filler)
        let newSubject = DemoEndToEndTests.visiblePrefix("Arrived while the disk was full")
        try await otter.waitFor(timeout: .seconds(60), description: "the new mail, the flag and a synced status line") { screen in
            screen.contains(newSubject) && screen.lines.contains { $0.contains(setup.subjects[0]) && $0.contains("⚑") }
                && screen.lines[29].contains("synced")
        }
        try otter.send("q")
        #expect(try await otter.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test func aReadOnlyFileSystemOpensTheCacheForReadingAndSyncSaysWhy() async throws {
        let fs = try ScratchFileSystem(kilobytes: 8192)
        defer { fs.remove() }
        let setup = try await setUp(cacheHome: fs.url)
        defer { Task { await setup.server.stop() } }
        let first = try await HeadlessSyncEndToEndTests.run(["sync"] + setup.account, environment: setup.environment)
        try #require(first.status == 0, "otter sync: \(first.err)")
        try fs.remountReadOnly()

        let refused = try await HeadlessSyncEndToEndTests.run(["sync"] + setup.account, environment: setup.environment)
        #expect(refused.status == 1)
        #expect(refused.err.hasPrefix("otter sync: the mail cache cannot be written") && refused.err.contains("writable"))

        let otter = try await startTUI(setup)
        defer { otter.terminate() }
        try await flagNewestAndExpectItOnTheServer(otter, setup)
        try await otter.waitFor(timeout: .seconds(60), description: "the status line saying the cache is read-only") { screen in
            screen.lines[29].contains("cache read-only: new mail not saved")
        }
        // Reading goes on: the second message opens with its header from the cache.
        try otter.send("j")
        try await otter.waitFor(description: "the second message selected") { $0.lines[29].contains("2 of") }
        try otter.send("q")
        #expect(try await otter.waitForExit(timeout: .seconds(20)) == 0)
    }

    /// SQLite opens a 0444 file for reading only when an ordinary user may not write it, and
    /// leaves -wal and -shm files with that mode behind. Made writable again, the cache must
    /// work again: Otter gives those files back the cache file's permissions.
    @Test func aCacheFileMadeReadOnlyAndWritableAgainWorksForAnOrdinaryUser() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("otter-e2e-nobody-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        for folder in ["cache", "state", "config"] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let setup = try await setUp(cacheHome: home.appendingPathComponent("cache"))
        defer { Task { await setup.server.stop() } }
        var environment = setup.environment
        environment["HOME"] = home.path
        environment["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
        try Self.giveToNobody(home)
        let cacheFile = home.appendingPathComponent("cache/otter/box/cache.sqlite").path

        let first = try await Self.runAsNobody(["sync"] + setup.account, environment: environment)
        try #require(first.status == 0, "otter sync as nobody: \(first.err)")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: cacheFile)
        let refused = try await Self.runAsNobody(["sync"] + setup.account, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.err.hasPrefix("otter sync: the mail cache cannot be written"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: cacheFile)
        let again = try await Self.runAsNobody(["sync"] + setup.account, environment: environment)
        #expect(again.status == 0, "otter sync after the file was made writable: \(again.err)")
    }

    static func giveToNobody(_ folder: URL) throws {
        let files = FileManager.default
        let all = [folder.path] + (files.subpaths(atPath: folder.path) ?? []).map { folder.appendingPathComponent($0).path }
        for path in all { try files.setAttributes([.ownerAccountID: 65534, .groupOwnerAccountID: 65534], ofItemAtPath: path) }
    }

    /// `otter ARGUMENTS` as the unprivileged user `nobody`.
    static func runAsNobody(_ arguments: [String], environment: [String: String]) async throws
        -> HeadlessSyncEndToEndTests.Outcome {
        try await HeadlessSyncEndToEndTests.run(arguments, environment: environment,
                                                launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    }
}
