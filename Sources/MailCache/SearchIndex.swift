import GRDB

/// The full-text index behind offline search (SQLite FTS5).
///
/// One document per message, keyed by the message's rowid: its text (the body once fetched,
/// else the preview, which is the body's beginning), subject, sender name and sender address.
/// The index stores no text of its own (external content: the view `messageSearchSource`),
/// only the inverted index, at about 160 bytes an envelope. Keyed by rowid, it follows a
/// message through moves and id rewrites without any work.
///
/// Triggers keep it exact whatever writes the tables (sync pages, local actions, bodies, prunes,
/// id translation). Before a change that alters a message's document, the document is taken out
/// of the index with the values the view shows then (FTS5 needs the old values to delete from an
/// external-content index, and this SQLite, 3.40, has no `contentless_delete`), and the message
/// is noted in `messageSearchPending`; `indexPendingMessages` indexes the noted messages again
/// from the view at the end of each write transaction (`MailCache.write`). Invariant: a message
/// is either pending and absent from the index, or indexed with exactly what the view shows.
///
/// Why not index in the triggers directly: FTS5 writes its pending words to disk at every
/// statement savepoint, and the sync writes one statement per message, so every message became
/// a segment of its own and the merges cost 58 µs a message (sync 4,700/s instead of 7,000/s).
/// Deferred, a delta page of 1,000 messages is indexed by one statement, at about 16 µs a message.
///
/// The rule for other code: write `message` and `messageContent` inside `MailCache.write`, with
/// ordinary INSERT / UPDATE / DELETE / upsert statements. A write elsewhere leaves its messages
/// unsearchable until the next `MailCache.write`; a trigger-less path (`INSERT OR REPLACE` with
/// `PRAGMA recursive_triggers = OFF`) would leave stale words, which `rebuildSearchIndex()` repairs.
///
/// Choices, measured on the 100,000-message emulator corpus (PERFORMANCE.md):
/// - The text comes first: FTS5 marks every word found in a column other than the first with
///   two bytes, and the preview holds most of an envelope's words (215 → 162 B/envelope).
/// - `detail=full` (word positions) for phrases; `detail=column` would save 30 B but refuses
///   phrase queries, `detail=none` column filters too.
/// - No `prefix=` index: prefix indexes of 2 and 3 characters cost another 350 B/envelope;
///   without them a prefix of two or more letters is still answered in milliseconds.
/// - `columnsize=0`: no per-document size table (it serves only bm25 ranking, and lists are
///   sorted by date).
/// - `unicode61 remove_diacritics 2`: case and accents folded, so "reunion" finds "Réunion".
///   Addresses split at `.` and `@` into words, so `alice`, `contoso` and the phrase
///   `alice.smith@contoso.com` all find alice.smith@contoso.com.
extension Schema {
    static let searchColumns = "text, subject, fromName, fromAddress"

    static func registerSearch(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-search-index") { db in
            try db.execute(sql: """
                CREATE VIEW messageSearchSource AS
                    SELECT message.rowid AS docid, COALESCE(NULLIF(messageContent.body, ''), message.bodyPreview) AS text,
                           message.subject, message.fromName, message.fromAddress
                    FROM message LEFT JOIN messageContent ON messageContent.messageId = message.id;
                CREATE VIRTUAL TABLE messageSearch USING fts5(
                    \(searchColumns),
                    content = 'messageSearchSource', content_rowid = 'docid',
                    tokenize = 'unicode61 remove_diacritics 2', detail = full, columnsize = 0);
                CREATE TABLE messageSearchPending (docid INTEGER PRIMARY KEY);
                \(searchTriggers)
                INSERT INTO messageSearch (messageSearch) VALUES ('rebuild');
                """)
        }
    }

    /// Indexes the messages whose documents changed in this transaction (see above). Costs
    /// one look-up in an empty table when nothing changed.
    static func indexPendingMessages(_ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM messageSearchPending)") == true else { return }
        try db.execute(sql: """
            INSERT INTO messageSearch (rowid, \(searchColumns))
                SELECT docid, \(searchColumns) FROM messageSearchSource WHERE docid IN (SELECT docid FROM messageSearchPending);
            DELETE FROM messageSearchPending;
            """)
    }

    /// Takes the documents of the messages `docids` selects out of the index, as the view shows
    /// them now, unless they are out already (pending), and notes them for indexing.
    private static func unindex(_ docids: String) -> String {
        """
        INSERT INTO messageSearch (messageSearch, rowid, \(searchColumns))
            SELECT 'delete', docid, \(searchColumns) FROM messageSearchSource
            WHERE docid IN (\(docids)) AND docid NOT IN (SELECT docid FROM messageSearchPending);
        \(note(docids))
        """
    }

    /// Notes the messages `docids` selects (a query of one `docid` column) for indexing. Not
    /// `INSERT OR IGNORE`: an upsert firing the trigger would override that with ABORT.
    private static func note(_ docids: String) -> String {
        """
        INSERT INTO messageSearchPending (docid)
            SELECT docid FROM (\(docids)) WHERE docid NOT IN (SELECT docid FROM messageSearchPending);
        """
    }

    private static var searchTriggers: String {
        // A message's document changes with its indexed columns, and with its id when a body
        // is joined through the old or the new id (an id rewrite without a body costs nothing).
        let messageChanged = """
            OLD.subject IS NOT NEW.subject OR OLD.fromName IS NOT NEW.fromName
            OR OLD.fromAddress IS NOT NEW.fromAddress OR OLD.bodyPreview IS NOT NEW.bodyPreview
            OR (OLD.id IS NOT NEW.id AND EXISTS (SELECT 1 FROM messageContent WHERE messageId IN (OLD.id, NEW.id)))
            """
        let bodyChanged = "OLD.body IS NOT NEW.body OR OLD.messageId IS NOT NEW.messageId"
        let messagesWithID = { (ids: String) in "SELECT rowid AS docid FROM message WHERE id IN (\(ids))" }
        return """
            -- A new row has no document yet (a deleted row's document left with it).
            CREATE TRIGGER messageSearch_afterMessageInsert AFTER INSERT ON message BEGIN
                \(note("SELECT NEW.rowid AS docid"))
            END;
            -- BEFORE, so that the body is still there: the cascade deletes it before AFTER triggers
            -- run. The pending note finds no row at indexing time and is dropped.
            CREATE TRIGGER messageSearch_beforeMessageDelete BEFORE DELETE ON message BEGIN
                \(unindex("SELECT OLD.rowid AS docid"))
            END;
            CREATE TRIGGER messageSearch_beforeMessageUpdate BEFORE UPDATE OF id, subject, fromName, fromAddress, bodyPreview
            ON message WHEN \(messageChanged) BEGIN
                \(unindex("SELECT OLD.rowid AS docid"))
            END;
            -- Not BEFORE INSERT: an upsert runs BEFORE INSERT triggers and then, on conflict, the
            -- UPDATE ones. Before this insert the message had no body (messageId is the key), so
            -- its text was the preview.
            CREATE TRIGGER messageSearch_afterContentInsert AFTER INSERT ON messageContent BEGIN
                INSERT INTO messageSearch (messageSearch, rowid, \(searchColumns))
                    SELECT 'delete', rowid, bodyPreview, subject, fromName, fromAddress FROM message
                    WHERE id = NEW.messageId AND rowid NOT IN (SELECT docid FROM messageSearchPending);
                \(note(messagesWithID("NEW.messageId")))
            END;
            CREATE TRIGGER messageSearch_beforeContentDelete BEFORE DELETE ON messageContent BEGIN
                \(unindex(messagesWithID("OLD.messageId")))
            END;
            CREATE TRIGGER messageSearch_beforeContentUpdate BEFORE UPDATE OF messageId, body ON messageContent
            WHEN \(bodyChanged) BEGIN
                \(unindex(messagesWithID("OLD.messageId, NEW.messageId")))
            END;
            """
    }
}

extension MailCache {
    /// Rebuilds the search index from the messages and bodies (a few seconds at 100,000
    /// messages). Needed only after something wrote the tables without their triggers, or
    /// after a `VACUUM` that renumbered rows (SQLite may do so for tables without an INTEGER
    /// PRIMARY KEY; 3.40 keeps them).
    public func rebuildSearchIndex() throws {
        try write { db in
            try db.execute(sql: """
                DELETE FROM messageSearchPending;
                INSERT INTO messageSearch (messageSearch) VALUES ('rebuild');
                """)
        }
    }

    /// Whether the index holds exactly the words of the messages and bodies it is built from
    /// (for tests and diagnostics; reads the whole index).
    func searchIndexIsConsistent() throws -> Bool {
        do {
            // A command written as an INSERT, though it changes nothing: it needs a writer connection.
            try writer.write { db in
                try db.execute(sql: "INSERT INTO messageSearch (messageSearch, rank) VALUES ('integrity-check', 1)")
            }
            return true
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            return false
        }
    }
}
