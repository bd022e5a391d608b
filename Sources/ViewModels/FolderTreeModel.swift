import Foundation
import MailCore
import MailService

/// One row of the folder pane, already sanitised for display.
public struct FolderRow: Hashable, Sendable {
    public var id: FolderID
    public var name: String
    public var depth: Int
    public var unreadCount: Int
    public var totalCount: Int
    public var hasChildren: Bool
    public var isExpanded: Bool
    public var wellKnown: WellKnownFolder?

    public init(id: FolderID, name: String, depth: Int, unreadCount: Int, totalCount: Int, hasChildren: Bool,
                isExpanded: Bool, wellKnown: WellKnownFolder?) {
        self.id = id
        self.name = name
        self.depth = depth
        self.unreadCount = unreadCount
        self.totalCount = totalCount
        self.hasChildren = hasChildren
        self.isExpanded = isExpanded
        self.wellKnown = wellKnown
    }
}

public struct FolderTreeSnapshot: Hashable, Sendable {
    public var rows: [FolderRow]
    public var selectedIndex: Int?

    public init(rows: [FolderRow] = [], selectedIndex: Int? = nil) {
        self.rows = rows
        self.selectedIndex = selectedIndex
    }

    public var selected: FolderRow? { selectedIndex.map { rows[$0] } }
}

/// The folder tree: well-known folders first in Outlook's order, then the others by name,
/// children nested under their parents, collapsible. Follows the cache as sync adds folders.
public actor FolderTreeModel {
    public nonisolated var snapshots: AsyncStream<FolderTreeSnapshot> { publisher.stream }
    private let publisher = SnapshotPublisher<FolderTreeSnapshot>()
    private let service: MailService
    private var folders: [Folder] = []
    private var collapsed: Set<FolderID> = []
    private var selectedID: FolderID?
    /// Until the user picks a folder, the selection follows the Inbox, which the first sync
    /// pages may not have identified yet.
    private var userHasChosen = false
    private var rows: [FolderRow] = []
    private var observation: Task<Void, Never>?

    public init(service: MailService) {
        self.service = service
    }

    public var snapshot: FolderTreeSnapshot {
        FolderTreeSnapshot(rows: rows, selectedIndex: selectedID.flatMap { id in rows.firstIndex { $0.id == id } })
    }

    /// Starts following the cache. The Inbox is selected as soon as it is known.
    public func start() {
        observation?.cancel()
        let stream = service.observeFolders()
        observation = Task { [weak self] in
            for await folders in stream {
                await self?.update(folders)
            }
        }
    }

    public func stop() {
        observation?.cancel()
    }

    func update(_ folders: [Folder]) {
        self.folders = folders
        rebuild()
        if !userHasChosen || !rows.contains(where: { $0.id == selectedID }) {
            selectedID = rows.first { $0.wellKnown == .inbox }?.id ?? selectedID ?? rows.first?.id
            if !rows.contains(where: { $0.id == selectedID }) { selectedID = rows.first?.id }
        }
        publisher.publish(snapshot)
    }

    public func move(by delta: Int) {
        guard !rows.isEmpty else { return }
        let current = snapshot.selectedIndex ?? 0
        selectedID = rows[min(max(0, current + delta), rows.count - 1)].id
        userHasChosen = true
        publisher.publish(snapshot)
    }

    public func moveToTop() { move(by: -rows.count) }
    public func moveToBottom() { move(by: rows.count) }

    public func select(wellKnown: WellKnownFolder) {
        guard let row = rows.first(where: { $0.wellKnown == wellKnown }) else { return }
        selectedID = row.id
        userHasChosen = true
        publisher.publish(snapshot)
    }

    /// Expands a collapsed folder, or collapses an expanded one.
    public func toggleExpanded() {
        guard let id = selectedID, let row = rows.first(where: { $0.id == id }), row.hasChildren else { return }
        if collapsed.contains(id) { collapsed.remove(id) } else { collapsed.insert(id) }
        rebuild()
        publisher.publish(snapshot)
    }

    private func rebuild() {
        let visible = folders.filter { !$0.isHidden }
        let ids = Set(visible.map(\.id))
        var children: [FolderID: [Folder]] = [:]
        var roots: [Folder] = []
        for folder in visible {
            if let parent = folder.parentID, ids.contains(parent) {
                children[parent, default: []].append(folder)
            } else {
                roots.append(folder)
            }
        }
        func byName(_ a: Folder, _ b: Folder) -> Bool {
            a.displayName.localizedStandardCompare(b.displayName) == .orderedAscending
        }
        let rank: (Folder) -> Int = { $0.wellKnown?.sortRank ?? Int.max }
        roots.sort { rank($0) != rank($1) ? rank($0) < rank($1) : byName($0, $1) }
        var result: [FolderRow] = []
        func visit(_ folder: Folder, depth: Int) {
            let kids = (children[folder.id] ?? []).sorted(by: byName)
            let expanded = !collapsed.contains(folder.id)
            result.append(FolderRow(id: folder.id, name: TextSanitizer.oneLine(folder.displayName), depth: depth,
                                    unreadCount: folder.unreadCount, totalCount: folder.totalCount,
                                    hasChildren: !kids.isEmpty, isExpanded: expanded, wellKnown: folder.wellKnown))
            // Depth is capped so a hostile or pathological hierarchy cannot recurse without end.
            guard expanded, depth < 32 else { return }
            for kid in kids { visit(kid, depth: depth + 1) }
        }
        for root in roots { visit(root, depth: 0) }
        rows = result
    }
}
