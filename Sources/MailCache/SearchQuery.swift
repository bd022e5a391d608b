import GRDB
import MailCore

/// How a parsed search becomes SQL over the `message` table (see `MessageQuery.whereClause`).
///
/// The user's words reach FTS5 only as quoted strings (`"` doubled inside), bound as a
/// parameter: inside quotes FTS5 gives no character a meaning (`*`, `^`, `:`, parentheses,
/// AND/OR/NOT/NEAR are text), so no input is a syntax error or a column filter the user did
/// not ask for. Operators and column filters come only from this code.
extension MessageSearch {
    /// A condition on `message` (parenthesised, ready to be joined with AND), or nil when the
    /// search is empty.
    var sqlFilter: (String, StatementArguments)? {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        let included = phrases.filter { !$0.isExcluded }.map(Self.matchExpression)
        let excluded = phrases.filter(\.isExcluded).map(Self.matchExpression)
        let matching = "SELECT rowid FROM messageSearch WHERE messageSearch MATCH ?"
        if !included.isEmpty {
            var expression = included.joined(separator: " AND ")
            if !excluded.isEmpty { expression = "(\(expression)) NOT (\(excluded.joined(separator: " OR ")))" }
            clauses.append("message.rowid IN (\(matching))")
            arguments += [expression]
        } else if !excluded.isEmpty {
            clauses.append("message.rowid NOT IN (\(matching))")
            arguments += [excluded.joined(separator: " OR ")]
        }
        for filter in filters {
            let condition = switch filter.condition {
            case .unread: "isRead = 0"
            case .read: "isRead = 1"
            case .flagged: "flag = '\(FlagStatus.flagged.rawValue)'"
            case .mentioned: "isMentioned = 1"
            case .important: "importance = '\(Importance.high.rawValue)'"
            case .attachment: "hasAttachments = 1"
            }
            clauses.append(filter.isExcluded ? "NOT (\(condition))" : condition)
        }
        guard !clauses.isEmpty else { return nil }
        return ("(" + clauses.joined(separator: " AND ") + ")", arguments)
    }

    /// One phrase as an FTS5 expression: an optional column filter, then the quoted text.
    static func matchExpression(_ phrase: Phrase) -> String {
        let columns = switch phrase.field {
        case .anywhere: ""
        case .from: "{fromName fromAddress} : "
        case .subject: "{subject} : "
        case .body: "{text} : "
        }
        let quoted = "\"" + phrase.text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return columns + quoted + (phrase.isPrefix ? "*" : "")
    }
}
