import Foundation

/// The KQL subset of `$search` on messages (GRAPH.md §2.4).
///
/// - A bare word or `"quoted phrase"` searches `from`, `subject` and `body`.
/// - Property restrictions: `from:`, `to:`, `cc:`, `bcc:`, `participants:` (from, to, cc,
///   bcc), `recipients:` (to, cc, bcc), `subject:`, `body:`, `attachment:` (attachment
///   names), `hasAttachments:true|false`, `importance:low|normal|high`.
/// - Terms next to each other must all match; `AND`, `OR` and `NOT` (upper case, as KQL
///   requires) and parentheses combine them.
///
/// Matching works on words: text is split at anything that is not a letter or a digit, and
/// a term matches where its words appear in a row, the last one as a prefix (Exchange's
/// search finds "meeting" for "meet"); a trailing `*` is accepted and means the same. An
/// address such as `from:alex@contoso.com` is therefore the phrase "alex contoso com".
/// Restrictions Exchange knows but the emulator does not (`received:`, `sent:`, `size:`,
/// `kind:`) are refused with 400 rather than ignored.
struct MessageSearch: Sendable, Equatable {
    enum Field: String, Sendable, CaseIterable {
        case from, to, cc, bcc, participants, recipients, subject, body, attachment
    }

    indirect enum Term: Sendable, Equatable {
        /// Words that must appear in a row in one of `fields` (nil: from, subject and body), as
        /// the `SearchText` pattern ` w1 w2 … wn`.
        case words([UInt8], fields: Field?)
        case hasAttachments(Bool)
        case importance(EmulatedMessage.Importance)
        case and([Term])
        case or([Term])
        case not(Term)
    }

    var term: Term

    /// Graph's cap on `$search` results (`C:concepts/search-query-parameter.md`).
    static let maximumResults = 1000

    static func parse(_ raw: String) throws(QueryError) -> MessageSearch {
        var text = raw.trimmingCharacters(in: .whitespaces)
        // The whole expression is normally sent in double quotes (`$search="pizza"`); inner
        // phrases are then written as \"…\".
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        var parser = Parser(tokens: try tokenize(text))
        guard !parser.tokens.isEmpty else { throw .badRequest("The $search expression is empty.") }
        let term = try parser.disjunction()
        guard parser.position == parser.tokens.count else {
            throw .badRequest("Syntax error in $search near '\(parser.tokens[parser.position].text)'.")
        }
        return MessageSearch(term: term)
    }

    // MARK: Matching

    /// Whether `message` matches. Bodies are reduced to text only when a term needs them.
    func matches(_ message: EmulatedMessage) -> Bool {
        var cache = FieldCache(message: message)
        return Self.evaluate(term, &cache)
    }

    private static func evaluate(_ term: Term, _ cache: inout FieldCache) -> Bool {
        switch term {
        case .words(let pattern, let field):
            let fields: [Field] = field.map { [$0] } ?? [.from, .subject, .body]
            for field in fields {
                // Reducing a body to words costs far more than a plain substring test of one of
                // the term's words, which rules most bodies out.
                if field == .body, let word = longestASCIIWord(pattern),
                   cache.body.content.range(of: word, options: .caseInsensitive) == nil {
                    continue
                }
                if SearchText.contains(cache.text(field), pattern) { return true }
            }
            return false
        case .hasAttachments(let value):
            return cache.message.hasAttachments == value
        case .importance(let value):
            return cache.message.importance == value
        case .and(let terms):
            for term in terms where !evaluate(term, &cache) { return false }
            return true
        case .or(let terms):
            for term in terms where evaluate(term, &cache) { return true }
            return false
        case .not(let term):
            return !evaluate(term, &cache)
        }
    }

    /// The longest word of a pattern when it is plain ASCII (nil otherwise: a case-insensitive
    /// substring test of other scripts would not agree with the word match).
    private static func longestASCIIWord(_ pattern: [UInt8]) -> String? {
        guard pattern.allSatisfy({ $0 < 0x80 }) else { return nil }
        let longest = pattern.split(separator: 0x20).max { $0.count < $1.count }
        return longest.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Each field's searchable text, computed at most once per message.
    private struct FieldCache {
        let message: EmulatedMessage
        private var computed: [Field: [UInt8]] = [:]
        private var composedBody: EmulatedMessage.Body?

        init(message: EmulatedMessage) {
            self.message = message
        }

        /// Generated bodies are composed on demand, so once per message.
        var body: EmulatedMessage.Body {
            mutating get {
                if let composedBody { return composedBody }
                let body = message.body
                composedBody = body
                return body
            }
        }

        mutating func text(_ field: Field) -> [UInt8] {
            if let text = computed[field] { return text }
            let text: [UInt8]
            if field == .body {
                let body = self.body
                text = SearchText.normalized(body.content, html: body.contentType == .html)
            } else {
                text = SearchText.normalized(plainText(of: field), html: false)
            }
            computed[field] = text
            return text
        }

        private func plainText(of field: Field) -> String {
            func people(_ recipients: [EmulatedMessage.Recipient]) -> String {
                recipients.map { "\($0.name) \($0.address)" }.joined(separator: " ")
            }
            let from = message.from.map { [$0] } ?? []
            switch field {
            case .from: return people(from)
            case .to: return people(message.toRecipients)
            case .cc: return people(message.ccRecipients)
            case .bcc: return people(message.bccRecipients)
            case .participants: return people(from + message.toRecipients + message.ccRecipients + message.bccRecipients)
            case .recipients: return people(message.toRecipients + message.ccRecipients + message.bccRecipients)
            case .subject: return message.subject
            case .body: return ""
            case .attachment: return message.attachments.map(\.name).joined(separator: " ")
            }
        }
    }

    // MARK: Parsing

    struct Token: Equatable {
        enum Kind: Equatable { case text, phrase, open, close }
        var kind: Kind
        var text: String
        /// `from` in `from:alex`.
        var property: String?
    }

    private static func tokenize(_ text: String) throws(QueryError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        func readPhrase() throws(QueryError) -> String {
            index += 1
            var value = ""
            while index < characters.count, characters[index] != "\"" {
                value.append(characters[index])
                index += 1
            }
            guard index < characters.count else { throw .badRequest("Syntax error in $search: unterminated quoted phrase.") }
            index += 1
            return value
        }
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character == "(" {
                tokens.append(Token(kind: .open, text: "("))
                index += 1
            } else if character == ")" {
                tokens.append(Token(kind: .close, text: ")"))
                index += 1
            } else if character == "\"" {
                tokens.append(Token(kind: .phrase, text: try readPhrase()))
            } else {
                var word = ""
                while index < characters.count, !characters[index].isWhitespace, characters[index] != "(",
                      characters[index] != ")", characters[index] != "\"" {
                    word.append(characters[index])
                    index += 1
                }
                // `subject:"quarterly plan"`: a restriction followed directly by a phrase.
                if word.hasSuffix(":"), index < characters.count, characters[index] == "\"" {
                    tokens.append(Token(kind: .phrase, text: try readPhrase(), property: String(word.dropLast())))
                } else if let colon = word.firstIndex(of: ":"), colon != word.startIndex {
                    let value = String(word[word.index(after: colon)...])
                    guard !value.isEmpty else { throw .badRequest("Syntax error in $search: '\(word)' has no value.") }
                    tokens.append(Token(kind: .text, text: value, property: String(word[..<colon])))
                } else {
                    tokens.append(Token(kind: .text, text: word))
                }
            }
        }
        return tokens
    }

    private struct Parser {
        let tokens: [Token]
        var position = 0

        init(tokens: [Token]) {
            self.tokens = tokens
        }

        private func isOperator(_ name: String) -> Bool {
            position < tokens.count && tokens[position].kind == .text && tokens[position].property == nil
                && tokens[position].text == name
        }

        mutating func disjunction() throws(QueryError) -> Term {
            var terms = [try conjunction()]
            while isOperator("OR") {
                position += 1
                terms.append(try conjunction())
            }
            return terms.count == 1 ? terms[0] : .or(terms)
        }

        /// Adjacent terms, with or without `AND` between them.
        private mutating func conjunction() throws(QueryError) -> Term {
            var terms = [try unary()]
            while position < tokens.count, tokens[position].kind != .close, !isOperator("OR") {
                if isOperator("AND") { position += 1 }
                terms.append(try unary())
            }
            return terms.count == 1 ? terms[0] : .and(terms)
        }

        private mutating func unary() throws(QueryError) -> Term {
            if isOperator("NOT") {
                position += 1
                return .not(try unary())
            }
            guard position < tokens.count else { throw .badRequest("Syntax error in $search: the expression ends too early.") }
            let token = tokens[position]
            position += 1
            switch token.kind {
            case .open:
                let inner = try disjunction()
                guard position < tokens.count, tokens[position].kind == .close else {
                    throw .badRequest("Syntax error in $search: missing ')'.")
                }
                position += 1
                return inner
            case .close:
                throw .badRequest("Syntax error in $search: unexpected ')'.")
            case .text, .phrase:
                return try restriction(token)
            }
        }

        private func restriction(_ token: Token) throws(QueryError) -> Term {
            var value = token.text
            if token.kind == .text, value.hasSuffix("*") { value.removeLast() }
            guard let property = token.property?.lowercased() else {
                return try words(value, field: nil)
            }
            switch property {
            case "hasattachment", "hasattachments":
                switch value.lowercased() {
                case "true", "yes": return .hasAttachments(true)
                case "false", "no": return .hasAttachments(false)
                default: throw .badRequest("Syntax error in $search: hasAttachments takes true or false, not '\(value)'.")
                }
            case "importance":
                guard let importance = EmulatedMessage.Importance(rawValue: value.lowercased()) else {
                    throw .badRequest("Syntax error in $search: importance takes low, normal or high, not '\(value)'.")
                }
                return .importance(importance)
            default:
                guard let field = Field(rawValue: property) else {
                    throw .badRequest("The emulator does not support the $search property restriction '\(token.property ?? "")'.")
                }
                return try words(value, field: field)
            }
        }

        private func words(_ text: String, field: Field?) throws(QueryError) -> Term {
            var pattern = SearchText.normalized(text, html: false)
            pattern.removeLast()
            // A term of punctuation only matches nothing rather than everything.
            guard pattern.count > 1 else { return .or([]) }
            return .words(pattern, fields: field)
        }
    }
}

/// Text reduced for `$search`: lower-case words separated by single spaces, with a space at
/// both ends, as UTF-8. A term's words in a row, the last one as a prefix, are then the byte
/// pattern " w1 w2 … wn" (its leading space marks a word start).
///
/// Working on bytes rather than on `Character`s keeps a body search over a 100,000-message
/// mailbox to seconds: HTML is reduced in the same pass (tags skipped, the contents of
/// `head`, `style` and `script` dropped, common entities decoded). Letters and digits of any
/// script are word characters; everything else separates words.
enum SearchText {
    static func normalized(_ text: String, html: Bool) -> [UInt8] {
        var source = text
        var hasNonASCII = false
        // Every input byte yields at most one output byte, except entities (up to four bytes
        // for one scalar written as at least four), so the input length plus the two spaces bounds it.
        var out = [UInt8](repeating: 0x20, count: source.utf8.count + 2)
        let length = source.withUTF8 { bytes in
            out.withUnsafeMutableBufferPointer { output in
                var written = 1  // the leading space
                var lastWasSpace = true
                func appendScalar(_ scalar: Unicode.Scalar) {
                    let value = scalar.value
                    if value < 0x80 {
                        let byte = UInt8(value)
                        if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) {
                            output[written] = byte
                        } else if byte >= 0x41 && byte <= 0x5A {
                            output[written] = byte | 0x20
                        } else {
                            if !lastWasSpace { output[written] = 0x20; written += 1; lastWasSpace = true }
                            return
                        }
                        written += 1
                        lastWasSpace = false
                    } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                        hasNonASCII = true
                        for unit in String(scalar).utf8 {
                            output[written] = unit
                            written += 1
                        }
                        lastWasSpace = false
                    } else if !lastWasSpace {
                        output[written] = 0x20
                        written += 1
                        lastWasSpace = true
                    }
                }
                var index = 0
                let count = bytes.count
                while index < count {
                    let byte = bytes[index]
                    if byte >= 0x61 && byte <= 0x7A || byte >= 0x30 && byte <= 0x39 {
                        output[written] = byte
                        written += 1
                        lastWasSpace = false
                        index += 1
                    } else if byte >= 0x41 && byte <= 0x5A {
                        output[written] = byte | 0x20
                        written += 1
                        lastWasSpace = false
                        index += 1
                    } else if html && byte == 0x3C {  // "<"
                        index = skipTag(bytes, from: index)
                        if !lastWasSpace { output[written] = 0x20; written += 1; lastWasSpace = true }
                    } else if html && byte == 0x26 {  // "&"
                        let (scalar, next) = entity(bytes, from: index)
                        index = next
                        appendScalar(scalar ?? "&")
                    } else if byte < 0x80 {
                        if !lastWasSpace { output[written] = 0x20; written += 1; lastWasSpace = true }
                        index += 1
                    } else {
                        // A multi-byte UTF-8 sequence (the string is valid UTF-8).
                        let end = min(index + (byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2), count)
                        var decoder = UTF8()
                        var iterator = UnsafeBufferPointer(rebasing: bytes[index..<end]).makeIterator()
                        if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                            appendScalar(scalar)
                        } else if !lastWasSpace {
                            output[written] = 0x20
                            written += 1
                            lastWasSpace = true
                        }
                        index = end
                    }
                }
                if !lastWasSpace { written += 1 }  // the buffer is pre-filled with spaces
                return written
            }
        }
        out.removeLast(out.count - length)
        guard hasNonASCII else { return out }
        return Array(String(decoding: out, as: UTF8.self).lowercased().utf8)
    }

    /// Whether `pattern` occurs in `text`.
    static func contains(_ text: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard !pattern.isEmpty, text.count >= pattern.count else { return false }
        return text.withUnsafeBufferPointer { haystack in
            pattern.withUnsafeBufferPointer { needle in
                let first = needle[0]
                let last = haystack.count - needle.count
                var start = 0
                while start <= last {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < needle.count, haystack[start + offset] == needle[offset] { offset += 1 }
                        if offset == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    /// The index after the tag at `start`; after the closing tag for elements whose content is
    /// not text (`head`, `style`, `script`).
    private static func skipTag(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count, bytes[index] != 0x3E { index += 1 }
        let end = min(index + 1, bytes.count)
        for name in skippedElements where hasPrefix(bytes, at: start + 1, name) {
            let after = start + 1 + name.count
            guard after < bytes.count, bytes[after] == 0x3E || bytes[after] == 0x20 || bytes[after] == 0x09
                || bytes[after] == 0x0A || bytes[after] == 0x0D
            else { continue }
            let closing = Array("</".utf8) + name
            var search = end
            while search < bytes.count {
                if bytes[search] == 0x3C, hasPrefix(bytes, at: search, closing) {
                    var close = search
                    while close < bytes.count, bytes[close] != 0x3E { close += 1 }
                    return min(close + 1, bytes.count)
                }
                search += 1
            }
            return bytes.count
        }
        return end
    }

    private static let skippedElements = ["head", "style", "script"].map { Array($0.utf8) }

    /// Case-insensitive ASCII prefix test.
    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, _ prefix: [UInt8]) -> Bool {
        guard start + prefix.count <= bytes.count else { return false }
        for offset in 0..<prefix.count where bytes[start + offset] | 0x20 != prefix[offset] | 0x20 {
            return false
        }
        return true
    }

    /// Decodes `&name;`, `&#123;` or `&#x1F;` at `start`; nil (and the next index) when it is
    /// not an entity the search knows.
    private static func entity(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (Unicode.Scalar?, Int) {
        var end = start + 1
        while end < bytes.count, end - start <= 10, bytes[end] != 0x3B, bytes[end] != 0x26, bytes[end] != 0x3C { end += 1 }
        guard end < bytes.count, bytes[end] == 0x3B else { return (nil, start + 1) }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end]), as: UTF8.self)
        let scalar: Unicode.Scalar?
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
            scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
        } else if name.hasPrefix("#") {
            scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
        } else {
            scalar = namedEntities[name]
        }
        return scalar.map { ($0, end + 1) } ?? (nil, start + 1)
    }

    private static let namedEntities: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "eacute": "é", "egrave": "è",
        "uuml": "ü", "ouml": "ö", "auml": "ä", "szlig": "ß", "ccedil": "ç", "ntilde": "ñ", "rsquo": "’", "lsquo": "‘",
        "ldquo": "“", "rdquo": "”", "ndash": "–", "mdash": "—", "hellip": "…", "euro": "€",
    ]
}
