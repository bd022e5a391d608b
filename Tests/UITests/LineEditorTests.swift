import Terminal
import Testing
@testable import UI

@Suite struct LineEditorTests {
    func typed(_ text: String) -> LineEditor {
        var editor = LineEditor(label: "/")
        for c in text { _ = editor.handle(.character(c)) }
        return editor
    }

    @Test func typingEditingAndSubmitting() {
        var e = typed("invoce")
        _ = e.handle(.left)
        _ = e.handle(.left)
        _ = e.handle(.character("i"))
        #expect(e.string == "invoice")
        _ = e.handle(.home)
        _ = e.handle(.delete)
        #expect(e.string == "nvoice")
        _ = e.handle(.end)
        _ = e.handle(.backspace)
        #expect(e.string == "nvoic")
        #expect(e.handle(.enter) == .submit("nvoic"))
    }

    @Test func readlineKillKeys() {
        var e = typed("from:alice quarterly report")
        _ = e.handle(.control("w"))
        #expect(e.string == "from:alice quarterly ")
        _ = e.handle(.control("w"))
        #expect(e.string == "from:alice ")
        _ = e.handle(.control("a"))
        _ = e.handle(.right)
        _ = e.handle(.control("k"))
        #expect(e.string == "f")
        _ = e.handle(.end)
        _ = e.handle(.control("u"))
        #expect(e.string.isEmpty)
    }

    @Test func escapeCancelsAndBackspaceOnAnEmptyPromptCloses() {
        var e = typed("abc")
        #expect(e.handle(.escape) == .cancel)
        var empty = LineEditor(label: "/")
        #expect(empty.handle(.backspace) == .cancel)
    }

    @Test func pastedTextIsOneSanitisedLine() {
        var e = LineEditor(label: "/")
        _ = e.handle(.paste("line one\nline two\u{1B}]52;c;x\u{07}"))
        #expect(!e.string.contains("\n") && !e.string.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(e.string.hasPrefix("line one line two"))
        _ = e.handle(.paste(String(repeating: "x", count: 5_000)))
        #expect(e.string.count == LineEditor.maxLength)
    }

    @Test func theVisiblePartFollowsTheCursorByDisplayWidth() {
        var e = typed("会議の議事録 launch")       // CJK characters are two cells wide
        var view = e.visible(width: 10)
        #expect(DisplayWidth.of(view.text) <= 9 && view.text.hasSuffix("launch"))
        #expect(view.cursorColumn == DisplayWidth.of(view.text))
        _ = e.handle(.home)
        view = e.visible(width: 10)
        #expect(view.text.hasPrefix("会議の議") && view.cursorColumn == 0)
        _ = e.handle(.right)
        _ = e.handle(.right)
        #expect(e.visible(width: 10).cursorColumn == 4)
    }
}
