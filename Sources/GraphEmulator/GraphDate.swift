import Foundation

/// UTC timestamps in whole seconds, formatted and parsed the way Graph writes them.
///
/// The mailbox stores times as `Int64` seconds: it is compact for 100,000 messages, sorts
/// cheaply, and formatting by hand (instead of `DateFormatter`) is fast and independent of
/// locale and time-zone settings.
enum GraphDate {
    struct Components: Equatable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        /// 0 = Sunday.
        var weekday: Int
    }

    static func components(_ seconds: Int64) -> Components {
        let days = Int(floorDiv(seconds, 86_400))
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civil(fromDays: days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
        return Components(
            year: year, month: month, day: day,
            hour: secondOfDay / 3600, minute: (secondOfDay / 60) % 60, second: secondOfDay % 60,
            weekday: weekday)
    }

    static func seconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64 {
        Int64(days(fromCivil: year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `2026-11-20T09:14:02Z`, as Graph serializes DateTimeOffset properties.
    static func format(_ seconds: Int64) -> String {
        let c = components(seconds)
        var out = ""
        out.reserveCapacity(20)
        appendPadded(&out, c.year, 4); out.append("-")
        appendPadded(&out, c.month, 2); out.append("-")
        appendPadded(&out, c.day, 2); out.append("T")
        appendPadded(&out, c.hour, 2); out.append(":")
        appendPadded(&out, c.minute, 2); out.append(":")
        appendPadded(&out, c.second, 2); out.append("Z")
        return out
    }

    /// `2026-11-20T09:14:02.0000000`, the `dateTime` of a `dateTimeTimeZone` value.
    static func formatLocal(_ seconds: Int64) -> String {
        var text = format(seconds)
        text.removeLast()
        return text + ".0000000"
    }

    /// `Fri, 20 Nov 2026 09:14:02 +0000` (RFC 5322), for internet message headers.
    static func formatRFC5322(_ seconds: Int64) -> String {
        let c = components(seconds)
        var out = shortWeekdays[c.weekday] + ", "
        appendPadded(&out, c.day, 2)
        out += " " + shortMonths[c.month - 1] + " "
        appendPadded(&out, c.year, 4); out.append(" ")
        appendPadded(&out, c.hour, 2); out.append(":")
        appendPadded(&out, c.minute, 2); out.append(":")
        appendPadded(&out, c.second, 2)
        return out + " +0000"
    }

    /// `Friday, November 20, 2026 9:14 AM`, as Outlook writes the "Sent:" line of a quote.
    static func formatLong(_ seconds: Int64) -> String {
        let c = components(seconds)
        let hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12
        var minute = ""
        appendPadded(&minute, c.minute, 2)
        return "\(longWeekdays[c.weekday]), \(longMonths[c.month - 1]) \(c.day), \(c.year) \(hour12):\(minute) \(c.hour < 12 ? "AM" : "PM")"
    }

    /// Parses the forms Graph accepts in `$filter` and that appear in stored JSON:
    /// `2026-11-20`, `2026-11-20T09:14`, `2026-11-20T09:14:02`, with optional fractional
    /// seconds and an optional `Z` or `±hh:mm` offset (no offset means UTC).
    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + width)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        if index < bytes.count, bytes[index] == 84 || bytes[index] == 116 {  // T or t
            index += 1
            guard let h = number(2), expect(58), let m = number(2) else { return nil }
            hour = h
            minute = m
            if expect(58) {
                guard let s = number(2) else { return nil }
                second = s
                if expect(46) {
                    let start = index
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
                    if index == start { return nil }
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
        }
        var offset = 0
        if index < bytes.count {
            if bytes[index] == 90 || bytes[index] == 122 {  // Z
                index += 1
            } else if bytes[index] == 43 || bytes[index] == 45 {  // + or -
                let sign = bytes[index] == 43 ? 1 : -1
                index += 1
                guard let oh = number(2) else { return nil }
                _ = expect(58)
                guard let om = number(2) else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            }
        }
        guard index == bytes.count else { return nil }
        return seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - Int64(offset)
    }

    static func date(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    static func seconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, after H. Hinnant's algorithms)

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func days(fromCivil year0: Int, _ month: Int, _ day: Int) -> Int {
        let year = month <= 2 ? year0 - 1 : year0
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func appendPadded(_ out: inout String, _ value: Int, _ width: Int) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }

    private static let shortWeekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let shortMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let longMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
}
