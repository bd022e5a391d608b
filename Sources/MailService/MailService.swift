import Foundation
import GraphAPI
import Logging
import MailCache
import MailCore

/// The cached Graph service: keeps the cache current by delta sync and fetches bodies on
/// demand. It is the only layer that sees both Graph and the cache; everything above reads
/// the cache through it and never waits on the network to draw.
public actor MailService {
    public nonisolated let cache: MailCache
    /// The outbox of user actions (see Outbox.swift).
    nonisolated let actions: ActionStore
    let graph: GraphClient
    let logger: Logger
    private let activityContinuation: AsyncStream<SyncActivity>.Continuation
    /// The sync engine's state, for the status line. Only the newest value matters.
    public nonisolated let activity: AsyncStream<SyncActivity>
    private var inFlightBodies: [MessageID: Task<MessageContent, Error>] = [:]
    private var priorityFolders: [FolderID] = []
    private var lastSync: Date?
    private let progressContinuation: AsyncStream<SyncProgress>.Continuation
    /// How far the running round is, for `otter sync`. Only the newest value matters.
    public nonisolated let progress: AsyncStream<SyncProgress>
    private var round = SyncProgress()
    private var roundRunning = false
    private var rerunRequested = false
    private var activeFolder: FolderID?
    /// The running id migration (IDMigration.swift): later callers wait for it.
    var idMigrationTask: Task<Void, Error>?
    /// The running replay; its value says what the server refused during it, if anything.
    var replayTask: Task<String?, Never>?
    let actionFailureContinuation: AsyncStream<String>.Continuation
    /// Actions the server refused for good (undone on screen), one line per replay. A stream of
    /// its own, buffered: on `activity`, which keeps only the newest value, the next "syncing…"
    /// would hide a refusal before anyone saw it.
    public nonisolated let actionFailures: AsyncStream<String>
    /// The actions being sent right now: a new action never coalesces with them.
    var sendingActions: Set<Int64> = []

    /// `actions` is the durable outbox under `$XDG_STATE_HOME`; nil keeps actions in memory
    /// (tests, and the demo, whose mailbox lives only as long as the process).
    /// Envelopes per delta page (`Prefer: odata.maxpagesize`); Graph's maximum is 1,000.
    private let deltaPageSize: Int

    public init(graph: GraphClient, cache: MailCache, actions: ActionStore? = nil, deltaPageSize: Int = 1000,
                logger: Logger = Logger(label: "otter.service")) throws {
        self.graph = graph
        self.deltaPageSize = deltaPageSize
        self.cache = cache
        self.actions = try actions ?? ActionStore.inMemory()
        self.logger = logger
        if let reason = cache.walUnavailableReason {
            logger.notice("WAL is unavailable for the cache, so it uses a rollback journal (reads wait while sync writes): \(reason)")
        }
        (activity, activityContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (progress, progressContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (actionFailures, actionFailureContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
        let (retries, continuation) = (graph.retries, activityContinuation)
        Task {
            for await event in retries {
                continuation.yield(.retrying(throttled: event.throttled, seconds: max(1, Int(event.delay.rounded(.up)))))
            }
        }
    }

    // MARK: Sync

    /// One sync round over the whole mailbox: the folder hierarchy, then every folder's
    /// messages, the Inbox and any folder the user is looking at first. A call while a round
    /// runs (a refresh key, the poll timer) does not start a second one beside it: the running
    /// round goes once more when it ends.
    public func syncAll() async throws {
        guard !roundRunning else {
            rerunRequested = true
            return
        }
        roundRunning = true
        defer { roundRunning = false }
        repeat {
            rerunRequested = false
            try await syncRound()
        } while rerunRequested
    }

    private func syncRound() async throws {
        do {
            try await migrateMessageIDsIfNeeded()   // a cache of regular ids first (IDMigration.swift)
            await learnMailboxAddress()              // for the status line (MailboxIdentity.swift)
            try await syncFolders()
            var remaining = try orderedFoldersForSync()
            round = SyncProgress(foldersTotal: remaining.count, expectedMessages: try expectedMessages(remaining))
            publishProgress()
            var failure: Error?
            while !remaining.isEmpty {
                // Checked before each folder, so a folder the user opens mid-round goes next.
                let next = priorityFolders.first(where: remaining.contains) ?? remaining[0]
                remaining.removeAll { $0 == next }
                priorityFolders.removeAll { $0 == next }
                do {
                    try await syncMessages(in: next)
                    round.foldersDone += 1
                    publishProgress()
                } catch let error as GraphError where error.status.map({ $0 >= 400 && $0 < 500 && $0 != 401 && $0 != 429 }) ?? false {
                    // One folder the server refuses must not keep the others from syncing.
                    logger.warning("sync of a folder failed: \(error)")
                    failure = error
                }
            }
            if let failure { throw failure }
            // Every folder has been seen: what was removed and not moved elsewhere is gone.
            try cache.purgeOrphans()
            lastSync = Date()
            report(.idle(lastSync: lastSync))
        } catch {
            report(Self.activity(for: error, pending: pendingActionCount))
            throw error
        }
    }

    /// Asks the running round to take this folder next (the folder on screen).
    public func prioritize(_ folderID: FolderID) {
        priorityFolders.removeAll { $0 == folderID }
        priorityFolders.insert(folderID, at: 0)
    }

    /// The folder hierarchy by folder delta, continuing an interrupted round from its nextLink.
    public func syncFolders() async throws {
        report(.syncingFolders)
        var link = try cache.cursor(scope: SyncCursor.folderScope)?.link
        while true {
            let page = try await graph.folderDelta(link: link)
            let upserts = page.value.compactMap(GraphMapping.folder)
            let removed = page.value.filter { $0.removed != nil }.compactMap { $0.id.map(FolderID.init) }
            let next = page.nextLink ?? page.deltaLink
            let cursor = next.map { SyncCursor(link: $0, roundComplete: page.nextLink == nil) }
            try cache.applyFolderPage(upserts: upserts, removed: removed, cursor: cursor)
            guard let nextLink = page.nextLink else { break }
            link = nextLink
        }
        try await resolveWellKnownFolders()
    }

    /// Graph v1.0 folders do not say which well-known folder they are; ask once per name.
    private func resolveWellKnownFolders() async throws {
        for wellKnown in WellKnownFolder.allCases where try cache.folder(wellKnown: wellKnown) == nil {
            do {
                let folder = try await graph.mailFolder(wellKnown.rawValue)
                if let id = folder.id { try cache.setWellKnown(wellKnown, folderID: FolderID(id)) }
            } catch let error as GraphError where error.isNotFound {
                continue   // not every mailbox has every well-known folder (Archive, Outbox)
            }
        }
    }

    /// One folder's message delta: a complete round from the stored deltaLink (or from scratch),
    /// continuing an interrupted round from its nextLink. A reset by the server restarts the
    /// round for this folder only.
    public func syncMessages(in folderID: FolderID) async throws {
        let name = (try? cache.folders().first { $0.id == folderID }?.displayName) ?? folderID.rawValue
        var link = try cache.cursor(scope: SyncCursor.messageScope(folderID))?.link
        var seen = 0
        // A round from scratch (first sync, or after the server reset the delta) lists every
        // message still there and never says which are gone: what it does not list is pruned
        // from the cache at its end (locally only; nothing is ever deleted on the server).
        var listed: Set<MessageID>? = link == nil ? [] : nil
        report(.syncingMessages(folder: TextSanitizer.oneLine(name), messages: 0))
        let (graph, pageSize) = (self.graph, deltaPageSize)
        let fetch = { @Sendable (link: String?) in
            try await graph.messageDelta(folderID: folderID.rawValue, link: link, select: GraphMapping.envelopeSelect,
                                         maxPageSize: pageSize)
        }
        // The next page is asked for while this one is written: the server's work and ours
        // overlap (an initial sync takes about a third less time). Only a GET, so nothing to
        // undo if the write fails; it is cancelled then.
        var ahead: Task<GraphPage<GraphMessage>, Error>?
        defer { ahead?.cancel() }
        while true {
            let page: GraphPage<GraphMessage>
            do {
                let fetched = ahead
                ahead = nil
                if let fetched { page = try await fetched.value } else { page = try await fetch(link) }
            } catch let error as GraphError where error.requiresDeltaReset && link != nil {
                logger.notice("delta token for a folder expired; resyncing that folder")
                link = nil
                listed = []
                continue
            }
            let changes = page.value.compactMap(GraphMapping.envelope)
            let removed = page.value.filter { $0.removed != nil }.compactMap { $0.id.map(MessageID.init) }
            let next = page.nextLink ?? page.deltaLink
            let cursor = next.map { SyncCursor(link: $0, roundComplete: page.nextLink == nil) }
            if let nextLink = page.nextLink { ahead = Task { try await fetch(nextLink) } }
            try cache.applyMessagePage(folderID: folderID, changes: changes, removed: removed, cursor: cursor)
            try reapplyPending(to: Set(changes.map(\.id)))
            listed?.formUnion(changes.map(\.id))
            seen += page.value.count
            round.messages += page.value.count
            publishProgress()
            report(.syncingMessages(folder: TextSanitizer.oneLine(name), messages: seen))
            guard let nextLink = page.nextLink else { break }
            link = nextLink
        }
        if let listed {
            let keep = listed.union(try actions.pending().map(\.messageID))
            let pruned = try cache.prune(folderID, keeping: keep)
            if pruned > 0 { logger.notice("a full resync of a folder removed \(pruned) messages the server no longer has") }
        }
    }

    private func orderedFoldersForSync() throws -> [FolderID] {
        let folders = try cache.folders()
        let rank: (Folder) -> Int = { $0.wellKnown?.sortRank ?? WellKnownFolder.allCases.count }
        return folders.sorted { (rank($0), $0.displayName) < (rank($1), $1.displayName) }.map(\.id)
    }

    /// A network failure is "offline" (the app works from the cache); anything else is a failure.
    static func activity(for error: Error, pending: Int) -> SyncActivity {
        if case .transport = error as? GraphError { return .offline(pending: pending) }
        if let unwritable = cacheUnwritable(error, pending: pending) { return unwritable }
        return .failed(message: TextSanitizer.oneLine(String(describing: error)))
    }

    /// A cache that cannot be written (disk full, read-only) does not stop the app: it reads on
    /// from the cache and actions still go out; the status line says what is missing.
    static func cacheUnwritable(_ error: Error, pending: Int) -> SyncActivity? {
        (error as? MailCacheError)?.cacheProblem.map { .cacheUnwritable($0, pending: pending) }
    }

    func report(_ activity: SyncActivity) {
        activityContinuation.yield(activity)
    }

    /// The current (or last) round's progress, as last published.
    public var latestProgress: SyncProgress { round }

    private func publishProgress() {
        round.bytes = graph.traffic.bytes
        round.requests = graph.traffic.requests
        progressContinuation.yield(round)
    }

    /// Envelopes a round will fetch, as far as anyone can know before it: the folders' totals
    /// for folders never synced; an incremental round's size is unknown (0).
    private func expectedMessages(_ folders: [FolderID]) throws -> Int {
        let all = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id, $0) })
        return try folders.reduce(0) { sum, id in
            let synced = try cache.cursor(scope: SyncCursor.messageScope(id))?.roundComplete == true
            return sum + (synced ? 0 : all[id]?.totalCount ?? 0)
        }
    }

    // MARK: Polling

    /// Keeps the cache current without a keypress: a full round every `interval`, and the
    /// folder on screen every `activeInterval` in between (new mail there matters most).
    /// Failures are shown in the status line and retried at the next tick; cancel the task to stop.
    public func poll(every interval: Duration, activeFolderEvery activeInterval: Duration) async {
        let clock = ContinuousClock()
        var lastFull = clock.now
        try? await migrateMessageIDsIfNeeded()   // before the replay, so actions use the new ids; a failure is retried by the round
        await replayPending()
        do { try await syncAll() } catch { logger.warning("sync failed: \(error)") }
        while !Task.isCancelled {
            do { try await Task.sleep(for: min(activeInterval, interval)) } catch { return }
            // Actions left pending by an outage go out before the next sync reads the server.
            await replayPending()
            do {
                if clock.now - lastFull >= interval {
                    lastFull = clock.now
                    try await syncAll()
                } else if let folder = activeFolder, !roundRunning {
                    // A migration that failed at start (offline) must finish before any delta
                    // writes immutable ids beside the regular ones; once done it is one read.
                    try await migrateMessageIDsIfNeeded()
                    try await syncMessages(in: folder)
                    report(.idle(lastSync: Date()))
                }
            } catch {
                logger.warning("sync failed: \(error)")
                report(Self.activity(for: error, pending: pendingActionCount))
            }
        }
    }

    /// The folder on screen: synced first in a round and between rounds.
    public func setActiveFolder(_ folderID: FolderID) {
        activeFolder = folderID
        prioritize(folderID)
    }

    // MARK: Bodies

    /// The body, recipients and attachment list of a message: from the cache, else fetched once
    /// as text (concurrent requests for the same message share one fetch) and cached. The body
    /// and the attachment list are two requests sent side by side, so the wait is one round trip.
    public func content(for id: MessageID) async throws -> MessageContent {
        let cached = try cache.content(for: id)
        if let cached, cached.attachments != nil { return cached }
        if let running = inFlightBodies[id] { return try await running.value }
        let graph = self.graph
        let cache = self.cache
        let (actions, status) = (self.actions, activityContinuation)
        let task = Task<MessageContent, Error> {
            async let attachments = graph.attachments(messageID: id.rawValue)
            var content: MessageContent
            if let cached {
                content = cached   // a body cached before attachment lists were: only the list is missing
            } else {
                let message = try await graph.message(id: id.rawValue, select: GraphMapping.contentSelect, bodyFormat: .text)
                content = GraphMapping.content(message, id: id)
            }
            content.attachments = try await attachments.compactMap(GraphMapping.attachment)
            // A full or read-only cache stops the body being kept, not being read.
            do { try cache.storeContent(content) } catch {
                guard let unwritable = Self.cacheUnwritable(error, pending: (try? actions.count) ?? 0) else { throw error }
                status.yield(unwritable)
            }
            return content
        }
        inFlightBodies[id] = task
        defer { inFlightBodies[id] = nil }
        return try await task.value
    }

    /// Fetches bodies ahead of the reader (the next few messages), ignoring failures: the
    /// reader fetches again on demand and shows the error then.
    public func prefetch(_ ids: [MessageID]) async {
        for id in ids where (try? cache.content(for: id))??.attachments == nil {
            _ = try? await content(for: id)
        }
    }
}

// MARK: Reading the cache

/// What the view models read. They see values only; the cache and its observations stay
/// behind the service.
extension MailService {
    public nonisolated func folders() throws -> [Folder] { try cache.folders() }
    public nonisolated func observeFolders() -> AsyncStream<[Folder]> { cache.observeFolders() }
    public nonisolated func window(_ query: MessageQuery, from anchor: MessageSortKey?, limit: Int) throws -> MessageWindow {
        try cache.window(query, from: anchor, limit: limit)
    }
    public nonisolated func observeWindow(_ query: MessageQuery, from anchor: MessageSortKey?, limit: Int) -> AsyncStream<MessageWindow> {
        cache.observeWindow(query, from: anchor, limit: limit)
    }
    public nonisolated func rows(_ query: MessageQuery, before key: MessageSortKey, limit: Int) throws -> [MessageSummary] {
        try cache.rows(query, before: key, limit: limit)
    }
    public nonisolated func key(_ query: MessageQuery, atOffset offset: Int) throws -> MessageSortKey? {
        try cache.key(query, atOffset: offset)
    }
    public nonisolated func messageIDs(_ query: MessageQuery, isRead: Bool? = nil) throws -> [MessageID] {
        try cache.messageIDs(query, isRead: isRead)
    }
}

extension MailService {
    public nonisolated func message(_ id: MessageID) throws -> MessageSummary? { try cache.message(id) }
}
