import Testing
import Terminal

@Suite struct KeyNotationTests {
    @Test func plainCharactersAreASequence() throws {
        #expect(try KeyNotation.parse("gg") == [.character("g"), .character("g")])
        #expect(try KeyNotation.parse("*a") == [.character("*"), .character("a")])
        #expect(try KeyNotation.parse("#") == [.character("#")])
    }

    @Test(arguments: [
        ("<C-d>", Key.control("d")), ("<c-D>", .control("d")), ("<Enter>", .enter), ("<CR>", .enter),
        ("<Esc>", .escape), ("<Tab>", .tab), ("<S-Tab>", .backTab), ("<BackTab>", .backTab),
        ("<PgDn>", .pageDown), ("<PgUp>", .pageUp), ("<Home>", .home), ("<End>", .end),
        ("<Up>", .up), ("<Down>", .down), ("<Left>", .left), ("<Right>", .right), ("<F5>", .function(5)),
        ("<f12>", .function(12)), ("<M-x>", .alt("x")), ("<A-x>", .alt("x")), ("<Space>", .character(" ")),
        ("<BS>", .backspace), ("<Del>", .delete), ("<lt>", .character("<")), ("<M-lt>", .alt("<")),
        ("<C-Space>", .control("@")),
    ])
    func namedKeys(_ notation: String, _ key: Key) throws {
        #expect(try KeyNotation.parse(notation) == [key])
    }

    @Test func controlKeysTheTerminalSendsAsOtherKeysBindToThoseKeys() throws {
        #expect(try KeyNotation.parse("<C-h><C-i><C-m><C-[>") == [.backspace, .tab, .enter, .escape])
    }

    @Test func namesMixWithCharacters() throws {
        #expect(try KeyNotation.parse("g<lt>x<C-w>>") == [.character("g"), .character("<"), .character("x"), .control("w"), .character(">")])
    }

    @Test(arguments: [
        ("<Foo>", "<Foo>"), ("<C-Up>", "<C-Up>"), ("a<b", "unterminated"), ("<>", "unterminated"), ("", "empty"),
        ("<F99>", "<F99>"), ("<C-M-x>", "one modifier"), ("a\u{1B}", "control character"), ("<S-1>", "<S-1>"),
    ])
    func errorsExplainWhatIsWrong(_ notation: String, _ fragment: String) {
        #expect {
            try KeyNotation.parse(notation)
        } throws: { error in
            guard let error = error as? KeyNotationError else { return false }
            return error.message.contains(fragment)
        }
    }

    @Test(arguments: [
        "gg", "<C-d>", "<Enter>", "<Esc>", "<Tab>", "<S-Tab>", "<PgDn>", "<PgUp>", "<Home>", "<End>",
        "<Up><Down><Left><Right>", "<F5>", "<M-x>", "<Space>", "<BS>", "<Del>", "<lt>", "g<lt>", "<M-lt>", "<C-Space>",
        "<Insert>", "*a", "<M-gt>",
    ])
    func formatInvertsParse(_ notation: String) throws {
        #expect(KeyNotation.format(try KeyNotation.parse(notation)) == notation)
    }

    @Test func parseInvertsFormat() throws {
        let keys: [Key] = [.character("g"), .character("<"), .character(" "), .character(">"), .character("中"), .control("a"), .control("_"),
                           .alt("j"), .alt(" "), .alt("<"), .alt(">"), .alt("-"), .up, .down, .left, .right, .pageUp, .pageDown, .home, .end,
                           .insert, .delete, .backspace, .enter, .escape, .tab, .backTab, .function(1), .function(63)]
        #expect(try KeyNotation.parse(KeyNotation.format(keys)) == keys)
    }
}
