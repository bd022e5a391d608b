import Terminal
import Testing
@testable import UI

@Suite struct KeymapTests {
    @Test func shippedKeymapParsesWithoutWarnings() {
        let (keymap, warnings) = Keymap.parse(Keymap.shippedText, file: "keymaps.conf")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(keymap.resolve([.character("j")], in: .list) == .action(.down))
        #expect(keymap.resolve([.character("j")], in: .reader) == .action(.scrollDown))
        #expect(keymap.resolve([.character("q")], in: .list) == .action(.quit))      // from [global]
        #expect(keymap.resolve([.enter], in: .list) == .action(.open))
        #expect(keymap.resolve([.tab], in: .folders) == .action(.nextPane))
        #expect(keymap.resolve([.backTab], in: .list) == .action(.prevPane))
        #expect(keymap.resolve([.character("F")], in: .list) == .action(.toggleFocusedOther))
        #expect(keymap.resolve([.character("#")], in: .list) == .action(.delete))
        #expect(keymap.resolve([.character("I")], in: .reader) == .action(.markRead))
    }

    @Test func multiKeySequencesWaitForTheirSecondKey() {
        let keymap = Keymap.default
        #expect(keymap.resolve([.character("g")], in: .list) == .pending)
        #expect(keymap.resolve([.character("g"), .character("g")], in: .list) == .action(.top))
        #expect(keymap.resolve([.character("g"), .character("i")], in: .list) == .action(.goFolder(.inbox)))
        #expect(keymap.resolve([.character("g"), .character("z")], in: .list) == .unbound)
        #expect(keymap.resolve([.character("Z")], in: .list) == .unbound)
    }

    @Test func userFileOverridesUnbindsAndReportsMistakesByLine() {
        let user = """
        # my keys
        [list]
        n = down
        j =
        <Foo> = up
        x = explode
        [nonsense]
        y = quit
        [global]
        Q = quit
        """
        let (keymap, warnings) = Keymap.parse(user, file: "user.conf", base: .default)
        #expect(keymap.resolve([.character("n")], in: .list) == .action(.down))
        #expect(keymap.resolve([.character("j")], in: .list) == .unbound)
        #expect(keymap.resolve([.character("k")], in: .list) == .action(.up))     // defaults stay
        #expect(keymap.resolve([.character("Q")], in: .list) == .action(.quit))
        #expect(keymap.resolve([.character("y")], in: .list) == .unbound)
        #expect(warnings.map(\.line) == [5, 6, 7])
        #expect(warnings[1].description.contains("unknown action 'explode'"))
        #expect(warnings.allSatisfy { $0.file == "user.conf" })
    }

    @Test func everyActionNameRoundTrips() throws {
        for (name, action) in Action.simple {
            #expect(try Action.parse(name) == action)
            #expect(action.name == name)
        }
        #expect(try Action.parse("go-folder Inbox") == .goFolder(.inbox))
        #expect(throws: KeyNotationError.self) { try Action.parse("go-folder nowhere") }
        #expect(throws: KeyNotationError.self) { try Action.parse("quit now") }
    }
}

@Suite struct ThemeTests {
    @Test func shippedThemesParseWithoutWarnings() throws {
        for name in ["default", "monochrome"] {
            let text = try #require(Theme.shipped(named: name))
            #expect(Theme.parse(text, file: name).warnings.isEmpty)
        }
    }

    @Test func rolesWildcardsAndSelection() {
        let (theme, warnings) = Theme.parse("""
        default.fg = white
        list.unread.bold = true
        list.selected.reverse = true
        list.unfocused.selected.reverse = false
        list.unfocused.selected.underline = true
        status.bg = #ff0000
        header.label.fg = 244
        body.quote.dim = toggle
        bogus.fg = red
        list.bold = maybe
        status.fg = chartreuse
        """, file: "t.conf")
        #expect(warnings.map(\.line) == [9, 10, 11])
        #expect(theme.style("list.unread").attributes == [.bold])
        #expect(theme.style("list.unread").foreground == .indexed(7))          // default.fg reaches every role
        #expect(theme.style("list.unread", selected: true).attributes == [.bold, .reverse])
        #expect(theme.style("list.unread", selected: true, focused: false).attributes == [.bold, .underline])
        #expect(theme.style("status").background == .rgb(255, 0, 0))
        #expect(theme.style("header.label").foreground == .indexed(244))
        #expect(theme.style("body.quote").attributes == [.dim])
        #expect(Theme.matches("list.*", "list.unread") && !Theme.matches("list.*", "listing") && Theme.matches("*.selected", "a.selected"))
    }
}

@Suite struct TextLayoutTests {
    @Test func groupsThousands() {
        #expect([0, 7, 999, 1_000, 21_274, 100_000, 1_234_567, -4_500].map(TextLayout.grouped)
                == ["0", "7", "999", "1,000", "21,274", "100,000", "1,234,567", "-4,500"])
    }

    @Test func wrapsByDisplayWidthAtWordsAndBreaksLongWords() {
        #expect(TextLayout.wrap("the quick brown fox", width: 10) == ["the quick", "brown fox"])
        #expect(TextLayout.wrap("東京都の天気は晴れ", width: 6) == ["東京都", "の天気", "は晴れ"])
        #expect(TextLayout.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        #expect(TextLayout.wrap("a\n\nb", width: 4) == ["a", "", "b"])
    }
}
