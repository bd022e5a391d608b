import Foundation
import Terminal

/// Semantic styles for every part of the screen, read from `themes/*.conf`
/// (`role.attribute = value` lines, aerc-styleset-like; the format is described in the file).
public struct Theme: Sendable {
    struct Rule: Sendable {
        var pattern: String
        var selected: Bool
        var apply: @Sendable (inout CellStyle) -> Void
    }

    private var rules: [Rule] = []

    public static let knownRoles: Set<String> = [
        "default", "title", "border", "folder", "folder.unread", "folder.count", "folder.unfocused", "tab",
        "tab.active", "list", "list.unread", "list.flagged", "list.marker", "list.checked", "list.date", "list.unfocused",
        "header.label", "header.value", "header.subject", "body", "body.quote", "status", "status.busy",
        "status.error", "prompt", "help", "help.key",
    ]

    public static func shipped(named name: String) -> String? {
        switch name {
        case "default": String(decoding: PackageResources.default_conf, as: UTF8.self)
        case "monochrome": String(decoding: PackageResources.monochrome_conf, as: UTF8.self)
        default: nil
        }
    }

    public static var `default`: Theme { parse(shipped(named: "default")!, file: "default.conf").theme }

    /// The style of a role. Selected rows get the `.selected` rules on top, and when their pane
    /// is not in focus, the `<pane>.unfocused.selected` rules after those.
    /// (Wildcard selected rules such as `list.*.selected` also reach `list.unfocused`; that is
    /// why the unfocused rules come last.)
    public func style(_ role: String, selected: Bool = false, focused: Bool = true) -> CellStyle {
        var style = CellStyle.plain
        for rule in rules where !rule.selected && (rule.pattern == "default" || Self.matches(rule.pattern, role)) {
            rule.apply(&style)
        }
        guard selected else { return style }
        for rule in rules where rule.selected && Self.matches(rule.pattern, role) { rule.apply(&style) }
        if !focused, let pane = role.split(separator: ".").first {
            let unfocused = "\(pane).unfocused"
            for rule in rules where rule.selected && Self.matches(rule.pattern, unfocused) { rule.apply(&style) }
        }
        return style
    }

    /// A rule for a role also styles its sub-roles (`list` reaches `list.unread`); `*` matches
    /// any run of characters, dots included.
    static func matches(_ pattern: String, _ role: String) -> Bool {
        if glob(pattern, role) { return true }
        var prefix = Substring(role)
        while let dot = prefix.lastIndex(of: ".") {
            prefix = prefix[..<dot]
            if glob(pattern, String(prefix)) { return true }
        }
        return false
    }

    private static func glob(_ pattern: String, _ role: String) -> Bool {
        guard pattern.contains("*") else { return pattern == role }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(role)
        for (i, part) in parts.enumerated() {
            if i == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if i == parts.count - 1 {
                return part.isEmpty || rest.hasSuffix(part)
            } else if let range = rest.range(of: part) {
                rest = rest[range.upperBound...]
            } else {
                return false
            }
        }
        return rest.isEmpty
    }

    public static func parse(_ text: String, file: String) -> (theme: Theme, warnings: [ConfigWarning]) {
        var theme = Theme()
        var warnings: [ConfigWarning] = []
        for (number, line) in ConfigLines.parse(text) {
            func warn(_ message: String) { warnings.append(ConfigWarning(file: file, line: number, message: message)) }
            guard let eq = line.firstIndex(of: "=") else { warn("expected role.attribute = value"); continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            var parts = key.split(separator: ".").map(String.init)
            guard parts.count >= 2 else { warn("expected role.attribute = value"); continue }
            let attribute = parts.removeLast()
            var selected = false
            if parts.last == "selected" { selected = true; parts.removeLast() }
            let role = parts.joined(separator: ".")
            guard role.contains("*") || knownRoles.contains(role) else { warn("unknown role '\(role)'"); continue }
            guard let apply = makeApply(attribute: attribute, value: value) else {
                warn("bad value '\(value)' for '\(attribute)'"); continue
            }
            theme.rules.append(Rule(pattern: role, selected: selected, apply: apply))
        }
        return (theme, warnings)
    }

    private static func makeApply(attribute: String, value: String) -> (@Sendable (inout CellStyle) -> Void)? {
        switch attribute {
        case "fg", "bg":
            guard let color = parseColor(value) else { return nil }
            if attribute == "fg" { return { $0.foreground = color } }
            return { $0.background = color }
        default:
            let flags: [String: TextAttributes] = [
                "bold": .bold, "dim": .dim, "italic": .italic, "underline": .underline, "reverse": .reverse,
            ]
            guard let flag = flags[attribute] else { return nil }
            switch value.lowercased() {
            case "true", "yes", "on": return { $0.attributes.insert(flag) }
            case "false", "no", "off": return { $0.attributes.remove(flag) }
            case "toggle": return { $0.attributes.formSymmetricDifference(flag) }
            default: return nil
            }
        }
    }

    static func parseColor(_ value: String) -> TerminalColor? {
        let v = value.lowercased()
        if v == "default" || v == "none" { return .default }
        if v.hasPrefix("#"), v.count == 7, let n = UInt32(v.dropFirst(), radix: 16) {
            return .rgb(UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF))
        }
        if let n = Int(v), (0...255).contains(n) { return .indexed(UInt8(n)) }
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        if let i = names.firstIndex(of: v) { return .indexed(UInt8(i)) }
        if v.hasPrefix("bright-"), let i = names.firstIndex(of: String(v.dropFirst(7))) { return .indexed(UInt8(i + 8)) }
        return nil
    }
}
