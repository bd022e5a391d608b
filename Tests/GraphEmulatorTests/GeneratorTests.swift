import Foundation
import GraphEmulator
import MailCore
import Testing

@Suite("Mailbox generator")
struct GeneratorTests {
    /// Everything observable about a message, bodies included (they are recomputed on read).
    struct Observed: Equatable {
        var message: EmulatedMessage
        var body: EmulatedMessage.Body
        var uniqueBody: EmulatedMessage.Body
        var preview: String
        var attachments: [EmulatedMessage.Attachment]
    }

    static func observe(_ content: MailboxContent) -> [Observed] {
        content.messages.map {
            Observed(message: $0, body: $0.body, uniqueBody: $0.uniqueBody, preview: $0.bodyPreview, attachments: $0.attachments)
        }
    }

    @Test("The same seed gives the same mailbox, bodies included")
    func deterministic() {
        let first = MailboxGenerator(messageCount: 600, seed: 11).generate()
        let second = MailboxGenerator(messageCount: 600, seed: 11).generate()
        #expect(first == second)
        #expect(Self.observe(first) == Self.observe(second))
        #expect(first.referenceDate == MailboxGenerator.referenceDate)
    }

    @Test("Different seeds give different mailboxes")
    func seedsDiffer() {
        let first = MailboxGenerator(messageCount: 300, seed: 1).generate()
        let second = MailboxGenerator(messageCount: 300, seed: 2).generate()
        #expect(Set(first.messages.map(\.id)).isDisjoint(with: second.messages.map(\.id)))
        #expect(first.messages.map(\.subject) != second.messages.map(\.subject))
        #expect(first.messages.map(\.body) != second.messages.map(\.body))
    }

    @Test("Generates exactly the requested number of messages, ids unique and Graph-like")
    func counts() {
        for count in [0, 1, 9, 10, 57, 1000] {
            let content = MailboxGenerator(messageCount: count, seed: 5).generate()
            #expect(content.messages.count == count)
            #expect(Set(content.messages.map(\.id)).count == count)
            #expect(Set(content.messages.map(\.immutableID)).count == count)
        }
        let message = try! #require(MailboxGenerator(messageCount: 5, seed: 5).generate().messages.first)
        #expect(message.id.hasPrefix("AAMkAD") && message.id.count == 152 && message.id.hasSuffix("="))
        #expect(message.immutableID != message.id && message.immutableID.count == 152)
        #expect(message.conversationID.hasPrefix("AAQkAD"))
    }

    @Test("Exact shares: 5 % flagged (a tenth complete), 30 % unread, 10 % with attachments")
    func exactShares() throws {
        let content = MailboxGenerator(messageCount: 2000, seed: 9).generate()
        let messages = content.messages
        let flagged = messages.filter { $0.flag.status != .notFlagged }
        #expect(flagged.count == 100)
        #expect(flagged.filter { $0.flag.status == .complete }.count == 10)
        for message in flagged {
            #expect(message.flag.startDateTime != nil && message.flag.dueDateTime != nil)
            #expect((message.flag.status == .complete) == (message.flag.completedDateTime != nil))
        }
        #expect(messages.filter { !$0.isRead }.count == 600)
        #expect(messages.filter(\.hasAttachments).count == 200)
        for message in messages {
            #expect(message.hasAttachments == !message.attachments.isEmpty)
            #expect(message.attachments.count <= 3)
        }
        #expect(messages.filter { $0.importance == .high }.count == 120)
        #expect(messages.filter { $0.importance == .low }.count == 40)
        #expect(messages.filter { !$0.categories.isEmpty }.count == 160)

        let sentItems = try #require(content.folders.first { $0.wellKnownName == "sentitems" })
        let drafts = try #require(content.folders.first { $0.wellKnownName == "drafts" })
        for message in messages where message.parentFolderID == sentItems.id {
            #expect(message.isRead && message.from?.address == "alex.morgan@contoso.com")
        }
        let draftMessages = messages.filter { $0.parentFolderID == drafts.id }
        #expect((2...3).contains(draftMessages.count))
        #expect(draftMessages.allSatisfy { $0.isDraft && $0.isRead })
        #expect(messages.filter(\.isDraft).count == draftMessages.count)
    }

    @Test("Folders: well-known ones, nested user folders, one hidden; about 60 % of mail in the Inbox")
    func folders() throws {
        let content = MailboxGenerator(messageCount: 2000, seed: 9).generate()
        let wellKnown = Set(content.folders.compactMap(\.wellKnownName))
        #expect(wellKnown.isSuperset(of: ["inbox", "drafts", "sentitems", "deleteditems", "junkemail", "archive", "outbox"]))
        let paths = Set(content.folders.map(\.path))
        #expect(paths.isSuperset(of: ["Inbox/Projects/Atlas", "Inbox/Projects/Borealis", "Inbox/Newsletters", "Archive/2024"]))
        #expect(content.folders.filter(\.isHidden).count == 1)

        var perFolder: [String: Int] = [:]
        for message in content.messages { perFolder[message.parentFolderID, default: 0] += 1 }
        func share(_ path: String) throws -> Double {
            let folder = try #require(content.folders.first { $0.path == path })
            return Double(perFolder[folder.id] ?? 0) / Double(content.messages.count)
        }
        #expect((0.52...0.68).contains(try share("Inbox")))
        #expect(try share("Sent Items") > 0.05)
        #expect(try share("Archive") + share("Archive/2024") + share("Archive/2025") > 0.08)
        #expect(try share("Junk Email") > 0)
        #expect(try share("Deleted Items") > 0)
        #expect(try share("Inbox/Newsletters") > 0)
    }

    @Test("Focused/Other only in the Inbox; mentions are 3 % of human mail and appear in the body")
    func classificationAndMentions() throws {
        let content = MailboxGenerator(messageCount: 2000, seed: 9).generate()
        let inbox = try #require(content.folders.first { $0.wellKnownName == "inbox" })
        let other = content.messages.filter { $0.inferenceClassification == .other }
        #expect(other.allSatisfy { $0.parentFolderID == inbox.id })
        let inboxCount = content.messages.filter { $0.parentFolderID == inbox.id }.count
        let otherShare = Double(other.count) / Double(inboxCount)
        #expect((0.08...0.35).contains(otherShare))

        let mentioned = content.messages.filter(\.mentionsOwner)
        let received = content.messages.filter { $0.from?.address != "alex.morgan@contoso.com" }
        #expect(!mentioned.isEmpty)
        #expect(Double(mentioned.count) / Double(received.count) < 0.03)
        for message in mentioned {
            #expect(message.from?.address != "alex.morgan@contoso.com")
            #expect(message.bodyPreview.hasPrefix("Hi") || message.bodyPreview.contains("@Alex Morgan"))
            let body = message.body
            if body.contentType == .html {
                #expect(body.content.contains("<a href=\"mailto:alex.morgan@contoso.com\">@Alex Morgan</a>"))
            } else {
                #expect(body.content.contains("@Alex Morgan"))
            }
        }
    }

    @Test("Realistic content: scripts, non-ASCII subjects, HTML share, threads with quotes, dates")
    func content() throws {
        let content = MailboxGenerator(messageCount: 2000, seed: 9).generate()
        let messages = content.messages
        let names = messages.compactMap(\.from?.name).joined()
        for (script, range) in [
            ("CJK", 0x4E00...0x9FFF), ("Hangul", 0xAC00...0xD7AF), ("Cyrillic", 0x0400...0x04FF),
            ("Greek", 0x0370...0x03FF), ("Arabic", 0x0600...0x06FF), ("Hebrew", 0x0590...0x05FF),
            ("Latin accents", 0x00C0...0x017F),
        ] {
            #expect(names.unicodeScalars.contains { range.contains(Int($0.value)) }, "no \(script) sender names")
        }
        let distinctSenders = Set(messages.compactMap(\.from?.address))
        #expect(distinctSenders.count > 80)

        let prefixes = ["Re: ", "RE: ", "Fwd: ", "FW: "]
        let roots = messages.filter { message in !prefixes.contains { message.subject.hasPrefix($0) } }
        let nonASCII = roots.filter { $0.subject.unicodeScalars.contains { $0.value > 127 } }
        let nonASCIIShare = Double(nonASCII.count) / Double(roots.count)
        #expect((0.06...0.2).contains(nonASCIIShare))
        #expect(nonASCII.contains { $0.subject.unicodeScalars.contains { $0.properties.isEmojiPresentation } })

        let htmlShare = Double(messages.filter { $0.body.contentType == .html }.count) / Double(messages.count)
        #expect((0.65...0.85).contains(htmlShare))

        let conversations = Dictionary(grouping: messages, by: \.conversationID)
        #expect(conversations.values.contains { $0.count >= 3 })
        var replies = 0
        var quoting = 0
        for thread in conversations.values where thread.count > 1 {
            let ordered = thread.sorted { $0.receivedDateTime < $1.receivedDateTime }
            // The root (no Re:/Fwd: prefix, except for automated "Re:" notifications) comes first.
            #expect(!ordered[0].subject.hasPrefix("RE: ") && !ordered[0].subject.hasPrefix("FW: "))
            for reply in ordered.dropFirst() where reply.from?.address.hasSuffix("github.com") == false {
                replies += 1
                let text = reply.body.contentType == .html ? HTMLText.plainText(fromHTML: reply.body.content) : reply.body.content
                if text.contains("wrote:") || text.contains("Subject:") { quoting += 1 }
                #expect(reply.uniqueBody.content.count < reply.body.content.count || !text.contains("wrote:"))
            }
        }
        #expect(replies > 100)
        #expect(Double(quoting) / Double(replies) > 0.6)

        let reference = MailboxGenerator.referenceDate
        let earliest = reference.addingTimeInterval(-3 * 365 * 86_400 - 1)
        for message in messages {
            #expect(message.receivedDateTime <= reference && message.receivedDateTime >= earliest)
            #expect(message.lastModifiedDateTime >= message.receivedDateTime)
            #expect(message.bodyPreview.count <= 255)
        }
    }
}
