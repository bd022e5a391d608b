import MailCore
import Testing

/// The search language as the prompt sees it: what a typed text means, before any index.
@Suite struct MessageSearchTests {
    typealias Phrase = MessageSearch.Phrase

    func phrases(_ text: String) throws -> [Phrase] { try MessageSearch(text).phrases }

    @Test func wordsAndTheWordBeingTyped() throws {
        #expect(try phrases("invoice march") == [Phrase("invoice"), Phrase("march", isPrefix: true)])
        // Trailing space: the last word is complete.
        #expect(try phrases("invoice march ") == [Phrase("invoice"), Phrase("march")])
        // One letter is not expanded while typed (it would match nearly everything); `*` still does.
        #expect(try phrases("invoice m") == [Phrase("invoice"), Phrase("m")])
        #expect(try phrases("m* invoice ") == [Phrase("m", isPrefix: true), Phrase("invoice")])
        #expect(try MessageSearch("  \t ").isEmpty)
    }

    @Test func phrasesMayBeLeftOpen() throws {
        #expect(try phrases("\"quarterly report\" q3") == [Phrase("quarterly report"), Phrase("q3", isPrefix: true)])
        #expect(try phrases("\"quarterly rep") == [Phrase("quarterly rep", isPrefix: true)])
        #expect(try phrases("\"quarterly report\"* ") == [Phrase("quarterly report", isPrefix: true)])
        // A quote inside a word starts a phrase; the quote itself is never part of any text.
        #expect(try phrases("o\"brien x\" ") == [Phrase("o"), Phrase("brien x")])
    }

    @Test func fieldsConditionsAndExclusions() throws {
        let search = try MessageSearch("from:\"Alice Smith\" subject:Report -body:draft -is:read has:attachments is:fl ")
        #expect(search.phrases == [Phrase("Alice Smith", field: .from), Phrase("Report", field: .subject),
                                   Phrase("draft", field: .body, isExcluded: true)])
        #expect(search.filters == [MessageSearch.Filter(.read, isExcluded: true), MessageSearch.Filter(.attachment),
                                   MessageSearch.Filter(.flagged)])
        // Keys are case-insensitive; a key still without a value is skipped while typing.
        #expect(try phrases("FROM:bob subject:") == [Phrase("bob", field: .from)])
        #expect(try MessageSearch("is:").isEmpty)
    }

    @Test func unknownKeysAndOperatorsAreText() throws {
        #expect(try phrases("re: https://example.com/a?b=c ") == [Phrase("re:"), Phrase("https://example.com/a?b=c")])
        #expect(try phrases("fromAddress:x NEAR AND ") == [Phrase("fromAddress:x"), Phrase("NEAR"), Phrase("AND")])
        // Terms without a letter or digit would match nothing: they are dropped.
        #expect(try phrases("( ) * -- \"\" 🧾 … invoice ") == [Phrase("invoice")])
    }

    @Test func controlCharactersSeparateWords() throws {
        #expect(try phrases("in\u{0}voice\u{1B}[2J\u{85}x ") == [Phrase("in"), Phrase("voice"), Phrase("[2J"), Phrase("x")])
    }

    @Test func invalidInputSaysWhatIsWrong() throws {
        #expect {
            try MessageSearch("is:purple")
        } throws: { error in
            let message = String(describing: error)
            return message.contains("is:purple") && message.contains("is:unread") && message.contains("is:flagged")
        }
        #expect(throws: MessageSearch.ParseError.unknownValue(key: "has", value: "pdf", choices: ["attachment"])) {
            try MessageSearch("has:pdf")
        }
        #expect(throws: MessageSearch.ParseError.tooLong(limit: MessageSearch.maxLength)) {
            try MessageSearch(String(repeating: "a", count: MessageSearch.maxLength + 1))
        }
        _ = try MessageSearch(String(repeating: "a", count: MessageSearch.maxLength))
    }
}
