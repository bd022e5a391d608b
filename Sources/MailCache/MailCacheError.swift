import Foundation
import GRDB
import MailCore

/// What can go wrong with Otter's own files that a user can understand and fix. Each
/// description says what happened, what still works, and what to do (QUALITY.md Reliability 6:
/// disk full and a read-only cache give a clear message and the app keeps running).
public enum MailCacheError: Error, Hashable, CustomStringConvertible {
    /// The file was written by a newer Otter, whose schema this one does not know.
    case newerSchema
    /// No space is left where the store lives (a full disk or quota, SQLite's `SQLITE_FULL`).
    case diskFull(Store, path: String?)
    /// The store cannot be written: a read-only file, folder or file system (`SQLITE_READONLY`).
    case readOnly(Store, path: String?)
    /// The cache could not be created or brought up to this version's schema, so there is
    /// nothing to show yet.
    case cannotPrepare(CacheProblem, path: String?)

    /// Which of Otter's two databases.
    public enum Store: Hashable, Sendable {
        /// The mail cache under `$XDG_CACHE_HOME`, rebuildable from the server.
        case cache
        /// The outbox of pending actions under `$XDG_STATE_HOME` (`ActionStore`).
        case outbox
    }

    /// The problem the status line shows, when this is a cache the app keeps running on.
    public var cacheProblem: CacheProblem? {
        switch self {
        case .diskFull(.cache, _): .diskFull
        case .readOnly(.cache, _): .readOnly
        default: nil
        }
    }

    /// What happened comes first (a status line may show only the start), the file last.
    public var description: String {
        func file(_ label: String, _ path: String?) -> String { path.map { " (\(label): \($0))" } ?? "" }
        switch self {
        case .newerSchema:
            return "the cache was written by a newer version of Otter; upgrade Otter, or delete the cache to rebuild it"
        case .diskFull(.cache, let path):
            return "the disk holding the mail cache is full, so new mail cannot be saved. "
                + "Mail already in the cache can still be read, and actions you take are still sent. "
                + "Free some space on that disk; Otter catches up by itself\(file("cache", path))."
        case .readOnly(.cache, let path):
            return "the mail cache cannot be written (a read-only file, folder or file system), so new mail "
                + "cannot be saved. Mail already in the cache can still be read, and actions you take are still sent. "
                + "Make it writable and restart Otter\(file("cache", path))."
        case .diskFull(.outbox, let path):
            return "the disk holding Otter's outbox is full, so actions cannot be recorded; one refused for this "
                + "changes nothing. Free some space on that disk and try again\(file("outbox", path))."
        case .readOnly(.outbox, let path):
            return "Otter's outbox cannot be written (a read-only file, folder or file system), so actions cannot be "
                + "recorded; one refused for this changes nothing. Make it writable and restart Otter\(file("outbox", path))."
        case .cannotPrepare(.diskFull, let path):
            return "the mail cache cannot be set up: its disk is full. "
                + "Free some space on that disk and start Otter again\(file("cache", path))."
        case .cannotPrepare(.readOnly, let path):
            return "the mail cache is read-only and must first be updated for this version of Otter. Make it writable "
                + "(or delete it: it is rebuilt from the server) and start Otter again\(file("cache", path))."
        }
    }
}

extension MailCacheError {
    /// SQLite's verdict in the user's terms: `SQLITE_FULL` is a full disk (or quota, or size
    /// limit), `SQLITE_READONLY` (with any extended code) a store that cannot be written.
    /// Anything else is not a storage condition the user can fix and stays as it was.
    static func storageFailure(_ error: any Error, in store: Store, path: String?) -> MailCacheError? {
        guard let error = error as? DatabaseError else { return nil }
        if error.isNoSpace { return .diskFull(store, path: path) }
        return error.resultCode == .SQLITE_READONLY ? .readOnly(store, path: path) : nil
    }

    /// Runs `body` (a write), turning SQLite's storage failures into the errors above.
    static func mappingStorageFailures<T>(in store: Store, path: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw storageFailure(error, in: store, path: path) ?? error
        }
    }
}

extension DatabaseReader {
    /// The database file, for messages; nil for an in-memory database. A `file:` URI (as
    /// `MailCache` uses for a read-only file system) gives its path.
    var filePath: String? {
        guard !path.isEmpty, path != ":memory:" else { return nil }
        guard path.hasPrefix("file:") else { return path }
        let uriPath = path.dropFirst("file:".count).prefix { $0 != "?" && $0 != "#" }
        return String(uriPath).removingPercentEncoding ?? String(uriPath)
    }
}

extension DatabaseError {
    /// The file is damaged or not a database at all: move it aside and rebuild.
    var isCorruption: Bool {
        resultCode == .SQLITE_CORRUPT || resultCode == .SQLITE_NOTADB
    }

    /// No room on the disk: SQLITE_FULL from a write, or the -shm file of WAL that cannot grow
    /// (SQLite allocates it page by page so a full disk shows as SQLITE_IOERR_SHMSIZE, not SIGBUS).
    var isNoSpace: Bool {
        resultCode == .SQLITE_FULL || extendedResultCode == .SQLITE_IOERR_SHMSIZE
    }

    /// The file or its folder may not be written (a read-only file, folder or file system):
    /// SQLite says so directly, or fails at the file system (an I/O error opening, locking or
    /// writing the journal or -shm file beside it). Not: busy, locked, out of memory, misuse.
    var meansCannotWrite: Bool {
        [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH, .SQLITE_IOERR].contains(resultCode)
            && extendedResultCode != .SQLITE_IOERR_NOMEM
    }
}
