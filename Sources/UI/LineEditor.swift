import Foundation
import MailCore
import Terminal

/// The one-line text field of the status-line prompt (`/` search), with the readline keys a
/// terminal user's fingers expect: ← → Home End (C-a C-e), Backspace Delete, C-u C-k C-w.
/// Works in grapheme clusters, so an accent or an emoji is one step of the cursor.
struct LineEditor: Equatable, Sendable {
    /// What the prompt asks for, shown before the text (`/` for search).
    var label: String
    private(set) var text: [Character] = []
    /// Position of the cursor, 0...text.count.
    private(set) var cursor = 0

    /// Longest text kept: a search longer than this is a paste gone wrong, not a query.
    static let maxLength = 1_000

    init(label: String, text: String = "") {
        self.label = label
        insert(text)
    }

    var string: String { String(text) }

    enum Outcome: Equatable {
        case editing
        case submit(String)
        case cancel
    }

    /// Applies one key. Keys the editor does not use are ignored while it is open (they must not
    /// fall through to list commands while the user is typing).
    mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .enter: return .submit(string)
        case .escape, .control("c"), .control("g"): return .cancel
        case .character(let c): insert(String(c))
        case .paste(let pasted): insert(pasted)
        case .backspace, .control("h"):
            if cursor > 0 {
                text.remove(at: cursor - 1)
                cursor -= 1
            } else if text.isEmpty {
                return .cancel     // Backspace on an empty prompt closes it, as in vim and aerc
            }
        case .delete, .control("d"):
            if cursor < text.count { text.remove(at: cursor) }
        case .left, .control("b"): cursor = max(0, cursor - 1)
        case .right, .control("f"): cursor = min(text.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = text.count
        case .control("u"):
            text.removeSubrange(0..<cursor)
            cursor = 0
        case .control("k"): text.removeSubrange(cursor...)
        case .control("w"):
            var start = cursor
            while start > 0, text[start - 1] == " " { start -= 1 }
            while start > 0, text[start - 1] != " " { start -= 1 }
            text.removeSubrange(start..<cursor)
            cursor = start
        default: break
        }
        return .editing
    }

    /// Inserts at the cursor. Pasted text is one line of printable characters: what the
    /// sanitiser makes of it (a pasted newline must not submit or end up in the query).
    private mutating func insert(_ raw: String) {
        let clean = Array(TextSanitizer.oneLine(raw))
        let room = Self.maxLength - text.count
        guard room > 0, !clean.isEmpty else { return }
        let accepted = clean.prefix(room)
        text.insert(contentsOf: accepted, at: cursor)
        cursor += accepted.count
    }

    /// The part of the text that fits `width` columns with the cursor visible, and the cursor's
    /// column within it.
    func visible(width: Int) -> (text: String, cursorColumn: Int) {
        guard width > 1 else { return ("", 0) }
        // Scroll so the cursor (one cell past the text at the end) stays on screen.
        var start = 0
        func columns(_ range: Range<Int>) -> Int { range.reduce(0) { $0 + DisplayWidth.of(text[$1]) } }
        while start < cursor, columns(start..<cursor) + 1 > width { start += 1 }
        // One cell is kept for the cursor past the last character.
        var end = start
        var used = 0
        while end < text.count, used + DisplayWidth.of(text[end]) <= width - 1 {
            used += DisplayWidth.of(text[end])
            end += 1
        }
        return (String(text[start..<end]), columns(start..<cursor))
    }
}
