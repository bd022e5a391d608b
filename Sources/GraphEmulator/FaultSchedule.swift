import Foundation

/// What a fault rule does to a request it fires on.
public enum FaultAction: Sendable, Equatable {
    /// Answers with this status in Graph's error envelope instead of running the request.
    /// `retryAfter` (seconds, sent as written, e.g. `2` or `2.128`) adds a `Retry-After` header.
    case status(Int, retryAfter: String?)
    /// Holds the request this long before running it (it keeps its throttle slot meanwhile).
    case latency(milliseconds: Int)
    /// Sends the status line, the headers and half the body, then closes the connection.
    case reset
    /// Sends the first half of the body as if it were all of it (Content-Length agrees).
    case truncate
    /// Answers 200 with an HTML page instead, as a captive portal or a proxy would.
    case html
    /// Replaces the value of every `field` in the JSON body with `value` (raw JSON text).
    case malformed(field: String, value: String)

    /// Faults of the HTTP exchange itself; they cannot happen to a request inside `$batch`.
    var isTransport: Bool {
        switch self {
        case .reset, .truncate, .html, .malformed: true
        case .status, .latency: false
        }
    }
}

/// One rule of a fault schedule: which requests it matches, what it does, and how often.
public struct FaultRule: Sendable, Equatable {
    /// Upper-case HTTP method, or nil for any.
    public var method: String?
    /// A path glob, matched without regard to case against the request path after the version
    /// (`/me/mailFolders/inbox/messages/delta`) and against its endpoint template
    /// (`/me/mailFolders/{id}/messages/delta`). `*` matches within a segment, `**` any number
    /// of segments; a pattern not starting with `/` may match any trailing part of the path.
    public var path: String
    public var action: FaultAction
    /// The first matching request (1-based) the rule may fire on.
    public var nth: Int
    /// How many times the rule fires; nil: without limit.
    public var count: Int?
    /// Chance of firing on each eligible request, drawn from the schedule's seed.
    public var probability: Double
    /// The rule stops firing at this instant.
    public var until: Date?
    /// The rule stops firing this long after the schedule is installed.
    public var activeFor: Duration?

    public init(
        method: String? = nil, path: String, action: FaultAction, nth: Int = 1, count: Int? = nil,
        probability: Double = 1, until: Date? = nil, activeFor: Duration? = nil
    ) {
        self.method = method?.uppercased()
        self.path = path
        self.action = action
        self.nth = nth
        self.count = count
        self.probability = probability
        self.until = until
        self.activeFor = activeFor
    }

    func matches(method: String, path: String, template: String) -> Bool {
        if let expected = self.method, expected != method.uppercased() { return false }
        return Self.glob(self.path, matches: path) || Self.glob(self.path, matches: template)
    }

    static func glob(_ pattern: String, matches path: String) -> Bool {
        var patternSegments = pattern.lowercased().split(separator: "/").map(String.init)
        if !pattern.hasPrefix("/") { patternSegments.insert("**", at: 0) }
        let pathSegments = path.lowercased().split(separator: "/").map(String.init)
        return match(patternSegments[...], pathSegments[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let segment = path.first, wildcard(Array(head), Array(segment)) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// `*` matches any run of characters within one segment.
    private static func wildcard(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0
        var star = -1, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] != "*", pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

public struct FaultSpecError: Error, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A fault schedule: rules tried in order on every Graph and sign-in request (never on the
/// `/_emulator` control surface). Latency rules add up; of the other rules, the first that
/// fires decides the request's fate. Probabilities are drawn from `seed`, so a schedule
/// replays identically for the same sequence of requests.
///
/// The command line form (`--faults`) is described in docs/EMULATOR.md:
/// `messages/delta:429x3:retry-after=2;*:latency=50`.
public struct FaultSchedule: Sendable, Equatable {
    public var seed: UInt64
    public var rules: [FaultRule]

    public init(seed: UInt64 = 0, rules: [FaultRule] = []) {
        self.seed = seed
        self.rules = rules
    }

    /// Parses the compact command-line form.
    ///
    ///     schedule := clause (';' clause)*
    ///     clause   := 'seed=' N | rule
    ///     rule     := [METHOD ' '] GLOB ':' ACTION ['x' COUNT] (':' OPTION)*
    ///     ACTION   := STATUS | 'latency=' MS | 'reset' | 'truncate' | 'html' | 'malformed=' FIELD ['=' JSON]
    ///     OPTION   := 'retry-after=' SECONDS | 'nth=' N | 'count=' N | 'p=' PROBABILITY | 'for=' DURATION
    public init(spec: String) throws(FaultSpecError) {
        self.init()
        for rawClause in spec.split(separator: ";") {
            let clause = rawClause.trimmingCharacters(in: .whitespacesAndNewlines)
            if clause.isEmpty { continue }
            if clause.lowercased().hasPrefix("seed=") {
                guard let seed = UInt64(clause.dropFirst(5)) else { throw FaultSpecError("'\(clause)': the seed must be a non-negative integer") }
                self.seed = seed
                continue
            }
            rules.append(try Self.parseRule(clause))
        }
    }

    private static func parseRule(_ clause: String) throws(FaultSpecError) -> FaultRule {
        let parts = clause.split(separator: ":", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw FaultSpecError("'\(clause)': a rule is PATH:ACTION, e.g. 'messages/delta:503'")
        }
        var method: String?
        var path = parts[0]
        if let space = path.firstIndex(of: " ") {
            method = String(path[..<space])
            path = path[space...].trimmingCharacters(in: .whitespaces)
            guard ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(method!.uppercased()) else {
                throw FaultSpecError("'\(clause)': '\(method!)' is not an HTTP method")
            }
        }
        // A JSON value of `malformed=` may hold colons: parts up to the first option are the action's.
        let isOption = { (part: String) in
            ["retry-after=", "nth=", "count=", "p=", "probability=", "for="].contains { part.lowercased().hasPrefix($0) }
        }
        let actionParts = parts.dropFirst().prefix { !isOption($0) }
        let options = parts.dropFirst(1 + actionParts.count)
        var actionText = actionParts.joined(separator: ":")
        guard actionParts.count == 1 || actionText.lowercased().hasPrefix("malformed=") else {
            throw FaultSpecError("'\(clause)': unknown option '\(actionParts.dropFirst().first ?? "")' (retry-after, nth, count, p, for)")
        }
        var count: Int?
        if let x = actionText.lastIndex(where: { $0 == "x" || $0 == "X" }), x != actionText.startIndex,
           let times = Int(actionText[actionText.index(after: x)...]) {
            guard times >= 1 else { throw FaultSpecError("'\(clause)': the count after 'x' must be 1 or more") }
            count = times
            actionText = String(actionText[..<x])
        }
        let action = try parseAction(actionText, clause: clause)
        var rule = FaultRule(method: method, path: path, action: action, count: count)
        for option in options {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw FaultSpecError("'\(clause)': option '\(option)' is not NAME=VALUE") }
            let value = pair[1]
            switch pair[0].lowercased() {
            case "retry-after":
                guard case .status(let status, _) = rule.action else {
                    throw FaultSpecError("'\(clause)': retry-after applies to a status action only")
                }
                guard let seconds = Double(value), seconds >= 0 else {
                    throw FaultSpecError("'\(clause)': retry-after must be a number of seconds")
                }
                rule.action = .status(status, retryAfter: value)
            case "nth":
                guard let nth = Int(value), nth >= 1 else { throw FaultSpecError("'\(clause)': nth must be 1 or more") }
                rule.nth = nth
            case "count":
                guard let times = Int(value), times >= 1 else { throw FaultSpecError("'\(clause)': count must be 1 or more") }
                rule.count = times
            case "p", "probability":
                guard let p = Double(value), (0...1).contains(p) else {
                    throw FaultSpecError("'\(clause)': p must be between 0 and 1")
                }
                rule.probability = p
            case "for":
                guard let duration = parseDuration(value) else {
                    throw FaultSpecError("'\(clause)': for takes a duration such as 30s, 500ms or 2m")
                }
                rule.activeFor = duration
            default:
                throw FaultSpecError("'\(clause)': unknown option '\(pair[0])' (retry-after, nth, count, p, for)")
            }
        }
        return rule
    }

    private static func parseAction(_ text: String, clause: String) throws(FaultSpecError) -> FaultAction {
        let lowered = text.lowercased()
        if let status = Int(text) {
            guard (400...599).contains(status) else { throw FaultSpecError("'\(clause)': status must be 400 to 599") }
            return .status(status, retryAfter: nil)
        }
        switch lowered {
        case "reset": return .reset
        case "truncate": return .truncate
        case "html": return .html
        default: break
        }
        if lowered.hasPrefix("latency=") {
            var value = String(text.dropFirst("latency=".count))
            if value.lowercased().hasSuffix("ms") { value.removeLast(2) }
            guard let milliseconds = Int(value), milliseconds >= 0 else {
                throw FaultSpecError("'\(clause)': latency takes milliseconds, e.g. latency=250")
            }
            return .latency(milliseconds: milliseconds)
        }
        if lowered.hasPrefix("malformed=") {
            let rest = text.dropFirst("malformed=".count).split(separator: "=", maxSplits: 1).map(String.init)
            guard let field = rest.first, !field.isEmpty else { throw FaultSpecError("'\(clause)': malformed needs a field name") }
            let value = rest.count > 1 ? rest[1] : #""maybe""#
            guard isJSONValue(value) else {
                throw FaultSpecError("'\(clause)': the malformed value must be JSON, e.g. malformed=isRead=\"maybe\"")
            }
            return .malformed(field: field, value: value)
        }
        throw FaultSpecError("'\(clause)': unknown action '\(text)' (a status, latency=MS, reset, truncate, html, malformed=FIELD)")
    }

    /// `30s`, `500ms`, `2m`, or a bare number of seconds.
    static func parseDuration(_ text: String) -> Duration? {
        let lowered = text.lowercased()
        func number(_ suffix: String) -> Double? {
            Double(lowered.dropLast(suffix.count)).flatMap { $0 >= 0 ? $0 : nil }
        }
        if lowered.hasSuffix("ms") { return number("ms").map { .milliseconds(Int64($0)) } }
        if lowered.hasSuffix("s") { return number("s").map { .milliseconds(Int64($0 * 1000)) } }
        if lowered.hasSuffix("m") { return number("m").map { .milliseconds(Int64($0 * 60_000)) } }
        return Double(lowered).flatMap { $0 >= 0 ? .milliseconds(Int64($0 * 1000)) : nil }
    }

    static func isJSONValue(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }
}

// MARK: - JSON form (the control surface)

extension FaultSchedule {
    /// Parses `{"seed": N, "rules": [...]}` or `{"spec": "..."}`; see docs/EMULATOR.md.
    init(json object: Any) throws(FaultSpecError) {
        guard let root = object as? [String: Any] else { throw FaultSpecError("the schedule must be a JSON object") }
        if let spec = root["spec"] {
            guard root.count == 1, let text = spec as? String else {
                throw FaultSpecError("'spec' must be a string and the only member")
            }
            try self.init(spec: text)
            return
        }
        try Self.checkKeys(root, ["seed", "rules"], in: "the schedule")
        self.init()
        if let seed = root["seed"] {
            guard let number = JSONNumber.int(seed), number >= 0 else { throw FaultSpecError("'seed' must be a non-negative integer") }
            self.seed = UInt64(number)
        }
        guard let rules = (root["rules"] ?? [Any]()) as? [Any] else { throw FaultSpecError("'rules' must be an array") }
        for (index, item) in rules.enumerated() {
            self.rules.append(try Self.rule(fromJSON: item, index: index))
        }
    }

    private static func rule(fromJSON item: Any, index: Int) throws(FaultSpecError) -> FaultRule {
        let place = "rules[\(index)]"
        guard let object = item as? [String: Any] else { throw FaultSpecError("\(place) must be an object") }
        try checkKeys(object, ["match", "action", "count", "until", "forSeconds"], in: place)
        let match = (object["match"] ?? [String: Any]()) as? [String: Any]
        guard let match else { throw FaultSpecError("\(place).match must be an object") }
        try checkKeys(match, ["path", "method", "nth", "probability"], in: "\(place).match")
        let path = (match["path"] as? String) ?? "**"
        guard let actionObject = object["action"] as? [String: Any], let kind = actionObject["kind"] as? String else {
            throw FaultSpecError("\(place).action must be an object with a 'kind'")
        }
        let action: FaultAction
        switch kind.lowercased() {
        case "status":
            try checkKeys(actionObject, ["kind", "status", "retryAfter"], in: "\(place).action")
            guard let status = JSONNumber.int(actionObject["status"]), (400...599).contains(status) else {
                throw FaultSpecError("\(place).action.status must be 400 to 599")
            }
            var retryAfter: String?
            if let value = actionObject["retryAfter"] {
                if let text = value as? String, let seconds = Double(text), seconds >= 0 {
                    retryAfter = text
                } else if let number = JSONNumber.double(value), number >= 0 {
                    retryAfter = number == number.rounded() ? String(Int(number)) : String(number)
                } else {
                    throw FaultSpecError("\(place).action.retryAfter must be a number of seconds")
                }
            }
            action = .status(status, retryAfter: retryAfter)
        case "latency":
            try checkKeys(actionObject, ["kind", "milliseconds"], in: "\(place).action")
            guard let milliseconds = JSONNumber.int(actionObject["milliseconds"]), milliseconds >= 0 else {
                throw FaultSpecError("\(place).action.milliseconds must be a non-negative integer")
            }
            action = .latency(milliseconds: milliseconds)
        case "reset", "truncate", "html":
            try checkKeys(actionObject, ["kind"], in: "\(place).action")
            action = kind.lowercased() == "reset" ? .reset : kind.lowercased() == "truncate" ? .truncate : .html
        case "malformed":
            try checkKeys(actionObject, ["kind", "field", "value"], in: "\(place).action")
            guard let field = actionObject["field"] as? String, !field.isEmpty else {
                throw FaultSpecError("\(place).action.field must name a JSON member")
            }
            var value = #""maybe""#
            if let given = actionObject["value"] {
                guard let data = try? JSONSerialization.data(withJSONObject: given, options: [.fragmentsAllowed]) else {
                    throw FaultSpecError("\(place).action.value must be a JSON value")
                }
                value = String(decoding: data, as: UTF8.self)
            }
            action = .malformed(field: field, value: value)
        default:
            throw FaultSpecError("\(place).action.kind '\(kind)' is not one of status, latency, reset, truncate, html, malformed")
        }
        var rule = FaultRule(method: match["method"] as? String, path: path, action: action)
        if let nth = match["nth"] {
            guard let value = JSONNumber.int(nth), value >= 1 else { throw FaultSpecError("\(place).match.nth must be 1 or more") }
            rule.nth = value
        }
        if let probability = match["probability"] {
            guard let value = JSONNumber.double(probability), (0...1).contains(value) else {
                throw FaultSpecError("\(place).match.probability must be between 0 and 1")
            }
            rule.probability = value
        }
        if let count = object["count"] {
            guard let value = JSONNumber.int(count), value >= 1 else { throw FaultSpecError("\(place).count must be 1 or more") }
            rule.count = value
        }
        if let until = object["until"] {
            guard let text = until as? String, let seconds = GraphDate.parse(text) else {
                throw FaultSpecError("\(place).until must be an ISO 8601 date-time")
            }
            rule.until = GraphDate.date(seconds)
        }
        if let forSeconds = object["forSeconds"] {
            guard let value = JSONNumber.double(forSeconds), value >= 0 else {
                throw FaultSpecError("\(place).forSeconds must be a non-negative number")
            }
            rule.activeFor = .milliseconds(Int64(value * 1000))
        }
        return rule
    }

    private static func checkKeys(_ object: [String: Any], _ allowed: Set<String>, in place: String) throws(FaultSpecError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw FaultSpecError("\(place) has an unknown member '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }
}

extension FaultAction {
    /// The JSON form used by the control surface.
    var jsonObject: [String: Any] {
        switch self {
        case .status(let status, let retryAfter):
            var object: [String: Any] = ["kind": "status", "status": status]
            if let retryAfter { object["retryAfter"] = Double(retryAfter) ?? retryAfter }
            return object
        case .latency(let milliseconds): return ["kind": "latency", "milliseconds": milliseconds]
        case .reset: return ["kind": "reset"]
        case .truncate: return ["kind": "truncate"]
        case .html: return ["kind": "html"]
        case .malformed(let field, let value):
            let parsed = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) ?? value
            return ["kind": "malformed", "field": field, "value": parsed]
        }
    }
}

/// Numbers from `JSONSerialization`, whose bridging differs between platforms (`Int`,
/// `Double` or `NSNumber`).
enum JSONNumber {
    static func int(_ value: Any?) -> Int? {
        guard let value else { return nil }
        if let number = value as? Int { return number }
        if let number = value as? Double, number == number.rounded(), abs(number) < 1e15 { return Int(number) }
        return nil
    }

    static func double(_ value: Any?) -> Double? {
        guard let value else { return nil }
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        return nil
    }
}
