import Foundation

/// A problem in a configuration file, reported to the user with file and line; the defaults
/// stay in force for that line (QUALITY.md Reliability 7).
public struct ConfigWarning: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Lines of an INI-like file with their numbers, comments and blanks dropped.
enum ConfigLines {
    static func parse(_ text: String) -> [(number: Int, text: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";") else { return nil }
            return (index + 1, line)
        }
    }
}
