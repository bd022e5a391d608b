import Foundation
import MailCore
import Terminal

/// Where a key was pressed; each has its own section in keymaps.conf.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, folders, list, reader
}

/// Everything a key can do. Names are what keymaps.conf writes on the right of `=`.
public enum Action: Hashable, Sendable {
    case quit, help, nextPane, prevPane, paneLeft, paneRight
    case down, up, pageDown, pageUp, halfPageDown, halfPageUp, top, bottom
    case scrollDown, scrollUp
    case open, back, toggleFolder, toggleFocusedOther
    case nextMessage, prevMessage
    case goFolder(WellKnownFolder)
    case sync
    case markRead, markUnread, toggleFlag, delete, archive, junk
    /// The bulk selection that triage acts on: `x`, `*a`, `*n`, `*r`, `*u`.
    case toggleSelect, selectAll, selectNone, selectRead, selectUnread
    /// Opens the search prompt; results show in the list like a folder.
    case search

    static let simple: [String: Action] = [
        "quit": .quit, "help": .help, "next-pane": .nextPane, "prev-pane": .prevPane, "pane-left": .paneLeft,
        "pane-right": .paneRight, "down": .down, "up": .up, "page-down": .pageDown, "page-up": .pageUp,
        "half-page-down": .halfPageDown, "half-page-up": .halfPageUp, "top": .top, "bottom": .bottom,
        "scroll-down": .scrollDown, "scroll-up": .scrollUp, "open": .open, "back": .back,
        "toggle-folder": .toggleFolder, "toggle-focused-other": .toggleFocusedOther,
        "next-message": .nextMessage, "prev-message": .prevMessage, "sync": .sync,
        "mark-read": .markRead, "mark-unread": .markUnread, "toggle-flag": .toggleFlag, "delete": .delete,
        "archive": .archive, "junk": .junk, "toggle-select": .toggleSelect, "select-all": .selectAll,
        "select-none": .selectNone, "select-read": .selectRead, "select-unread": .selectUnread, "search": .search,
    ]

    /// Parses `name [args]` from the right side of a binding.
    static func parse(_ text: String) throws -> Action {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = words.first else { throw KeyNotationError("missing action") }
        if let action = simple[name] {
            guard words.count == 1 else { throw KeyNotationError("'\(name)' takes no arguments") }
            return action
        }
        if name == "go-folder" {
            guard words.count == 2, let folder = WellKnownFolder(rawValue: words[1].lowercased()) else {
                let names = WellKnownFolder.allCases.map(\.rawValue).joined(separator: ", ")
                throw KeyNotationError("go-folder takes one of: \(names)")
            }
            return .goFolder(folder)
        }
        throw KeyNotationError("unknown action '\(name)'")
    }

    /// The text keymaps.conf uses, also shown in the help screen.
    public var name: String {
        if case .goFolder(let folder) = self { return "go-folder \(folder.rawValue)" }
        return Self.simple.first { $0.value == self }!.key
    }
}

/// Key bindings per context, with multi-key sequences (`gg`, `gi`).
public struct Keymap: Sendable {
    public enum Resolution: Equatable, Sendable {
        case action(Action)
        /// The keys so far begin a longer binding: wait for the next key.
        case pending
        case unbound
    }

    private(set) var bindings: [KeyContext: [[Key]: Action]] = [:]

    public init() {}

    public static var shippedText: String { String(decoding: PackageResources.keymaps_conf, as: UTF8.self) }

    public static var `default`: Keymap { parse(shippedText, file: "keymaps.conf").keymap }

    /// Reads a keymaps.conf on top of `base` (the shipped defaults for a user's file).
    public static func parse(_ text: String, file: String, base: Keymap = Keymap()) -> (keymap: Keymap, warnings: [ConfigWarning]) {
        var keymap = base
        var warnings: [ConfigWarning] = []
        var context: KeyContext?
        for (number, line) in ConfigLines.parse(text) {
            func warn(_ message: String) { warnings.append(ConfigWarning(file: file, line: number, message: message)) }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), let c = KeyContext(rawValue: String(line.dropFirst().dropLast())) else {
                    context = nil
                    warn("unknown section \(line); its lines are ignored (sections: \(KeyContext.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                context = c
                continue
            }
            guard let context else { continue }   // lines of an unknown section, already reported
            guard let eq = line.dropFirst().firstIndex(of: "=") else { warn("expected 'keys = action'"); continue }
            let left = line[..<eq].trimmingCharacters(in: .whitespaces)
            let right = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            do {
                let keys = try KeyNotation.parse(left)
                guard !keys.isEmpty else { warn("no keys before '='"); continue }
                if right.isEmpty {
                    keymap.bindings[context]?[keys] = nil
                } else {
                    keymap.bindings[context, default: [:]][keys] = try Action.parse(right)
                }
            } catch {
                warn(String(describing: error))
            }
        }
        return (keymap, warnings)
    }

    /// What `keys` mean in `context`: the pane's own bindings first, then the global ones.
    public func resolve(_ keys: [Key], in context: KeyContext) -> Resolution {
        for c in [context, .global] {
            if let action = bindings[c]?[keys] { return .action(action) }
        }
        for c in [context, .global] where bindings[c]?.keys.contains(where: { $0.count > keys.count && Array($0.prefix(keys.count)) == keys }) == true {
            return .pending
        }
        return .unbound
    }

    /// The bindings of a context in a stable order, for the help screen.
    public func bindings(in context: KeyContext) -> [(keys: String, action: String)] {
        (bindings[context] ?? [:]).map { (KeyNotation.format($0.key), $0.value.name) }
            .sorted { ($0.action, $0.keys) < ($1.action, $1.keys) }
    }
}
