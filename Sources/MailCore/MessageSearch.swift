/// A search as the user typed it at the `/` prompt, parsed into what the cache looks for.
///
/// The language is the one aerc, notmuch and Outlook users already know:
///
/// - `invoice march`: every word must match (in the subject, sender, preview or a cached body);
///   case and accents are ignored, so `reunion` finds "Réunion".
/// - `"quarterly report"`: a phrase, its words next to each other in that order.
/// - `from:alice`, `from:alice@contoso.com`, `subject:report`, `body:contract`, each also with a
///   quoted phrase (`from:"Alice Smith"`).
/// - `is:unread`, `is:read`, `is:flagged`, `is:mentioned`, `is:important`, `has:attachment`
///   (a value may be shortened while it is unambiguous: `is:unr`).
/// - `-word`, `-from:bob`, `-is:read`: leave out what matches.
/// - `invo*`: a word prefix. The last word is a prefix by itself while it is being typed (no
///   space after it yet), so results follow the keystrokes; a single letter is not expanded,
///   as it would match nearly every message.
///
/// Anything else is text to find: operators and punctuation (`AND`, `NEAR`, parentheses, `^`)
/// have no special meaning, so no input can fail in the search engine. Control characters count
/// as spaces. Parsing fails only for an unknown `is:`/`has:` value or a text longer than
/// `maxLength`, with a message for the status line.
public struct MessageSearch: Hashable, Sendable {
    /// Where a phrase must occur.
    public enum Field: String, Hashable, Sendable {
        /// Subject, sender name or address, preview, or the body when it is cached.
        case anywhere
        /// The sender's name or address.
        case from
        case subject
        /// The preview or the cached body.
        case body
    }

    /// One word or phrase to find.
    public struct Phrase: Hashable, Sendable {
        /// The words as typed (never empty of letters or digits); punctuation between them is
        /// ignored by the index.
        public var text: String
        public var field: Field
        /// The last word may continue: `invo` matches "invoice".
        public var isPrefix: Bool
        /// Messages that match are left out.
        public var isExcluded: Bool

        public init(_ text: String, field: Field = .anywhere, isPrefix: Bool = false, isExcluded: Bool = false) {
            self.text = text
            self.field = field
            self.isPrefix = isPrefix
            self.isExcluded = isExcluded
        }
    }

    /// A condition on the envelope, from `is:` and `has:`.
    public enum Condition: String, Hashable, Sendable, CaseIterable {
        case unread, read, flagged, mentioned, important, attachment
    }

    public struct Filter: Hashable, Sendable {
        public var condition: Condition
        public var isExcluded: Bool

        public init(_ condition: Condition, isExcluded: Bool = false) {
            self.condition = condition
            self.isExcluded = isExcluded
        }
    }

    public enum ParseError: Error, Hashable, CustomStringConvertible {
        case tooLong(limit: Int)
        /// `key:value` with a value that is not one of `choices`.
        case unknownValue(key: String, value: String, choices: [String])

        public var description: String {
            switch self {
            case .tooLong(let limit):
                "the search is too long (at most \(limit) characters)"
            case .unknownValue(let key, let value, let choices):
                "unknown \(key):\(value.prefix(30)) (use \(choices.map { "\(key):\($0)" }.joined(separator: ", ")))"
            }
        }
    }

    /// Longer texts are refused: nobody types them, and each word costs a lookup in the index.
    public static let maxLength = 1_000

    /// The text as typed (for the prompt and the list title).
    public let text: String
    public private(set) var phrases: [Phrase] = []
    public private(set) var filters: [Filter] = []

    /// No words and no conditions: every message of the scope matches.
    public var isEmpty: Bool { phrases.isEmpty && filters.isEmpty }

    public init(_ text: String) throws {
        self.text = text
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        }))
        guard cleaned.count <= Self.maxLength else { throw ParseError.tooLong(limit: Self.maxLength) }
        let terms = Self.lex(Array(cleaned))
        for (index, term) in terms.enumerated() {
            switch term.key {
            case "is", "has":
                guard !term.text.isEmpty else { continue }   // "is:" being typed
                let choices: [Condition] = term.key == "is" ? [.unread, .read, .flagged, .mentioned, .important] : [.attachment]
                guard let condition = Self.resolve(term.text, among: choices) else {
                    throw ParseError.unknownValue(key: term.key ?? "", value: term.text, choices: choices.map(\.rawValue))
                }
                filters.append(Filter(condition, isExcluded: term.isExcluded))
            default:
                guard Self.hasTokenCharacters(term.text) else { continue }
                let typing = index == terms.count - 1 && !term.isClosed && Self.trailingWordLength(term.text) >= 2
                phrases.append(Phrase(term.text, field: Field(rawValue: term.key ?? "") ?? .anywhere,
                                      isPrefix: term.isExplicitPrefix || typing, isExcluded: term.isExcluded))
            }
        }
    }

    // MARK: Lexing

    private struct Term {
        var key: String?
        var text = ""
        var isExcluded = false
        /// Followed by a space or a closing quote: the user has finished it.
        var isClosed = false
        var isExplicitPrefix = false
    }

    private static let keys: Set<String> = ["from", "subject", "body", "is", "has"]

    /// Splits the text into terms: `-`? (`key:`)? (`"phrase"` | word). A quote may be left open.
    private static func lex(_ chars: [Character]) -> [Term] {
        var terms: [Term] = []
        var i = 0
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            var term = Term()
            if chars[i] == "-", i + 1 < chars.count, !chars[i + 1].isWhitespace {
                term.isExcluded = true
                i += 1
            }
            // A known key: letters then a colon. Other colons are text ("re:", URLs).
            var j = i
            while j < chars.count, chars[j].isLetter { j += 1 }
            if j < chars.count, chars[j] == ":", keys.contains(String(chars[i..<j]).lowercased()) {
                term.key = String(chars[i..<j]).lowercased()
                i = j + 1
            }
            if i < chars.count, chars[i] == "\"" {
                i += 1
                let start = i
                while i < chars.count, chars[i] != "\"" { i += 1 }
                term.text = String(chars[start..<i])
                term.isClosed = i < chars.count
                if term.isClosed { i += 1 }
                if i < chars.count, chars[i] == "*" {
                    term.isExplicitPrefix = true
                    i += 1
                }
            } else {
                let start = i
                while i < chars.count, !chars[i].isWhitespace, chars[i] != "\"" { i += 1 }
                var word = String(chars[start..<i])
                term.isClosed = i < chars.count
                if word.hasSuffix("*") {
                    word = String(word.reversed().drop { $0 == "*" }.reversed())
                    term.isExplicitPrefix = true
                }
                term.text = word
            }
            terms.append(term)
        }
        return terms
    }

    /// An exact value, or the only one it begins.
    private static func resolve(_ value: String, among choices: [Condition]) -> Condition? {
        let value = value.lowercased()
        let plural = value.hasSuffix("s") ? String(value.dropLast()) : value   // has:attachments
        if let exact = choices.first(where: { $0.rawValue == value || $0.rawValue == plural }) { return exact }
        let candidates = choices.filter { $0.rawValue.hasPrefix(value) }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// What SQLite's unicode61 tokenizer indexes: letters, digits and private-use characters;
    /// everything else separates words. A term without any would match nothing.
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            true
        default:
            false
        }
    }

    private static func hasTokenCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isTokenCharacter)
    }

    private static func trailingWordLength(_ text: String) -> Int {
        text.unicodeScalars.reversed().prefix(while: isTokenCharacter).count
    }
}
