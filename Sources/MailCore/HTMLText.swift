import Foundation

/// Turns an HTML mail body into readable plain text.
///
/// Graph returns text bodies when asked with `Prefer: outlook.body-content-type="text"`, but
/// some servers ignore the preference and cached bodies may be HTML, so the client needs its
/// own fallback. This is deliberately not a browser: it drops markup, keeps the paragraph
/// structure, quotes `<blockquote>` with `> `, lists links by their target, and never fetches
/// anything. The emulator uses the same conversion to serve text bodies.
public enum HTMLText {
    public static func plainText(fromHTML html: String) -> String {
        var converter = Converter()
        converter.run(Array(html.unicodeScalars))
        return converter.finish()
    }

    private struct Converter {
        var output = String.UnicodeScalarView()
        var quoteDepth = 0
        var skipDepth = 0          // inside <script>, <style>, <head>, <title>
        var preDepth = 0
        var pendingSpace = false
        var atLineStart = true
        var listStack: [Int?] = []  // nil = unordered, n = next ordered index
        var linkTarget: String?
        var linkText = ""

        mutating func run(_ s: [Unicode.Scalar]) {
            var i = 0
            while i < s.count {
                let c = s[i]
                if c == "<" {
                    if let end = tagEnd(s, from: i) {
                        handleTag(String(String.UnicodeScalarView(s[(i + 1)..<end])))
                        i = end + 1
                        continue
                    }
                } else if c == "&", let (decoded, next) = entity(s, from: i) {
                    emitText(decoded)
                    i = next
                    continue
                }
                emitText(String(c))
                i += 1
            }
        }

        func tagEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
            // Comments end at "-->", other tags at the first ">" outside quotes.
            if start + 3 < s.count, s[start + 1] == "!", s[start + 2] == "-", s[start + 3] == "-" {
                var j = start + 4
                while j + 2 < s.count {
                    if s[j] == "-", s[j + 1] == "-", s[j + 2] == ">" { return j + 2 }
                    j += 1
                }
                return s.count - 1
            }
            guard start + 1 < s.count else { return nil }
            let next = s[start + 1]
            guard next.properties.isAlphabetic || next == "/" || next == "!" || next == "?" else { return nil }
            var quote: Unicode.Scalar?
            var j = start + 1
            while j < s.count {
                let c = s[j]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == ">" {
                    return j
                }
                j += 1
            }
            return nil
        }

        mutating func handleTag(_ raw: String) {
            let isClosing = raw.hasPrefix("/")
            let body = isClosing ? String(raw.dropFirst()) : raw
            let name = body.prefix { $0.isLetter || $0.isNumber }.lowercased()
            switch name {
            case "script", "style", "head", "title":
                if body.hasSuffix("/") { return }
                skipDepth = max(0, skipDepth + (isClosing ? -1 : 1))
            case "br":
                newline()
            case "p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "center", "section", "article", "header", "footer":
                paragraphBreak(double: name == "p" || name.hasPrefix("h"))
            case "blockquote":
                paragraphBreak(double: false)
                quoteDepth = max(0, quoteDepth + (isClosing ? -1 : 1))
            case "pre":
                paragraphBreak(double: false)
                preDepth = max(0, preDepth + (isClosing ? -1 : 1))
            case "ul", "ol":
                paragraphBreak(double: false)
                if isClosing { _ = listStack.popLast() } else { listStack.append(name == "ol" ? 1 : nil) }
            case "li":
                guard !isClosing else { return }
                if !atLineStart { newline() }
                let indent = String(repeating: "  ", count: max(0, listStack.count - 1))
                if let last = listStack.last, let n = last {
                    emitRaw("\(indent)\(n). ")
                    listStack[listStack.count - 1] = n + 1
                } else {
                    emitRaw("\(indent)• ")
                }
            case "td", "th":
                if !isClosing { pendingSpace = true }
            case "hr":
                paragraphBreak(double: false)
                emitRaw("――――――――")
                newline()
            case "a":
                if isClosing {
                    if let target = linkTarget, !target.isEmpty,
                       target != linkText.trimmingCharacters(in: .whitespaces),
                       !target.lowercased().hasPrefix("mailto:") {
                        emitRaw(" <\(target)>")
                    }
                    linkTarget = nil
                } else {
                    linkTarget = attribute("href", in: body)
                    linkText = ""
                }
            case "img":
                if let alt = attribute("alt", in: body), !alt.isEmpty { emitText("[\(alt)]") }
            default:
                break
            }
        }

        func attribute(_ name: String, in tag: String) -> String? {
            guard let range = tag.range(of: name + "=", options: .caseInsensitive) else { return nil }
            var rest = tag[range.upperBound...]
            if let q = rest.first, q == "\"" || q == "'" {
                rest = rest.dropFirst()
                return String(rest.prefix { $0 != q })
            }
            return String(rest.prefix { !$0.isWhitespace && $0 != ">" })
        }

        func entity(_ s: [Unicode.Scalar], from start: Int) -> (String, Int)? {
            var j = start + 1
            var name = ""
            while j < s.count, j - start <= 10, s[j] != ";" {
                name.unicodeScalars.append(s[j])
                j += 1
            }
            guard j < s.count, s[j] == ";", !name.isEmpty else { return nil }
            if name.hasPrefix("#") {
                let digits = name.dropFirst()
                let value = digits.lowercased().hasPrefix("x")
                    ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let v = value else { return nil }   // not a number: keep the text as written
                guard let scalar = Unicode.Scalar(v), v != 0 else { return ("\u{FFFD}", j + 1) }
                return (String(scalar), j + 1)
            }
            let named: [String: String] = [
                "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
                "copy": "©", "reg": "®", "hellip": "…", "mdash": "—", "ndash": "–", "rsquo": "’",
                "lsquo": "‘", "rdquo": "”", "ldquo": "“", "euro": "€", "bull": "•", "trade": "™",
            ]
            guard let value = named[name.lowercased()] else { return nil }
            return (value, j + 1)
        }

        mutating func emitText(_ text: String) {
            guard skipDepth == 0 else { return }
            if linkTarget != nil { linkText += text }
            for scalar in text.unicodeScalars {
                if preDepth == 0 && (scalar == " " || scalar == "\n" || scalar == "\r" || scalar == "\t") {
                    if !atLineStart { pendingSpace = true }
                    continue
                }
                if scalar == "\n" { newline(); continue }
                if scalar == "\r" { continue }
                if pendingSpace && !atLineStart { output.append(" ") }
                pendingSpace = false
                startLineIfNeeded()
                output.append(scalar)
            }
        }

        mutating func emitRaw(_ text: String) {
            guard skipDepth == 0 else { return }
            if pendingSpace && !atLineStart { output.append(" ") }
            pendingSpace = false
            startLineIfNeeded()
            output.append(contentsOf: text.unicodeScalars)
        }

        mutating func startLineIfNeeded() {
            guard atLineStart else { return }
            atLineStart = false
            if quoteDepth > 0 { output.append(contentsOf: String(repeating: "> ", count: quoteDepth).unicodeScalars) }
        }

        mutating func newline() {
            guard skipDepth == 0 else { return }
            output.append("\n")
            atLineStart = true
            pendingSpace = false
        }

        mutating func paragraphBreak(double: Bool) {
            guard skipDepth == 0 else { return }
            if !atLineStart { newline() }
            if double, !output.isEmpty, !endsWithBlankLine { newline() }
        }

        var endsWithBlankLine: Bool {
            let tail = output.suffix(2)
            return tail.count == 2 && tail.allSatisfy { $0 == "\n" }
        }

        func finish() -> String {
            // Collapse runs of blank lines and trim trailing spaces per line.
            var lines: [Substring] = []
            var blank = 0
            for line in String(output).split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.reversed().drop { $0 == " " }
                let clean = Substring(String(trimmed.reversed()))
                if clean.trimmingCharacters(in: .whitespaces).isEmpty || clean.allSatisfy({ $0 == ">" || $0 == " " }) {
                    blank += 1
                    if blank > 1 { continue }
                    lines.append(clean.allSatisfy({ $0 == " " }) ? "" : clean)
                } else {
                    blank = 0
                    lines.append(clean)
                }
            }
            while let first = lines.first, first.isEmpty { lines.removeFirst() }
            while let last = lines.last, last.isEmpty { lines.removeLast() }
            return lines.joined(separator: "\n")
        }
    }
}
