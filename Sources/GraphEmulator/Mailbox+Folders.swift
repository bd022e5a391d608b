import Foundation

/// Why a folder operation was refused. `GraphError(FolderOperationError)` gives the Graph answer.
public enum FolderOperationError: Error, Equatable, Sendable {
    /// No folder has this id or well-known name (404 `ErrorItemNotFound`).
    case folderNotFound(String)
    /// Not an Exchange id at all (400 `ErrorInvalidIdMalformed`).
    case malformedID(String)
    /// The parent already has a child of this name, compared without case (409 `ErrorFolderExists`).
    case folderExists(String)
    /// An empty or missing display name (400).
    case invalidName
    /// Well-known folders (Inbox, Sent Items, …) cannot be deleted (400 `ErrorDeleteDistinguishedFolder`).
    case cannotDeleteDistinguishedFolder
    /// Well-known folders cannot be moved (400 `ErrorMoveDistinguishedFolder`).
    case cannotMoveDistinguishedFolder
    /// A folder cannot be moved or copied into itself or one of its descendants (400 `ErrorMoveCopyFailed`).
    case destinationInsideSource
}

/// A folder that left a delta scope: deleted for good, or moved out of a subtree whose
/// `childFolders/delta` must now report it as `@removed`.
struct FolderTombstone: Sendable {
    var id: String
    var sequence: UInt64
    /// The subtree roots whose delta reports the removal; the mailbox root stands for
    /// `/me/mailFolders/delta`.
    var scopes: Set<String>
    /// In a hidden folder's subtree: reported only to rounds that include hidden folders.
    var isHidden: Bool
}

extension Mailbox {
    // MARK: - Folder changes

    /// Creates a user folder under `parent` (id or well-known name; `msgfolderroot` for the top
    /// level). Names are unique per parent without regard to case, as in Exchange.
    @discardableResult
    public func createFolder(
        named name: String, in parent: String = "msgfolderroot", isHidden: Bool = false
    ) throws(FolderOperationError) -> EmulatedFolder {
        let parentID = try existingFolderID(parent)
        let displayName = try validName(name)
        try ensureNameIsFree(displayName, in: parentID)
        let id = mintFolderID()
        folders[id] = EmulatedFolder(
            id: id, displayName: displayName, parentFolderID: parentID, wellKnownName: nil, isHidden: isHidden,
            path: childPath(parentID: parentID, name: displayName))
        children[id] = []
        insertChild(id, into: parentID)
        sequence += 1
        folderSequence[id] = sequence
        folderSequence[parentID] = sequence
        return folderView(id)
    }

    /// Renames a folder (PATCH `displayName`).
    @discardableResult
    public func renameFolder(_ idOrWellKnownName: String, to name: String) throws(FolderOperationError) -> EmulatedFolder {
        let id = try existingFolderID(idOrWellKnownName, allowRoot: false)
        let displayName = try validName(name)
        guard var folder = folders[id] else { throw .folderNotFound(idOrWellKnownName) }
        if folder.displayName != displayName {
            if folder.displayName.lowercased() != displayName.lowercased() {
                try ensureNameIsFree(displayName, in: folder.parentFolderID)
            }
            folder.displayName = displayName
            folders[id] = folder
            resortChildren(of: folder.parentFolderID)
            refreshPaths(below: id)
            sequence += 1
            folderSequence[id] = sequence
        }
        return folderView(id)
    }

    /// Graph's DELETE of a folder: outside Deleted Items the folder and everything in it move
    /// there (so it can be restored, like a deleted message); inside Deleted Items it is removed
    /// for good. Returns whether the folder was removed for good.
    @discardableResult
    public func deleteFolder(_ idOrWellKnownName: String) throws(FolderOperationError) -> Bool {
        let id = try existingFolderID(idOrWellKnownName, allowRoot: false)
        guard folders[id]?.wellKnownName == nil else { throw .cannotDeleteDistinguishedFolder }
        guard let deletedItems = wellKnown["deleteditems"], !ancestors(of: id).contains(deletedItems) else {
            try permanentlyDeleteFolder(id)
            return true
        }
        // Deleted Items already holding a folder of that name keeps both, the newcomer numbered.
        var name = folders[id]!.displayName
        var number = 2
        while childNamed(name, in: deletedItems) != nil {
            name = "\(folders[id]!.displayName) \(number)"
            number += 1
        }
        if name != folders[id]!.displayName { folders[id]!.displayName = name }
        try relocate(id, to: deletedItems)
        return false
    }

    /// Removes a folder, its subfolders and all their messages (`permanentDelete`, or DELETE in
    /// Deleted Items). Message deltas of those folders report the messages as removed and the
    /// folder deltas report the folders as `@removed`.
    public func permanentlyDeleteFolder(_ idOrWellKnownName: String) throws(FolderOperationError) {
        let id = try existingFolderID(idOrWellKnownName, allowRoot: false)
        guard folders[id]?.wellKnownName == nil else { throw .cannotDeleteDistinguishedFolder }
        let scopes = Set(ancestors(of: id))
        let hiddenAbove = ancestors(of: id).contains { folders[$0]?.isHidden == true }
        let parentID = folders[id]!.parentFolderID
        var doomed: [String] = []
        collectSubtree(id, into: &doomed)
        for folderID in doomed.reversed() {
            for entry in folderIndex[folderID]?.entries ?? [] {
                guard let message = records[entry.slot]?.message else { continue }
                try? permanentlyDelete(id: message.id)
            }
            let hidden = hiddenAbove || ancestorsWithin(folderID, upTo: id).contains { folders[$0]?.isHidden == true }
            sequence += 1
            folderTombstones.append(FolderTombstone(
                id: folderID, sequence: sequence, scopes: scopes.union(ancestorsWithin(folderID, upTo: id)), isHidden: hidden))
            folders[folderID] = nil
            children[folderID] = nil
            folderIndex[folderID] = nil
            unread[folderID] = nil
            folderSequence[folderID] = nil
        }
        children[parentID]?.removeAll { $0 == id }
        sequence += 1
        folderSequence[parentID] = sequence
    }

    /// Moves a folder (with its subfolders and messages) under `destination`. The folder keeps
    /// its id, as containers do in Exchange; the messages inside get new regular ids ("when
    /// folders are copied or moved, … the individual entry IDs of the contents also change").
    @discardableResult
    public func moveFolder(_ idOrWellKnownName: String, to destination: String) throws(FolderOperationError) -> EmulatedFolder {
        let id = try existingFolderID(idOrWellKnownName, allowRoot: false)
        let targetID = try existingFolderID(destination)
        guard folders[id]?.wellKnownName == nil else { throw .cannotMoveDistinguishedFolder }
        guard targetID != id, !ancestors(of: targetID).contains(id) else { throw .destinationInsideSource }
        if folders[id]!.parentFolderID != targetID {
            try ensureNameIsFree(folders[id]!.displayName, in: targetID)
            try relocate(id, to: targetID)
        }
        return folderView(id)
    }

    /// Copies a folder, its subfolders and their messages under `destination`. Every copy is a
    /// new item: new folder ids, new message ids (regular and immutable).
    @discardableResult
    public func copyFolder(_ idOrWellKnownName: String, to destination: String) throws(FolderOperationError) -> EmulatedFolder {
        let id = try existingFolderID(idOrWellKnownName, allowRoot: false)
        let targetID = try existingFolderID(destination)
        guard targetID != id, !ancestors(of: targetID).contains(id) else { throw .destinationInsideSource }
        try ensureNameIsFree(folders[id]!.displayName, in: targetID)
        let copyID = copySubtree(id, into: targetID)
        return folderView(copyID)
    }

    // MARK: - Folder delta

    enum FolderDeltaItem: Sendable {
        case folder(EmulatedFolder)
        case removed(id: String)
    }

    struct FolderDeltaPage: Sendable {
        var items: [FolderDeltaItem]
        var token: DeltaToken
        var isComplete: Bool
    }

    /// One page of folder delta. The scope is the whole hierarchy (`/me/mailFolders/delta`) or,
    /// when the token names a folder, that folder's subtree (`…/childFolders/delta`); either is
    /// returned flat, parents first. The initial round lists every folder in scope; later rounds
    /// list the folders whose properties or counts changed, then `@removed` entries for folders
    /// deleted or moved out of the scope.
    func folderDelta(token: DeltaToken, pageSize: Int) throws(MailboxError) -> FolderDeltaPage {
        let scope = token.folderID ?? rootFolderID
        guard token.kind == .folders, (token.base ?? 0) <= sequence, (token.round ?? 0) <= sequence,
              scope == rootFolderID || folders[scope] != nil
        else { throw .syncStateNotFound }
        var state = token
        let round = token.round ?? sequence
        state.round = round
        let includeHidden = token.includeHidden ?? false
        let inScope = descendants(of: scope, includeHidden: includeHidden)
        var items: [FolderDeltaItem]
        if let base = token.base {
            items = inScope.filter { (folderSequence[$0.id] ?? 0) > base }.map(FolderDeltaItem.folder)
            let present = Set(inScope.map(\.id))
            for tombstone in folderTombstones
            where tombstone.sequence > base && tombstone.scopes.contains(scope) && (includeHidden || !tombstone.isHidden)
                && !present.contains(tombstone.id) {
                items.append(.removed(id: tombstone.id))
            }
        } else {
            items = inScope.map(FolderDeltaItem.folder)
        }
        let offset = min(token.offset ?? 0, items.count)
        let upper = min(offset + pageSize, items.count)
        let page = Array(items[offset..<upper])
        if upper < items.count {
            state.offset = upper
            return FolderDeltaPage(items: page, token: state, isComplete: false)
        }
        return FolderDeltaPage(items: page, token: token.nextRound(from: round), isComplete: true)
    }

    /// The folders below `folderID`, depth first, siblings in display order; hidden folders and
    /// their subtrees only when asked.
    func descendants(of folderID: String, includeHidden: Bool) -> [EmulatedFolder] {
        var result: [EmulatedFolder] = []
        func visit(_ id: String) {
            for child in childFolders(of: id, includeHidden: includeHidden) {
                result.append(child)
                visit(child.id)
            }
        }
        visit(folderID)
        return result
    }

    // MARK: - Helpers

    private func existingFolderID(_ text: String, allowRoot: Bool = true) throws(FolderOperationError) -> String {
        if let id = resolveFolderID(text), allowRoot || id != rootFolderID { return id }
        let isWellKnownName = GraphHandlers.wellKnownFolderNames.contains(text.lowercased())
        throw isWellKnownName || GraphID.isPlausible(text) ? .folderNotFound(text) : .malformedID(text)
    }

    private func validName(_ name: String) throws(FolderOperationError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalidName }
        return trimmed
    }

    private func childNamed(_ name: String, in parentID: String) -> String? {
        let lowered = name.lowercased()
        return children[parentID]?.first { folders[$0]?.displayName.lowercased() == lowered }
    }

    private func ensureNameIsFree(_ name: String, in parentID: String) throws(FolderOperationError) {
        if childNamed(name, in: parentID) != nil { throw .folderExists(name) }
    }

    private func mintFolderID() -> String {
        userData.mintedFolders += 1
        return GraphID.folder(seed: StableHash.mix(idSeed, 0xF01D, userData.mintedFolders), wellKnown: false)
    }

    private func childPath(parentID: String, name: String) -> String {
        guard parentID != rootFolderID, let parent = folders[parentID] else { return name }
        return parent.path + "/" + name
    }

    private func insertChild(_ id: String, into parentID: String) {
        children[parentID, default: []].append(id)
        resortChildren(of: parentID)
    }

    private func resortChildren(of parentID: String) {
        children[parentID] = children[parentID]?.sorted { Self.siblingOrder(folders[$0], folders[$1]) }
    }

    private func refreshPaths(below id: String) {
        guard var folder = folders[id] else { return }
        folder.path = childPath(parentID: folder.parentFolderID, name: folder.displayName)
        folders[id] = folder
        for child in children[id] ?? [] { refreshPaths(below: child) }
    }

    /// The folder's ancestors from its parent up to and including the root.
    func ancestors(of id: String) -> [String] {
        var result: [String] = []
        var current = id == rootFolderID ? nil : folders[id]?.parentFolderID
        while let parent = current {
            result.append(parent)
            if parent == rootFolderID { break }
            current = folders[parent]?.parentFolderID
        }
        return result
    }

    /// Ancestors of `id` strictly below `top` (the folders between them), for subtree scopes.
    private func ancestorsWithin(_ id: String, upTo top: String) -> [String] {
        var result: [String] = []
        var current = folders[id]?.parentFolderID
        while let parent = current, parent != top, parent != rootFolderID {
            result.append(parent)
            current = folders[parent]?.parentFolderID
        }
        return id == top ? [] : result + [top]
    }

    /// `id` and every folder below it, parents first.
    private func collectSubtree(_ id: String, into result: inout [String]) {
        result.append(id)
        for child in children[id] ?? [] { collectSubtree(child, into: &result) }
    }

    /// Re-parents a folder and gives the messages of its subtree new regular ids.
    private func relocate(_ id: String, to targetID: String) throws(FolderOperationError) {
        let oldParent = folders[id]!.parentFolderID
        let leftScopes = Set(ancestors(of: id)).subtracting([targetID] + ancestors(of: targetID))
        children[oldParent]?.removeAll { $0 == id }
        folders[id]!.parentFolderID = targetID
        insertChild(id, into: targetID)
        refreshPaths(below: id)
        var subtree: [String] = []
        collectSubtree(id, into: &subtree)
        let hidden = (subtree + ancestors(of: id)).contains { folders[$0]?.isHidden == true }
        sequence += 1
        for folderID in subtree {
            // Every folder of the subtree enters the destination's scopes, so each one counts as changed.
            folderSequence[folderID] = sequence
            if !leftScopes.isEmpty {
                folderTombstones.append(FolderTombstone(id: folderID, sequence: sequence, scopes: leftScopes, isHidden: hidden))
            }
        }
        folderSequence[oldParent] = sequence
        folderSequence[targetID] = sequence
        for folderID in subtree {
            for entry in folderIndex[folderID]?.entries ?? [] { reissueID(slot: entry.slot) }
        }
    }

    /// A message keeps its folder but gets a new regular id: its folder's delta reports the
    /// old id as removed and the message under its new id.
    private func reissueID(slot: Int) {
        guard records[slot] != nil else { return }
        removeFromFolder(slot: slot)
        let newID = mintMessageIDs().regular
        records[slot]!.message.id = newID
        slotByID[newID] = slot
        addToFolder(slot: slot)
        commit(slot: slot)
    }

    /// Copies folder `id` (recursively) under `parentID`; returns the copy's id.
    private func copySubtree(_ id: String, into parentID: String) -> String {
        let source = folders[id]!
        let copyID = mintFolderID()
        folders[copyID] = EmulatedFolder(
            id: copyID, displayName: source.displayName, parentFolderID: parentID, wellKnownName: nil,
            isHidden: source.isHidden, path: childPath(parentID: parentID, name: source.displayName))
        children[copyID] = []
        insertChild(copyID, into: parentID)
        sequence += 1
        folderSequence[copyID] = sequence
        folderSequence[parentID] = sequence
        for entry in folderIndex[id]?.entries ?? [] {
            guard let message = records[entry.slot]?.message else { continue }
            appendCopy(of: message, in: copyID)
        }
        for child in children[id] ?? [] { _ = copySubtree(child, into: copyID) }
        return copyID
    }

    private func appendCopy(of original: EmulatedMessage, in folderID: String) {
        insert(rebuilt(original, ids: mintMessageIDs(), folderID: folderID, adjust: { _ in }))
    }
}
