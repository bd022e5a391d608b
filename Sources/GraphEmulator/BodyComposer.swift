import Foundation
import MailCore

/// How a generated message's body is rebuilt on demand. Only this small description is kept
/// per message; the text itself is recomputed from `seed` whenever it is served.
struct GeneratedContent: Sendable, Equatable {
    var seed: UInt64
    var style: BodyStyle
    var isHTML: Bool
    /// First name used in the greeting ("Hi Alex,").
    var greetingName: String
    var attachmentCount: UInt8
    var quote: QuotedMessage?
    var context: GenerationContext
}

enum BodyStyle: Sendable, Equatable {
    case human(Language)
    case automated(AutomatedKind)
}

/// The earlier message a reply or forward quotes. Shared by reference between the messages
/// of a thread so that a long conversation costs one pointer per message.
final class QuotedMessage: Sendable, Equatable {
    let seed: UInt64
    let style: BodyStyle
    let greetingName: String
    let from: EmulatedMessage.Recipient
    let to: [EmulatedMessage.Recipient]
    let sent: Int64
    let subject: String
    let isForward: Bool

    init(
        seed: UInt64, style: BodyStyle, greetingName: String, from: EmulatedMessage.Recipient,
        to: [EmulatedMessage.Recipient], sent: Int64, subject: String, isForward: Bool
    ) {
        self.seed = seed
        self.style = style
        self.greetingName = greetingName
        self.from = from
        self.to = to
        self.sent = sent
        self.subject = subject
        self.isForward = isForward
    }

    static func == (lhs: QuotedMessage, rhs: QuotedMessage) -> Bool {
        lhs === rhs
            || (lhs.seed == rhs.seed && lhs.style == rhs.style && lhs.greetingName == rhs.greetingName
                && lhs.from == rhs.from && lhs.to == rhs.to && lhs.sent == rhs.sent && lhs.subject == rhs.subject
                && lhs.isForward == rhs.isForward)
    }
}

/// Mailbox-wide facts a body needs (who "@Alex Morgan" is), shared by every message.
final class GenerationContext: Sendable, Equatable {
    let ownerName: String
    let ownerAddress: String

    init(ownerName: String, ownerAddress: String) {
        self.ownerName = ownerName
        self.ownerAddress = ownerAddress
    }

    static func == (lhs: GenerationContext, rhs: GenerationContext) -> Bool {
        lhs === rhs || (lhs.ownerName == rhs.ownerName && lhs.ownerAddress == rhs.ownerAddress)
    }
}

/// Builds bodies, previews and attachment lists of generated messages, and converts between
/// text and HTML bodies.
enum BodyComposer {
    /// A paragraph of the message's own text; `mention` paragraphs start with "@Owner".
    struct Paragraph {
        var text: String
        var mention = false
    }

    struct Parts {
        var greeting: String?
        var paragraphs: [Paragraph] = []
        var signOff: String?
        var signature: String?
        var language: Language = .english

        /// Plain text length so far, to stop early when only a preview is needed.
        var length: Int {
            paragraphs.reduce((greeting?.count ?? 0)) { $0 + $1.text.count + 1 }
        }
    }

    static let previewLength = 255

    // MARK: - Public entry points used by EmulatedMessage

    static func body(of message: EmulatedMessage, _ content: GeneratedContent) -> EmulatedMessage.Body {
        let parts = uniqueParts(seed: content.seed, style: content.style, greetingName: content.greetingName,
                                message: message, content: content, limit: nil)
        return render(parts, quote: content.quote, owner: content.context, html: content.isHTML)
    }

    static func uniqueBody(of message: EmulatedMessage, _ content: GeneratedContent) -> EmulatedMessage.Body {
        let parts = uniqueParts(seed: content.seed, style: content.style, greetingName: content.greetingName,
                                message: message, content: content, limit: nil)
        return render(parts, quote: nil, owner: content.context, html: content.isHTML)
    }

    static func preview(of message: EmulatedMessage, _ content: GeneratedContent) -> String {
        let parts = uniqueParts(seed: content.seed, style: content.style, greetingName: content.greetingName,
                                message: message, content: content, limit: previewLength + 40)
        var pieces: [String] = []
        if let greeting = parts.greeting { pieces.append(greeting) }
        for paragraph in parts.paragraphs {
            pieces.append(paragraph.mention ? "@\(content.context.ownerName) \(paragraph.text)" : paragraph.text)
        }
        if let signOff = parts.signOff { pieces.append(signOff) }
        if let signature = parts.signature { pieces.append(signature) }
        return collapsedPrefix(pieces.joined(separator: " "))
    }

    static func preview(fromBody body: EmulatedMessage.Body) -> String {
        let text = body.contentType == .html ? HTMLText.plainText(fromHTML: body.content) : body.content
        return collapsedPrefix(text)
    }

    static func attachments(of message: EmulatedMessage, _ content: GeneratedContent) -> [EmulatedMessage.Attachment] {
        guard content.attachmentCount > 0 else { return [] }
        var random = SplitMix64(seed: StableHash.mix(content.seed, 0xA7))
        var result: [EmulatedMessage.Attachment] = []
        var usedNames: Set<String> = []
        for index in 0..<Int(content.attachmentCount) {
            let kind = random.pick(GeneratorText.attachmentKinds)
            var name = random.pick(kind.stem)
            switch random.int(below: 4) {
            case 0: name += "-\(GraphDate.components(message.created).year)"
            case 1: name += "-v\(random.int(in: 2...5))"
            default: break
            }
            name += ".\(kind.ext)"
            if usedNames.contains(name) { name = "\(index + 1)-\(name)" }
            usedNames.insert(name)
            let size = Int(random.logUniform(1_500, 3_500_000))
            let modified = message.created - Int64(random.int(below: 3 * 86_400))
            result.append(EmulatedMessage.Attachment(
                id: nil, name: name, contentType: kind.type, size: size, isInline: false, lastModified: modified,
                contentBytes: nil))
        }
        AttachmentCatalog.finishGenerated(&result, message: message, seed: content.seed)
        return result
    }

    // MARK: - Text and HTML conversion

    /// Graph converts bodies to text on `Prefer: outlook.body-content-type="text"`; like
    /// Exchange, lines end in CRLF.
    static func textBody(from body: EmulatedMessage.Body) -> EmulatedMessage.Body {
        switch body.contentType {
        case .text:
            return body
        case .html:
            let plain = HTMLText.plainText(fromHTML: body.content)
            return EmulatedMessage.Body(contentType: .text, content: crlf(plain))
        }
    }

    /// `Prefer: outlook.body-content-type="html"` on a text body: wrap it, as Exchange does.
    static func htmlBody(from body: EmulatedMessage.Body) -> EmulatedMessage.Body {
        switch body.contentType {
        case .html:
            return body
        case .text:
            var html = "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\r\n"
            html += "<div style=\"font-family:Calibri,Arial,Helvetica,sans-serif; font-size:11pt\">"
            let lines = body.content.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false)
            html += lines.map { escapeHTML(String($0)) }.joined(separator: "<br>\r\n")
            html += "</div>\r\n</body></html>"
            return EmulatedMessage.Body(contentType: .html, content: html)
        }
    }

    static func escapeHTML(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    // MARK: - Composition

    private static func uniqueParts(
        seed: UInt64, style: BodyStyle, greetingName: String, message: EmulatedMessage?, content: GeneratedContent?,
        limit: Int?
    ) -> Parts {
        var random = SplitMix64(seed: seed)
        switch style {
        case .human(let language):
            return humanParts(&random, language: language, greetingName: greetingName,
                              signature: firstName(message?.from?.name ?? ""),
                              mentions: message?.mentionsOwner ?? false,
                              attachments: Int(content?.attachmentCount ?? 0), limit: limit)
        case .automated(let kind):
            return automatedParts(&random, kind: kind, subject: message?.subject ?? "", greetingName: greetingName)
        }
    }

    private static func humanParts(
        _ random: inout SplitMix64, language: Language, greetingName: String, signature: String, mentions: Bool,
        attachments: Int, limit: Int?
    ) -> Parts {
        var parts = Parts(language: language)
        parts.greeting = GeneratorText.greeting(language, name: greetingName, variant: random.int(below: 8))
        // Draw the sign-off now so that the rest of the stream does not depend on it.
        parts.signOff = GeneratorText.signOff(language, variant: random.int(below: 10))
        parts.signature = signature.isEmpty ? nil : signature
        if mentions {
            parts.paragraphs.append(Paragraph(text: GeneratorText.mentionRequest(language), mention: true))
        }
        // Most mail is short; one in ten is long enough to need scrolling.
        let paragraphCount = random.chance(0.1) ? random.int(in: 5...9) : random.int(in: 1...4)
        // Non-English sentences come from a small pool: deal them like cards so that a
        // paragraph does not repeat itself.
        var deck: [String] = []
        for index in 0..<paragraphCount {
            if let limit, parts.length >= limit { break }
            let sentenceCount = random.int(in: 2...5)
            var sentences: [String] = []
            for position in 0..<sentenceCount {
                if language == .english {
                    sentences.append(englishSentence(&random, first: index == 0 && position == 0,
                                                     last: index == paragraphCount - 1 && position == sentenceCount - 1))
                } else {
                    if deck.isEmpty {
                        deck = GeneratorText.sentences(language)
                        random.shuffle(&deck)
                    }
                    sentences.append(deck.removeLast())
                }
            }
            if index == 0, attachments > 0, language == .english {
                sentences.append(attachments == 1 ? "I've attached the file for reference." : "I've attached the files for reference.")
            }
            let separator = [.chinese, .japanese].contains(language) ? "" : " "
            parts.paragraphs.append(Paragraph(text: sentences.joined(separator: separator)))
        }
        return parts
    }

    private static func englishSentence(_ random: inout SplitMix64, first: Bool, last: Bool) -> String {
        if first, random.chance(0.5) { return random.pick(GeneratorText.englishOpeners) }
        if last, random.chance(0.6) { return random.pick(GeneratorText.englishClosers) }
        if random.chance(0.2) {
            let request = random.pick(GeneratorText.englishRequests)
            return random.chance(0.5) ? "Could you \(request)?" : "Do you have time to \(request)?"
        }
        let subject = random.pick(GeneratorText.englishSubjects)
        let forms = random.pick(GeneratorText.englishVerbs)
        let verb = subject.person == 3 ? forms.third : subject.person == 1 ? forms.first : forms.plural
        let object = random.pick(GeneratorText.englishObjects)
        let time = random.pick(GeneratorText.englishTimes)
        return time.isEmpty ? "\(subject.text) \(verb) \(object)." : "\(subject.text) \(verb) \(object) \(time)."
    }

    private static func automatedParts(
        _ random: inout SplitMix64, kind: AutomatedKind, subject: String, greetingName: String
    ) -> Parts {
        var parts = Parts(language: .english)
        let title = strippedSubject(subject)
        let number = random.int(in: 100...4999)
        let person = random.pick(["Priya Patel", "Jürgen Müller", "张伟", "Sofía García", "Noa Cohen", "Ryan Brooks"])
        switch kind {
        case .github:
            // "[contoso/atlas] Title (#123)": link to the same repository and number.
            let repo = between(title, "[", "]") ?? random.pick(AutomatedKind.repositories)
            let pull = between(title, "(#", ")") ?? String(number)
            parts.paragraphs = [
                Paragraph(text: "@\(random.pick(AutomatedKind.githubHandles)) commented on this pull request."),
                Paragraph(text: englishSentence(&random, first: false, last: false) + " "
                          + englishSentence(&random, first: false, last: false)),
                Paragraph(text: "Reply to this email directly, view it on GitHub: https://github.com/\(repo)/pull/\(pull)"),
                Paragraph(text: "You are receiving this because you were mentioned."),
            ]
        case .jira:
            // "[JIRA] (ATL-42) Title": the body names the same issue.
            let key = between(title, "(", ")") ?? "ATL-\(number)"
            let issue = title.split(separator: ")", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? title
            parts.paragraphs = [
                Paragraph(text: "\(person) updated \(key): \(issue)"),
                Paragraph(text: "Status: In Progress → In Review. Assignee: \(GeneratorText.ownerName)."),
                Paragraph(text: englishSentence(&random, first: false, last: false)),
                Paragraph(text: "View issue: https://contoso.atlassian.net/browse/\(key)"),
            ]
        case .teams:
            parts.paragraphs = [
                Paragraph(text: "\(person) sent a message in \(random.pick(GeneratorText.teams)) › General:"),
                Paragraph(text: "“" + englishSentence(&random, first: false, last: false) + "”"),
                Paragraph(text: "Reply in Teams. You are receiving this email because you have missed activity."),
            ]
        case .devops:
            let failed = subject.contains("failed")
            parts.paragraphs = [
                Paragraph(text: "Build \(number) \(failed ? "failed" : "succeeded") for pipeline atlas-ci on branch main."),
                Paragraph(text: "Duration: \(random.int(in: 3...40))m \(random.int(in: 0...59))s. Triggered by \(person)."),
                Paragraph(text: failed ? "1 test failed: SyncEngineTests.testDeltaResumesAfterRestart"
                          : "All \(random.int(in: 400...900)) tests passed."),
            ]
        case .engineeringNewsletter, .partnerNewsletter:
            var items: [Paragraph] = [Paragraph(text: "In this issue:")]
            var headlines = AutomatedKind.newsletterHeadlines
            random.shuffle(&headlines)
            for template in headlines.prefix(random.int(in: 3...5)) {
                items.append(Paragraph(text: "• " + fill(template, &random)))
            }
            items.append(Paragraph(
                text: "You are receiving this newsletter because you subscribed. Unsubscribe: https://news.example/unsubscribe"))
            parts.paragraphs = items
        case .bank:
            parts.greeting = "Dear \(greetingName),"
            parts.paragraphs = [
                Paragraph(text: subject.contains("statement")
                          ? "Your statement is now available in online banking."
                          : "A card transaction of $\(random.int(in: 5...900)).\(random.int(in: 10...99)) was made at "
                            + "\(random.pick(GeneratorText.companies))."),
                Paragraph(text: "If you do not recognise this activity, call us on the number on the back of your card."),
                Paragraph(text: "This is an automated message; please do not reply."),
            ]
        case .travel:
            let code = String((0..<6).map { _ in Character(Unicode.Scalar(UInt8(65 + random.int(below: 26)))) })
            parts.greeting = "Hello \(greetingName),"
            parts.paragraphs = [
                Paragraph(text: "Your booking is confirmed. Booking reference: \(code)."),
                Paragraph(text: "Flight BY\(number) Seattle (SEA) → \(random.pick(GeneratorText.cities)). "
                          + "Please arrive at the airport two hours before departure."),
                Paragraph(text: "Manage your booking at https://margiestravel.example/trips/\(code)"),
            ]
        case .itHelpdesk:
            parts.greeting = "Hello \(greetingName),"
            parts.paragraphs = [
                Paragraph(text: subject.contains("password")
                          ? "Your password will expire in \(random.int(in: 2...14)) days. Change it at https://passwordreset.contoso.com."
                          : "Scheduled maintenance will take place this weekend; some services may be unavailable."),
                Paragraph(text: "Contoso IT will never ask for your password by e-mail."),
            ]
            parts.signature = "Contoso IT Helpdesk"
        case .spam:
            parts.paragraphs = [
                Paragraph(text: "Congratulations! You have been selected to receive a $1,000 gift card."),
                Paragraph(text: "Click here to claim your reward within 24 hours: http://rewards-center.example/claim?id=\(number)"),
            ]
        }
        return parts
    }

    private static func render(_ parts: Parts, quote: QuotedMessage?, owner: GenerationContext, html: Bool) -> EmulatedMessage.Body {
        if html {
            var out = "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\r\n"
            let direction = parts.language.isRightToLeft ? "rtl" : "ltr"
            out += "<div dir=\"\(direction)\" lang=\"\(parts.language.code)\" "
                + "style=\"font-family:Calibri,Arial,Helvetica,sans-serif; font-size:11pt; color:rgb(0,0,0)\">\r\n"
            appendHTML(parts, owner: owner, to: &out)
            out += "</div>\r\n"
            if let quote {
                appendHTMLQuote(quote, owner: owner, to: &out)
            }
            out += "</body></html>"
            return EmulatedMessage.Body(contentType: .html, content: out)
        } else {
            var out = plainText(parts, owner: owner)
            if let quote {
                out += "\r\n\r\n" + textQuote(quote, owner: owner)
            }
            return EmulatedMessage.Body(contentType: .text, content: out)
        }
    }

    private static func appendHTML(_ parts: Parts, owner: GenerationContext, to out: inout String) {
        if let greeting = parts.greeting { out += "<p>\(escapeHTML(greeting))</p>\r\n" }
        for paragraph in parts.paragraphs {
            out += "<p>"
            if paragraph.mention {
                out += "<a href=\"mailto:\(owner.ownerAddress)\">@\(escapeHTML(owner.ownerName))</a> "
            }
            out += escapeHTML(paragraph.text) + "</p>\r\n"
        }
        if parts.signOff != nil || parts.signature != nil {
            out += "<p>" + [parts.signOff, parts.signature].compactMap { $0.map(escapeHTML) }.joined(separator: "<br>\r\n") + "</p>\r\n"
        }
    }

    private static func plainText(_ parts: Parts, owner: GenerationContext) -> String {
        var blocks: [String] = []
        if let greeting = parts.greeting { blocks.append(greeting) }
        for paragraph in parts.paragraphs {
            blocks.append(paragraph.mention ? "@\(owner.ownerName) \(paragraph.text)" : paragraph.text)
        }
        let closing = [parts.signOff, parts.signature].compactMap { $0 }.joined(separator: "\r\n")
        if !closing.isEmpty { blocks.append(closing) }
        return blocks.joined(separator: "\r\n\r\n")
    }

    private static func quotedParts(_ quote: QuotedMessage) -> Parts {
        uniqueParts(seed: quote.seed, style: quote.style, greetingName: quote.greetingName, message: nil,
                    content: nil, limit: nil)
    }

    private static func recipientList(_ recipients: [EmulatedMessage.Recipient]) -> String {
        recipients.map { "\($0.name) <\($0.address)>" }.joined(separator: "; ")
    }

    private static func appendHTMLQuote(_ quote: QuotedMessage, owner: GenerationContext, to out: inout String) {
        var parent = quotedParts(quote)
        if parent.signature == nil { parent.signature = firstName(quote.from.name) }
        let outlookStyle = quote.isForward || quote.from.address.hasSuffix("@contoso.com")
        if outlookStyle {
            out += "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">\r\n"
            out += "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>From:</b> \(escapeHTML("\(quote.from.name) <\(quote.from.address)>"))<br>\r\n"
            out += "<b>Sent:</b> \(GraphDate.formatLong(quote.sent))<br>\r\n"
            out += "<b>To:</b> \(escapeHTML(recipientList(quote.to)))<br>\r\n"
            out += "<b>Subject:</b> \(escapeHTML(quote.subject))</div>\r\n<div>\r\n"
            appendHTML(parent, owner: owner, to: &out)
            out += "</div>\r\n"
        } else {
            let author = escapeHTML("\(quote.from.name) <\(quote.from.address)>")
            out += "<div class=\"gmail_quote\"><p>On \(GraphDate.formatLong(quote.sent)), \(author) wrote:</p>\r\n"
            out += "<blockquote style=\"margin:0 0 0 .8ex; border-left:1px solid #ccc; padding-left:1ex\">\r\n"
            appendHTML(parent, owner: owner, to: &out)
            out += "</blockquote></div>\r\n"
        }
    }

    private static func textQuote(_ quote: QuotedMessage, owner: GenerationContext) -> String {
        var parent = quotedParts(quote)
        if parent.signature == nil { parent.signature = firstName(quote.from.name) }
        let text = plainText(parent, owner: owner)
        if quote.isForward || quote.from.address.hasSuffix("@contoso.com") {
            let marker = quote.isForward ? "---------- Forwarded message ---------" : "________________________________"
            return "\(marker)\r\nFrom: \(quote.from.name) <\(quote.from.address)>\r\nSent: \(GraphDate.formatLong(quote.sent))\r\n"
                + "To: \(recipientList(quote.to))\r\nSubject: \(quote.subject)\r\n\r\n\(text)"
        }
        let quoted = text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? ">" : "> \($0)" }
            .joined(separator: "\r\n")
        return "On \(GraphDate.formatLong(quote.sent)), \(quote.from.name) <\(quote.from.address)> wrote:\r\n\(quoted)"
    }

    // MARK: - Helpers

    static func firstName(_ displayName: String) -> String {
        guard let first = displayName.split(separator: " ").first else { return displayName }
        return String(first)
    }

    /// The text between the first `open` and the next `close`.
    private static func between(_ text: String, _ open: String, _ close: String) -> String? {
        guard let start = text.range(of: open), let end = text[start.upperBound...].range(of: close) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    private static func fill(_ template: String, _ random: inout SplitMix64) -> String {
        var text = template
        for (key, values) in [("{project}", GeneratorText.projects), ("{team}", GeneratorText.teams),
                              ("{component}", GeneratorText.components), ("{city}", GeneratorText.cities),
                              ("{topic}", GeneratorText.topics), ("{role}", GeneratorText.roles)]
        where text.contains(key) {
            text = text.replacingOccurrences(of: key, with: random.pick(values))
        }
        return text
    }

    private static func strippedSubject(_ subject: String) -> String {
        var text = Substring(subject)
        for prefix in ["Re: ", "RE: ", "Fwd: ", "FW: "] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
        }
        return String(text)
    }

    private static func collapsedPrefix(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(min(text.utf8.count, previewLength * 4))
        var count = 0
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = count > 0
                continue
            }
            if pendingSpace {
                if count == previewLength { break }
                out.append(" ")
                count += 1
                pendingSpace = false
            }
            if count == previewLength { break }
            out.append(character)
            count += 1
        }
        return out
    }

    private static func crlf(_ text: String) -> String {
        text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    }
}

extension String {
    /// Normalises CRLF and lone CR to LF.
    func replacingCRLF() -> String {
        guard utf8.contains(13) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                out.unicodeScalars.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
