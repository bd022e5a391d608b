import Foundation
import Terminal

/// Text shaping by display width (the width ncurses uses), for bodies and columns.
enum TextLayout {
    /// Word-wraps each line of `text` to `width` columns; words longer than a line are broken by
    /// grapheme. Blank lines are kept.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var result: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if DisplayWidth.of(String(line)) <= width {
                result.append(String(line))
                continue
            }
            var current = ""
            var currentWidth = 0
            // Split into words keeping their trailing spaces, so re-joined lines read naturally.
            for word in words(line) {
                let w = DisplayWidth.of(word)
                if currentWidth + w <= width {
                    current += word
                    currentWidth += w
                    continue
                }
                if !current.isEmpty {
                    result.append(trimTrailingSpaces(current))
                    current = ""
                    currentWidth = 0
                }
                if w <= width {
                    current = word
                    currentWidth = w
                } else {
                    for ch in word {
                        let cw = DisplayWidth.of(ch)
                        if currentWidth + cw > width {
                            result.append(current)
                            current = ""
                            currentWidth = 0
                        }
                        current.append(ch)
                        currentWidth += cw
                    }
                }
            }
            result.append(trimTrailingSpaces(current))
        }
        return result
    }

    /// 21274 → "21,274". Foundation's formatters are too slow to call for every row of a frame.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    private static func words(_ line: Substring) -> [String] {
        var words: [String] = []
        var current = ""
        var inSpaces = false
        for ch in line {
            if ch == " " {
                inSpaces = true
                current.append(ch)
            } else {
                if inSpaces { words.append(current); current = ""; inSpaces = false }
                current.append(ch)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private static func trimTrailingSpaces(_ s: String) -> String {
        var s = s
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Date formats for the list and the reader, built once per frame (formatters are costly).
struct DateStyle {
    let timeZone: TimeZone
    private let calendar: Calendar
    private let time: DateFormatter
    private let monthDay: DateFormatter
    private let full: DateFormatter
    private let long: DateFormatter

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        func make(_ format: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = timeZone
            f.dateFormat = format
            return f
        }
        time = make("HH:mm")
        monthDay = make("MMM dd")
        full = make("yyyy-MM-dd")
        long = make("EEE yyyy-MM-dd HH:mm")
    }

    /// The list column: the time for today, month and day this year, the full date before.
    func list(_ date: Date, now: Date) -> String {
        if calendar.isDate(date, inSameDayAs: now) { return time.string(from: date) }
        if calendar.component(.year, from: date) == calendar.component(.year, from: now) { return monthDay.string(from: date) }
        return full.string(from: date)
    }

    /// The reader's date: "Thu 2026-11-19 14:05".
    func reader(_ date: Date) -> String { long.string(from: date) }
}
