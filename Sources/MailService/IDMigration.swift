import Foundation
import GraphAPI
import Logging
import MailCache
import MailCore

/// Immutable ids everywhere (issue 4): a cache holding regular message ids — written by an
/// older Otter, or by a client without `Prefer: IdType="ImmutableId"` — is migrated with
/// `translateExchangeIds` before anything else syncs into it.
///
/// How it stays correct whenever it is interrupted (kill -9 included): the cache's rows are
/// taken in rowid order, 1,000 at a time (Graph's limit per request). Each chunk is translated,
/// then the outbox's actions on those messages get the new ids (one outbox transaction), then
/// the rows, their bodies and every table keyed by message id get them together with the
/// chunk's progress mark (one cache transaction). Both rewrites skip what is already done, so a
/// crash between them, or before either, only repeats the chunk. The cache says "regular"
/// until the last chunk is written; only then does it say "immutable".
///
/// What is deliberately kept: folder ids (the same under both kinds, GRAPH.md §1.4 and §4) and
/// so every delta cursor. Graph documents that "the @odata.nextLink and @odata.deltaLink values
/// returned by delta queries are compatible with both ID formats", and the emulator's tokens
/// carry no id kind: after the migration the same cursors bring later changes under immutable
/// ids, which now match the rows. Nothing is pruned, and nothing is listed again except a
/// folder where the cache held one message under both kinds of id (`foldersRestarted`).
extension MailService {
    /// Ids per `translateExchangeIds` request and per cache transaction.
    public static let idMigrationChunkSize = GraphClient.maxIDsPerTranslation

    /// Makes the cache's ids match what this client is served, once: a no-op when they do
    /// already (one read of the cache). Safe to call from several places at once: later callers
    /// wait for the running migration. Progress is reported as `SyncActivity.updatingMessageIDs`.
    public func migrateMessageIDsIfNeeded() async throws {
        if let running = idMigrationTask { return try await running.value }
        let task = Task { try await self.migrateMessageIDs() }
        idMigrationTask = task
        defer { idMigrationTask = nil }
        try await task.value
    }

    private func migrateMessageIDs() async throws {
        let recorded = try cache.messageIDKind()
        guard graph.configuration.immutableIDs else {
            // This client writes regular ids. After immutable ones (or a half-done migration),
            // every folder is listed afresh, so no message ends up cached under both ids.
            let inProgress = try cache.messageIDMigrationInProgress()
            if recorded != .regular || inProgress {
                try cache.recordMessageIDKind(.regular, restartingMessageDelta: recorded == .immutable || inProgress)
            }
            return
        }
        guard recorded != .immutable else { return }
        if recorded == nil, try !cache.holdsMessages(), try actions.count == 0 {
            // A new cache: every id it will hold comes from this client.
            try cache.finishMessageIDMigration()
            return
        }

        var (done, total) = try cache.messageIDMigrationProgress()
        logger.notice("message ids: translating \(total - done) cached ids to immutable ids")
        report(.updatingMessageIDs(done: done, total: total))
        var outcome = MessageIDRewrite()
        var gone = Set<MessageID>()
        while let chunk = try cache.messageIDsToMigrate(limit: Self.idMigrationChunkSize) {
            let translation = try await translateToImmutable(chunk.ids)
            // The outbox first: if the process dies before the cache transaction, the chunk
            // is read again from the cache under its old ids and the outbox is already done.
            try actions.rewriteMessageIDs(translation.renamed)
            let written = try cache.rewriteMessageIDs(translation.renamed, dropping: translation.gone, throughRow: chunk.throughRow)
            outcome.renamed += written.renamed
            outcome.dropped += written.dropped
            outcome.foldersRestarted += written.foldersRestarted
            gone.formUnion(translation.gone)
            done = min(total, done + chunk.ids.count)
            report(.updatingMessageIDs(done: done, total: total))
        }

        // Actions on messages the cache does not hold (a cache rebuilt after corruption while
        // the outbox kept its actions): their ids are translated too. An id the server cannot
        // translate (asked already if its row was just dropped) stays as it is: the replay
        // meets the refusal and says so.
        let pending = try actions.messageIDs()
        let uncached = pending.subtracting(try cache.existingMessageIDs(pending)).subtracting(gone)
        if !uncached.isEmpty {
            try actions.rewriteMessageIDs(try await translateToImmutable(Array(uncached)).renamed)
        }
        try cache.finishMessageIDMigration()
        logger.notice("""
            message ids: immutable now; \(outcome.renamed) renamed, \(outcome.dropped) no longer on the server removed \
            from the cache, \(outcome.foldersRestarted) folders to list again
            """)
    }

    struct IDTranslation {
        /// Old id → immutable id, for ids that change.
        var renamed: [MessageID: MessageID] = [:]
        /// Ids the server knows neither as regular nor as immutable ids: the message was
        /// deleted or moved (a regular id names a message in one folder) since it was cached.
        var gone: Set<MessageID> = []
    }

    /// Regular → immutable. An id the server does not know as a regular id may be immutable
    /// already (a cache without a record, written with the header, or one written by both
    /// kinds of client): asking for its regular form needs the message to exist, so success
    /// means "keep it", and only an id that fails both ways is gone.
    func translateToImmutable(_ ids: [MessageID]) async throws -> IDTranslation {
        var translation = IDTranslation()
        let answers = try await graph.translateExchangeIDs(ids.map(\.rawValue), from: .restId, to: .restImmutableEntryId)
        var unknown: [String] = []
        for id in ids {
            if let target = answers[id.rawValue]?.targetID {
                if target != id.rawValue { translation.renamed[id] = MessageID(target) }
            } else {
                unknown.append(id.rawValue)
            }
        }
        guard !unknown.isEmpty else { return translation }
        let check = try await graph.translateExchangeIDs(unknown, from: .restImmutableEntryId, to: .restId)
        for id in unknown where check[id]?.targetID == nil {
            // Only "no such item" means gone; another failure (a busy server) must not cost
            // the cache a message that exists: the chunk is tried again later instead.
            for code in [answers[id]?.errorCode, check[id]?.errorCode] {
                if let code, !Self.notFoundCodes.contains(code) {
                    throw GraphError.invalidResponse(status: 200, reason: TextSanitizer.oneLine(
                        "translateExchangeIds could not translate an id for now (\(code)); the id migration will try again"))
                }
            }
            translation.gone.insert(MessageID(id))
        }
        return translation
    }

    /// The `errorDetails` codes by which Exchange says an id names no message.
    static let notFoundCodes: Set<String> = ["ErrorItemNotFound", "ErrorInvalidIdMalformed", "ErrorInvalidId"]
}
