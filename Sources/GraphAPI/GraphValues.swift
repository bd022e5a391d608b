import Foundation

/// Decoding helpers for what Graph (and its documentation) really sends, not what the schema
/// promises: `"isRead": "true"` strings, `null` for booleans, 7-digit fractional seconds,
/// dates without a zone designator, unknown enum values. Every decoder here is total: a bad
/// field becomes `nil` or a default, never a failed page.

/// A Bool that also accepts "true"/"false" strings and numbers, and treats anything else as absent.
public struct LenientBool: Decodable, Sendable, Hashable {
    public let value: Bool?
    public init(_ value: Bool?) { self.value = value }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = nil }
        else if let b = try? c.decode(Bool.self) { value = b }
        else if let s = try? c.decode(String.self) {
            switch s.lowercased() {
            case "true", "1": value = true
            case "false", "0": value = false
            default: value = nil
            }
        } else if let n = try? c.decode(Int.self) { value = n != 0 }
        else { value = nil }
    }
}

/// A string that tolerates numbers and booleans where a string was expected.
public struct LenientString: Decodable, Sendable, Hashable {
    public let value: String?
    public init(_ value: String?) { self.value = value }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = nil }
        else if let s = try? c.decode(String.self) { value = s }
        else if let n = try? c.decode(Double.self) { value = String(n) }
        else if let b = try? c.decode(Bool.self) { value = String(b) }
        else { value = nil }
    }
}

/// Graph's `DateTimeOffset`: ISO 8601, normally UTC with `Z`, sometimes with 7 fractional
/// digits or no zone at all (treated as UTC, which is what Graph means by it).
public enum GraphDate {
    public static func parse(_ text: String) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        // yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm]
        let scalars = Array(s.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= scalars.count else { return nil }
            var n = 0
            for i in from..<(from + count) {
                let d = Int(scalars[i]) - 48
                guard (0...9).contains(d) else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard let year = number(0, 4), scalars.count >= 10, scalars[4] == 45, scalars[7] == 45,
              let month = number(5, 2), let day = number(8, 2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var index = 10
        if index < scalars.count, scalars[index] == 84 || scalars[index] == 116 || scalars[index] == 32 {
            guard let h = number(index + 1, 2), scalars.count > index + 3, scalars[index + 3] == 58,
                  let m = number(index + 4, 2) else { return nil }
            hour = h; minute = m
            index += 6
            if index < scalars.count, scalars[index] == 58 {
                guard let sec = number(index + 1, 2) else { return nil }
                second = sec
                index += 3
                if index < scalars.count, scalars[index] == 46 {
                    index += 1
                    var scale = 0.1
                    while index < scalars.count, (48...57).contains(scalars[index]) {
                        fraction += Double(Int(scalars[index]) - 48) * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
        }
        var offsetSeconds = 0
        if index < scalars.count {
            let c = scalars[index]
            if c == 90 || c == 122 { index += 1 }
            else if c == 43 || c == 45 {
                guard let oh = number(index + 1, 2) else { return nil }
                var om = 0
                if index + 3 < scalars.count {
                    let minuteStart = scalars[index + 3] == 58 ? index + 4 : index + 3
                    om = number(minuteStart, 2) ?? 0
                }
                offsetSeconds = (oh * 3600 + om * 60) * (c == 45 ? -1 : 1)
            } else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = second
        guard let base = utcCalendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction - Double(offsetSeconds))
    }

    public static func format(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

/// A Graph `DateTimeOffset` property that never fails to decode (a bad value is `nil`).
public struct GraphDateValue: Decodable, Sendable, Hashable {
    public let date: Date?
    public init(_ date: Date?) { self.date = date }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        date = (try? c.decode(String.self)).flatMap(GraphDate.parse)
    }
}
