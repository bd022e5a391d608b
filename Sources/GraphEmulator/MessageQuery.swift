/// The `$filter` and `$orderby` subset the emulator understands for messages.
///
/// Anything outside it is rejected with a Graph-style 400 rather than ignored, so that a
/// client never believes a query was applied when it was not.
enum MessageProperty: String, Sendable, CaseIterable {
    case inferenceClassification, isRead, isDraft, hasAttachments, importance
    case flagStatus = "flag/flagStatus"
    case receivedDateTime, sentDateTime, createdDateTime, lastModifiedDateTime
    case subject, conversationId
    case fromAddress = "from/emailAddress/address"
    case fromName = "from/emailAddress/name"
    /// Beta only (GraphHandlers+Mentions.swift rejects it on v1.0).
    case mentionsPreview = "mentionsPreview/isMentioned"

    static let byLowercasedName: [String: MessageProperty] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })

    enum Kind { case boolean, enumeration([String]), date, string }

    var kind: Kind {
        switch self {
        case .isRead, .isDraft, .hasAttachments, .mentionsPreview: .boolean
        case .inferenceClassification: .enumeration(EmulatedMessage.Classification.allCases.map(\.rawValue))
        case .importance: .enumeration(EmulatedMessage.Importance.allCases.map(\.rawValue))
        case .flagStatus: .enumeration(EmulatedMessage.FlagStatus.allCases.map(\.rawValue))
        case .receivedDateTime, .sentDateTime, .createdDateTime, .lastModifiedDateTime: .date
        case .subject, .conversationId, .fromAddress, .fromName: .string
        }
    }

    /// A sortable value. Enumerations sort by their declaration order, as Exchange does.
    func value(of message: EmulatedMessage) -> QueryValue {
        switch self {
        case .inferenceClassification: .text(message.inferenceClassification.rawValue)
        case .isRead: .boolean(message.isRead)
        case .isDraft: .boolean(message.isDraft)
        case .hasAttachments: .boolean(message.hasAttachments)
        case .importance: .text(message.importance.rawValue)
        case .flagStatus: .text(message.flag.status.rawValue)
        case .receivedDateTime: .date(message.received)
        case .sentDateTime: message.sent.map(QueryValue.date) ?? .null
        case .createdDateTime: .date(message.created)
        case .lastModifiedDateTime: .date(message.lastModified)
        case .subject: .text(message.subject)
        case .conversationId: .text(message.conversationID)
        case .fromAddress: message.from.map { .text($0.address) } ?? .null
        case .fromName: message.from.map { .text($0.name) } ?? .null
        case .mentionsPreview: .boolean(message.mentionsOwner)
        }
    }

    func rank(of message: EmulatedMessage) -> Int? {
        switch self {
        case .inferenceClassification: message.inferenceClassification == .focused ? 0 : 1
        case .importance: EmulatedMessage.Importance.allCases.firstIndex(of: message.importance)
        case .flagStatus: EmulatedMessage.FlagStatus.allCases.firstIndex(of: message.flag.status)
        default: nil
        }
    }
}

enum QueryValue: Sendable, Equatable {
    case text(String)
    case boolean(Bool)
    case date(Int64)
    case null
}

/// A 400 answer to a query option the emulator cannot honour.
struct QueryError: Error, Equatable {
    var code: String
    var message: String

    static func badRequest(_ message: String) -> QueryError {
        QueryError(code: "BadRequest", message: message)
    }

    static func unknownProperty(_ name: String, type: String = "microsoft.graph.message") -> QueryError {
        QueryError(code: "RequestBroker--ParseUri", message: "Could not find a property named '\(name)' on type '\(type)'.")
    }
}

/// A parsed `$filter`: comparisons and `categories/any(…)` lambdas joined by `and` and `or`,
/// with parentheses. Property names are matched without regard to case, as Graph does
/// (`ReceivedDateTime ge 2017-04-01`); string comparisons ignore case, as Exchange does.
struct MessageFilter: Sendable, Equatable {
    enum Operator: String, Sendable {
        case eq, ne, gt, ge, lt, le
    }

    struct Clause: Sendable, Equatable {
        var property: MessageProperty
        var op: Operator
        var value: QueryValue
    }

    indirect enum Expression: Sendable, Equatable {
        case comparison(Clause)
        /// `categories/any(c: c eq 'Red')`; a nil clause is `categories/any()` (any category at all).
        case anyCategory(Operator, String)
        case hasCategories
        case and([Expression])
        case or([Expression])
    }

    var expression: Expression

    /// Every comparison in the order written (lambdas excluded).
    var clauses: [Clause] {
        var result: [Clause] = []
        func visit(_ expression: Expression) {
            switch expression {
            case .comparison(let clause): result.append(clause)
            case .anyCategory, .hasCategories: break
            case .and(let parts), .or(let parts): parts.forEach(visit)
            }
        }
        visit(expression)
        return result
    }

    /// Lower-cased names of the filtered properties in order of first appearance, for
    /// Exchange's `$orderby` rule (`categories` for a lambda).
    var propertyNames: [String] {
        var result: [String] = []
        func visit(_ expression: Expression) {
            let name: String
            switch expression {
            case .comparison(let clause): name = clause.property.rawValue.lowercased()
            case .anyCategory, .hasCategories: name = "categories"
            case .and(let parts), .or(let parts):
                parts.forEach(visit)
                return
            }
            if !result.contains(name) { result.append(name) }
        }
        visit(expression)
        return result
    }

    func matches(_ message: EmulatedMessage) -> Bool {
        Self.evaluate(expression, message)
    }

    private static func evaluate(_ expression: Expression, _ message: EmulatedMessage) -> Bool {
        switch expression {
        case .comparison(let clause):
            return compare(clause.property.value(of: message), clause.op, clause.value)
        case .anyCategory(let op, let name):
            return message.categories.contains { compare(.text($0), op, .text(name)) }
        case .hasCategories:
            return !message.categories.isEmpty
        case .and(let parts):
            return parts.allSatisfy { evaluate($0, message) }
        case .or(let parts):
            return parts.contains { evaluate($0, message) }
        }
    }

    private static func compare(_ left: QueryValue, _ op: Operator, _ right: QueryValue) -> Bool {
        switch (left, right) {
        case (.boolean(let a), .boolean(let b)):
            return op == .eq ? a == b : op == .ne ? a != b : false
        case (.text(let a), .text(let b)):
            let equal = a.lowercased() == b.lowercased()
            return op == .eq ? equal : op == .ne ? !equal : false
        case (.date(let a), .date(let b)):
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            case .gt: return a > b
            case .ge: return a >= b
            case .lt: return a < b
            case .le: return a <= b
            }
        case (.null, .null):
            return op == .eq
        case (.null, _), (_, .null):
            return op == .ne
        default:
            return false
        }
    }

    // MARK: Parsing

    /// `or` binds looser than `and`: `a and b or c` is `(a and b) or c`.
    static func parse(_ text: String) throws(QueryError) -> MessageFilter {
        var parser = Parser(tokens: try FilterTokenizer.tokenize(text))
        let expression = try parser.disjunction()
        guard parser.position == parser.tokens.count else {
            throw .badRequest("Invalid filter clause: unexpected '\(parser.tokens[parser.position].text)'.")
        }
        return MessageFilter(expression: expression)
    }

    private struct Parser {
        let tokens: [FilterToken]
        var position = 0

        init(tokens: [FilterToken]) {
            self.tokens = tokens
        }

        private func isKeyword(_ word: String) -> Bool {
            position < tokens.count && tokens[position].kind == .word && tokens[position].text.lowercased() == word
        }

        mutating func disjunction() throws(QueryError) -> Expression {
            var parts = [try conjunction()]
            while isKeyword("or") {
                position += 1
                parts.append(try conjunction())
            }
            return parts.count == 1 ? parts[0] : .or(parts)
        }

        private mutating func conjunction() throws(QueryError) -> Expression {
            var parts = [try term()]
            while isKeyword("and") {
                position += 1
                parts.append(try term())
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        private mutating func term() throws(QueryError) -> Expression {
            guard position < tokens.count else { throw .badRequest("Invalid filter clause: the expression ends too early.") }
            let token = tokens[position]
            if token.kind == .open {
                position += 1
                let inner = try disjunction()
                guard position < tokens.count, tokens[position].kind == .close else {
                    throw .badRequest("Invalid filter clause: missing ')'.")
                }
                position += 1
                return inner
            }
            guard token.kind == .word else { throw .badRequest("Invalid filter clause near '\(token.text)'.") }
            let name = token.text.lowercased()
            if name == "categories/any" {
                return try categoriesLambda()
            }
            if position + 1 < tokens.count, tokens[position + 1].kind == .open {
                throw .badRequest("The emulator does not support the function '\(token.text)' in $filter.")
            }
            if name == "not" {
                throw .badRequest("The emulator does not support 'not' in $filter.")
            }
            guard let property = MessageProperty.byLowercasedName[name] else {
                if token.text.contains("/") || token.text.first?.isLetter == true {
                    throw .unknownProperty(token.text)
                }
                throw .badRequest("Invalid filter clause near '\(token.text)'.")
            }
            guard position + 2 < tokens.count, tokens[position + 1].kind == .word,
                  let op = Operator(rawValue: tokens[position + 1].text.lowercased())
            else {
                throw .badRequest("Invalid filter clause: expected a comparison operator after '\(token.text)'.")
            }
            let literal = tokens[position + 2]
            position += 3
            let value = try MessageFilter.convert(literal, for: property)
            switch property.kind {
            case .boolean, .enumeration, .string:
                guard op == .eq || op == .ne else {
                    throw .badRequest("The operator '\(op.rawValue)' is not supported for '\(property.rawValue)'.")
                }
            case .date:
                break
            }
            return .comparison(Clause(property: property, op: op, value: value))
        }

        /// `categories/any(c: c eq 'Red')`, `categories/any(c:c eq 'Red')` or `categories/any()`.
        private mutating func categoriesLambda() throws(QueryError) -> Expression {
            position += 1
            guard position < tokens.count, tokens[position].kind == .open else {
                throw .badRequest("Invalid filter clause: 'categories/any' must be followed by '('.")
            }
            position += 1
            if position < tokens.count, tokens[position].kind == .close {
                position += 1
                return .hasCategories
            }
            // The range variable is declared as `c:` and referenced right after, with or
            // without a space between.
            guard position < tokens.count, tokens[position].kind == .word, let colon = tokens[position].text.firstIndex(of: ":")
            else { throw .badRequest("Invalid filter clause: expected a lambda variable such as 'c:' in categories/any.") }
            let variable = String(tokens[position].text[..<colon])
            var reference = String(tokens[position].text[tokens[position].text.index(after: colon)...])
            position += 1
            if reference.isEmpty {
                guard position < tokens.count, tokens[position].kind == .word else {
                    throw .badRequest("Invalid filter clause in categories/any.")
                }
                reference = tokens[position].text
                position += 1
            }
            guard !variable.isEmpty, reference == variable else {
                throw .badRequest("Invalid filter clause: the lambda in categories/any must compare its variable '\(variable)'.")
            }
            guard position + 2 < tokens.count, tokens[position].kind == .word,
                  let op = Operator(rawValue: tokens[position].text.lowercased()), op == .eq || op == .ne,
                  tokens[position + 1].kind == .string, tokens[position + 2].kind == .close
            else {
                throw .badRequest("Invalid filter clause: categories/any supports '\(variable) eq 'name'' only.")
            }
            let name = tokens[position + 1].text
            position += 3
            return .anyCategory(op, name)
        }
    }

    fileprivate static func convert(_ literal: FilterToken, for property: MessageProperty) throws(QueryError) -> QueryValue {
        if literal.kind == .word, literal.text.lowercased() == "null" { return .null }
        switch property.kind {
        case .boolean:
            switch (literal.kind, literal.text.lowercased()) {
            case (.word, "true"): return .boolean(true)
            case (.word, "false"): return .boolean(false)
            default: throw .badRequest("'\(literal.text)' is not a Boolean value for '\(property.rawValue)'.")
            }
        case .enumeration(let names):
            guard literal.kind == .string, let name = names.first(where: { $0.lowercased() == literal.text.lowercased() })
            else {
                throw .badRequest("The string '\(literal.text)' is not a valid enumeration type constant for '\(property.rawValue)'.")
            }
            return .text(name)
        case .date:
            guard let seconds = GraphDate.parse(literal.text) else {
                throw .badRequest("'\(literal.text)' is not a valid DateTimeOffset for '\(property.rawValue)'.")
            }
            return .date(seconds)
        case .string:
            guard literal.kind == .string else {
                throw .badRequest("'\(property.rawValue)' must be compared with a quoted string.")
            }
            return .text(literal.text)
        }
    }
}

struct FilterToken: Equatable {
    enum Kind { case word, string, open, close }
    var kind: Kind
    var text: String
}

enum FilterTokenizer {
    static func tokenize(_ text: String) throws(QueryError) -> [FilterToken] {
        var tokens: [FilterToken] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character == "(" {
                tokens.append(FilterToken(kind: .open, text: "("))
                index += 1
            } else if character == ")" {
                tokens.append(FilterToken(kind: .close, text: ")"))
                index += 1
            } else if character == "'" {
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            value.append("'")
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    value.append(characters[index])
                    index += 1
                }
                guard closed else { throw .badRequest("Invalid filter clause: unterminated string literal.") }
                tokens.append(FilterToken(kind: .string, text: value))
            } else {
                var word = ""
                while index < characters.count, !characters[index].isWhitespace, characters[index] != "(",
                      characters[index] != ")", characters[index] != "'" {
                    word.append(characters[index])
                    index += 1
                }
                tokens.append(FilterToken(kind: .word, text: word))
            }
        }
        return tokens
    }
}

struct MessageOrder: Sendable, Equatable {
    struct Key: Sendable, Equatable {
        var property: MessageProperty
        var descending: Bool
    }

    var keys: [Key]

    static let newestFirst = MessageOrder(keys: [Key(property: .receivedDateTime, descending: true)])

    /// `nil` when the order is the index order (newest first) or its exact reverse.
    var indexDirection: Bool? {
        guard keys.count == 1, keys[0].property == .receivedDateTime else { return nil }
        return keys[0].descending
    }

    static func parse(_ text: String) throws(QueryError) -> MessageOrder {
        var keys: [Key] = []
        for part in text.split(separator: ",") {
            let words = part.split(whereSeparator: \.isWhitespace)
            guard let name = words.first, words.count <= 2 else {
                throw .badRequest("Invalid $orderby expression '\(part)'.")
            }
            guard let property = MessageProperty.byLowercasedName[name.lowercased()] else {
                throw .unknownProperty(String(name))
            }
            var descending = false
            if words.count == 2 {
                switch words[1].lowercased() {
                case "asc": descending = false
                case "desc": descending = true
                default: throw .badRequest("Invalid $orderby direction '\(words[1])'.")
                }
            }
            keys.append(Key(property: property, descending: descending))
        }
        guard !keys.isEmpty else { throw .badRequest("$orderby is empty.") }
        return MessageOrder(keys: keys)
    }

    /// Whether `a` sorts before `b`; ties fall back to the index order.
    func precedes(_ a: EmulatedMessage, slotA: Int, _ b: EmulatedMessage, slotB: Int) -> Bool {
        for key in keys {
            let comparison = Self.compare(key.property, a, b)
            if comparison != 0 { return key.descending ? comparison > 0 : comparison < 0 }
        }
        return MessageIndex.precedes(.init(received: a.received, slot: slotA), .init(received: b.received, slot: slotB))
    }

    private static func compare(_ property: MessageProperty, _ a: EmulatedMessage, _ b: EmulatedMessage) -> Int {
        if let rankA = property.rank(of: a), let rankB = property.rank(of: b) {
            return rankA < rankB ? -1 : rankA > rankB ? 1 : 0
        }
        switch (property.value(of: a), property.value(of: b)) {
        case (.date(let x), .date(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.boolean(let x), .boolean(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.text(let x), .text(let y)):
            let (lx, ly) = (x.lowercased(), y.lowercased())
            return lx < ly ? -1 : lx > ly ? 1 : 0
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        default: return 0
        }
    }

    /// Exchange's rule for combining `$filter` and `$orderby` on messages: properties in
    /// `$orderby` must lead `$filter` in the same order, otherwise the request fails with
    /// `InefficientFilter`. (The documented rule also demands that every sorted property be
    /// filtered; real mailboxes accept a filter on the leading sort key alone, e.g.
    /// `$orderby=inferenceClassification,receivedDateTime desc&$filter=inferenceClassification eq 'focused'`,
    /// so the emulator checks the leading properties only.)
    static func checkEfficiency(filter: MessageFilter?, order: MessageOrder?) throws(QueryError) {
        guard let filter, let order else { return }
        let filterOrder = filter.propertyNames
        let sortOrder = order.keys.map { $0.property.rawValue.lowercased() }
        for (filtered, sorted) in zip(filterOrder, sortOrder) where filtered != sorted {
            throw QueryError(code: "InefficientFilter", message: "The restriction or sort order is too complex for this operation.")
        }
    }
}
