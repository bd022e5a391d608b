import Foundation

/// Generates a realistic, deterministic mailbox: the same `(messageCount, seed)` always gives
/// the same folders, ids, dates and bodies, on any machine.
///
/// The owner is Alex Morgan <alex.morgan@contoso.com>. Dates span three years ending at
/// `referenceDate`. Exact shares (of `messageCount`, rounded): 5 % flagged (a tenth of them
/// complete), 30 % unread (never mail the owner sent, nor drafts), 10 % with attachments,
/// 6 % high and 2 % low importance, 8 % with categories, and 3 % of received human mail
/// @-mentions the owner. Roughly 60 % of the mail is in the Inbox.
public struct MailboxGenerator: Sendable {
    public let messageCount: Int
    public let seed: UInt64

    /// The fixed "now" of every generated mailbox: 2026-11-20T12:00:00Z.
    public static let referenceDate = GraphDate.date(referenceSeconds)
    static let referenceSeconds = GraphDate.seconds(year: 2026, month: 11, day: 20, hour: 12)
    static let spanDays = 3 * 365

    public init(messageCount: Int, seed: UInt64) {
        precondition(messageCount >= 0, "messageCount must not be negative")
        self.messageCount = messageCount
        self.seed = seed
    }

    public func generate() -> MailboxContent {
        var builder = Builder(count: messageCount, seed: seed)
        return builder.build()
    }
}

// MARK: - Folders

enum GeneratedFolder: Int, CaseIterable {
    case inbox, projects, atlas, borealis, newsletters, drafts, sentItems, deletedItems, junkEmail, archive
    case archive2024, archive2025, outbox, conversationHistory, clutter

    var displayName: String {
        switch self {
        case .inbox: "Inbox"
        case .projects: "Projects"
        case .atlas: "Atlas"
        case .borealis: "Borealis"
        case .newsletters: "Newsletters"
        case .drafts: "Drafts"
        case .sentItems: "Sent Items"
        case .deletedItems: "Deleted Items"
        case .junkEmail: "Junk Email"
        case .archive: "Archive"
        case .archive2024: "2024"
        case .archive2025: "2025"
        case .outbox: "Outbox"
        case .conversationHistory: "Conversation History"
        case .clutter: "Clutter"
        }
    }

    var parent: GeneratedFolder? {
        switch self {
        case .projects, .newsletters: .inbox
        case .atlas, .borealis: .projects
        case .archive2024, .archive2025: .archive
        default: nil
        }
    }

    var wellKnownName: String? {
        switch self {
        case .inbox: "inbox"
        case .drafts: "drafts"
        case .sentItems: "sentitems"
        case .deletedItems: "deleteditems"
        case .junkEmail: "junkemail"
        case .archive: "archive"
        case .outbox: "outbox"
        case .conversationHistory: "conversationhistory"
        case .clutter: "clutter"
        default: nil
        }
    }

    /// One hidden folder, so that `includeHiddenFolders=true` has something to reveal.
    var isHidden: Bool { self == .clutter }

    var path: String {
        if let parent { return parent.path + "/" + displayName }
        return displayName
    }
}

// MARK: - People

struct Person {
    var recipient: EmulatedMessage.Recipient
    var greetingName: String
    var language: Language
}

private struct Builder {
    let count: Int
    let seed: UInt64
    var random: SplitMix64
    let reference = MailboxGenerator.referenceSeconds
    let start: Int64
    let owner: Person
    let context: GenerationContext
    var people: [Person] = []
    var peopleWeights: [Double] = []
    var folderIDs: [GeneratedFolder: String] = [:]
    var messages: [EmulatedMessage] = []
    /// Whether each message (by index) was written by a person other than the owner.
    var isHumanReceived: [Bool] = []
    var conversationCount = 0
    var currentConversation: (seed: UInt64, id: String) = (0, "")
    /// Recent human conversations, to give drafts a plausible "Re:" subject.
    var recentSubjects: [(subject: String, person: Int)] = []

    init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
        random = SplitMix64(seed: StableHash.mix(seed, 0x6E_6E))
        start = MailboxGenerator.referenceSeconds - Int64(MailboxGenerator.spanDays) * 86_400
        owner = Person(
            recipient: .init(name: GeneratorText.ownerName, address: GeneratorText.ownerAddress),
            greetingName: GeneratorText.ownerGiven, language: .english)
        context = GenerationContext(ownerName: GeneratorText.ownerName, ownerAddress: GeneratorText.ownerAddress)
    }

    mutating func build() -> MailboxContent {
        let rootID = GraphID.folder(seed: StableHash.mix(seed, 0xF0, 0), wellKnown: true)
        var folders: [EmulatedFolder] = []
        for folder in GeneratedFolder.allCases {
            let id = GraphID.folder(seed: StableHash.mix(seed, 0xF0, UInt64(folder.rawValue + 1)),
                                    wellKnown: folder.wellKnownName != nil)
            folderIDs[folder] = id
        }
        for folder in GeneratedFolder.allCases {
            folders.append(EmulatedFolder(
                id: folderIDs[folder]!, displayName: folder.displayName,
                parentFolderID: folder.parent.map { folderIDs[$0]! } ?? rootID,
                wellKnownName: folder.wellKnownName, isHidden: folder.isHidden, path: folder.path))
        }

        makePeople()
        messages.reserveCapacity(count)
        isHumanReceived.reserveCapacity(count)
        let draftCount = count >= 10 ? 2 + random.int(below: 2) : 0
        while messages.count < count - draftCount {
            let roll = random.unit()
            if roll < 0.24 {
                automatedConversation(limit: count - draftCount)
            } else {
                humanConversation(limit: count - draftCount, ownerStarts: roll < 0.29)
            }
        }
        for _ in 0..<draftCount { makeDraft() }
        assignExactShares()

        let owner = MailboxOwner(
            id: GraphID.guid(seed: StableHash.mix(seed, 0x05E7)), displayName: GeneratorText.ownerName,
            givenName: GeneratorText.ownerGiven, surname: GeneratorText.ownerSurname, address: GeneratorText.ownerAddress)
        return MailboxContent(
            owner: owner, rootFolderID: rootID, folders: folders, messages: messages,
            referenceDate: MailboxGenerator.referenceDate, idSeed: StableHash.mix(seed, 0x5EED))
    }

    // MARK: People

    mutating func makePeople() {
        var cast = SplitMix64(seed: StableHash.mix(seed, 0x9E09))
        let localeWeights = GeneratorText.locales.map(\.weight)
        var usedAddresses: Set<String> = [GeneratorText.ownerAddress]
        for rank in 0..<200 {
            let locale = GeneratorText.locales[cast.weightedIndex(localeWeights)]
            let (given, feminine) = cast.pick(locale.given)
            let family = cast.pick(locale.family)
            let familyName = feminine ? (family.feminine ?? family.native) : family.native
            let name: String
            let greeting: String
            switch locale.order {
            case .givenFirst:
                name = "\(given.native) \(familyName)"
                greeting = given.native
            case .familyFirstSpaced:
                name = "\(familyName) \(given.native)"
                // Japanese mail greets by family name; Vietnamese by the last given name.
                greeting = locale.language == .japanese
                    ? familyName : String(given.native.split(separator: " ").last ?? Substring(given.native))
            case .familyFirstJoined:
                name = familyName + given.native
                greeting = name
            }
            let isColleague = cast.chance(0.45)
            let domain = isColleague ? GeneratorText.ownerDomain : cast.pick(GeneratorText.externalDomains)
            let local = (given.ascii + "." + family.ascii).lowercased().filter { $0.isLetter || $0.isNumber || $0 == "." }
            var address = "\(local)@\(domain)"
            var suffix = 2
            while usedAddresses.contains(address) {
                address = "\(local)\(suffix)@\(domain)"
                suffix += 1
            }
            usedAddresses.insert(address)
            people.append(Person(recipient: .init(name: name, address: address), greetingName: greeting,
                                 language: locale.language))
            // A few frequent correspondents and a long tail (Zipf-like).
            peopleWeights.append(1.0 / Double(rank + 1).squareRoot())
        }
    }

    mutating func pickPerson() -> Int {
        random.weightedIndex(peopleWeights)
    }

    // MARK: Dates

    mutating func rootDate() -> Int64 {
        var day = random.int(below: MailboxGenerator.spanDays)
        for _ in 0..<3 {
            let weekday = GraphDate.components(start + Int64(day) * 86_400).weekday
            if (weekday == 0 || weekday == 6) && random.chance(0.75) {
                day = random.int(below: MailboxGenerator.spanDays)
            } else {
                break
            }
        }
        let hour = random.chance(0.85) ? 8 + random.int(below: 10) : random.int(below: 24)
        let seconds = Int64(hour * 3600 + random.int(below: 3600))
        return min(start + Int64(day) * 86_400 + seconds, reference - 3600)
    }

    mutating func replyDelay() -> Int64 {
        Int64(random.logUniform(180, 4 * 86_400))
    }

    // MARK: Subjects

    mutating func fillTemplate(_ template: String) -> String {
        var out = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            if character == "{", let close = template[index...].firstIndex(of: "}") {
                let key = template[template.index(after: index)..<close]
                out += placeholder(String(key))
                index = template.index(after: close)
            } else {
                out.append(character)
                index = template.index(after: index)
            }
        }
        return out
    }

    mutating func placeholder(_ key: String) -> String {
        switch key {
        case "project": random.pick(GeneratorText.projects)
        case "company": random.pick(GeneratorText.companies)
        case "company2": random.pick(GeneratorText.companies)
        case "city": random.pick(GeneratorText.cities)
        case "topic": random.pick(GeneratorText.topics)
        case "component": random.pick(GeneratorText.components)
        case "role": random.pick(GeneratorText.roles)
        case "team": random.pick(GeneratorText.teams)
        case "weekday": random.pick(GeneratorText.weekdays)
        case "month": random.pick(GeneratorText.months)
        case "q": String(random.int(in: 1...4))
        case "week": String(random.int(in: 1...52))
        case "n": String(random.int(in: 10_000...99_999))
        default: key
        }
    }

    mutating func humanSubject(language: Language) -> String {
        if random.chance(0.13) {
            let native = GeneratorText.nativeSubjects(language)
            return fillTemplate(random.pick(native))
        }
        return fillTemplate(random.pick(GeneratorText.subjects))
    }

    // MARK: Conversations

    mutating func homeFolder(rootDate: Int64, subject: String, kind: AutomatedKind?) -> GeneratedFolder {
        if kind == .spam { return .junkEmail }
        if let kind, kind.isNewsletter { return random.chance(0.7) ? .newsletters : .inbox }
        if reference - rootDate > 240 * 86_400, random.chance(0.3) {
            let year = GraphDate.components(rootDate).year
            if year == 2024, random.chance(0.6) { return .archive2024 }
            if year == 2025, random.chance(0.6) { return .archive2025 }
            return .archive
        }
        if subject.contains("Atlas"), random.chance(0.6) { return .atlas }
        if subject.contains("Borealis"), random.chance(0.6) { return .borealis }
        return .inbox
    }

    mutating func threadSize() -> Int {
        switch random.unit() {
        case ..<0.55: 1
        case ..<0.75: 2
        case ..<0.85: 3
        case ..<0.92: random.int(in: 4...5)
        case ..<0.97: random.int(in: 6...10)
        default: random.int(in: 11...25)
        }
    }

    mutating func humanConversation(limit: Int, ownerStarts: Bool) {
        nextConversation()
        let correspondent = pickPerson()
        var participants = [correspondent]
        if random.chance(0.3) { participants.append(pickPerson()) }
        let rootLanguage = people[correspondent].language
        let subject = humanSubject(language: ownerStarts ? .english : rootLanguage)
        var date = rootDate()
        let home = homeFolder(rootDate: date, subject: subject, kind: nil)
        let size = threadSize()
        var author: Int? = ownerStarts ? nil : correspondent  // nil = the owner
        var previous: EmulatedMessage?
        var previousStyle = BodyStyle.human(.english)
        var previousGreeting = ""
        var depth = 0
        recentSubjects.append((subject, correspondent))
        if recentSubjects.count > 50 { recentSubjects.removeFirst() }

        for position in 0..<size {
            guard messages.count < limit, date <= reference - 60 else { break }
            let isForward = position > 0 && random.chance(0.08)
            let from = author.map { people[$0] } ?? owner
            var to: [EmulatedMessage.Recipient]
            var greeting: String
            if author == nil {
                let target = isForward ? people[pickPerson()] : people[participants[0]]
                to = [target.recipient]
                greeting = target.greetingName
            } else {
                to = [owner.recipient]
                greeting = owner.greetingName
                if participants.count > 1, random.chance(0.5) { to.append(people[participants[1]].recipient) }
            }
            var cc: [EmulatedMessage.Recipient] = []
            if random.chance(0.2) {
                let extra = people[pickPerson()].recipient
                if extra != from.recipient, !to.contains(extra) { cc.append(extra) }
            }
            let outlook = from.recipient.address.hasSuffix("@" + GeneratorText.ownerDomain)
            let messageSubject: String
            if position == 0 {
                messageSubject = subject
            } else if isForward {
                messageSubject = (outlook ? "FW: " : "Fwd: ") + subject
            } else {
                messageSubject = (outlook ? "RE: " : "Re: ") + subject
            }
            let quote: QuotedMessage? = previous.flatMap { parent in
                guard isForward || random.chance(0.8) else { return nil }
                return QuotedMessage(
                    seed: bodySeed(of: parent), style: previousStyle, greetingName: previousGreeting,
                    from: parent.from ?? owner.recipient, to: parent.toRecipients, sent: parent.sent ?? parent.received,
                    subject: parent.subject, isForward: isForward)
            }
            let style = BodyStyle.human(from.language)
            let folder: GeneratedFolder = author == nil ? .sentItems : (random.chance(0.025) ? .deletedItems : home)
            let message = makeMessage(
                depth: depth, from: from.recipient, to: to, cc: cc,
                subject: messageSubject, date: date, style: style, greeting: greeting,
                html: random.chance(0.75), quote: quote, folder: folder,
                classification: folder == .inbox && random.chance(0.08) ? .other : .focused)
            messages.append(message)
            isHumanReceived.append(author != nil)
            previous = message
            previousStyle = style
            previousGreeting = greeting
            depth += 1
            date += replyDelay()
            // Next author: the owner answers often in a one-to-one thread, less in a group one;
            // otherwise someone other than the previous writer.
            if let previousAuthor = author {
                let others = participants.filter { $0 != previousAuthor }
                if others.isEmpty {
                    author = random.chance(0.35) ? nil : previousAuthor
                } else {
                    author = random.chance(0.2) ? nil : random.pick(others)
                }
            } else {
                author = random.pick(participants)
            }
        }
    }

    mutating func automatedConversation(limit: Int) {
        let kinds = AutomatedKind.allCases
        let kind = kinds[random.weightedIndex(kinds.map(\.weight))]
        nextConversation()
        let subject: String
        switch kind {
        case .github:
            subject = "[\(random.pick(AutomatedKind.repositories))] \(random.pick(AutomatedKind.githubTitles)) (#\(random.int(in: 100...4999)))"
        case .jira:
            subject = "[JIRA] (\(random.pick(["ATL", "BOR", "OPS"]))-\(random.int(in: 10...999))) \(random.pick(AutomatedKind.jiraTitles))"
        case .teams:
            subject = "You have \(random.int(in: 2...12)) new messages in \(random.pick(GeneratorText.teams))"
        case .devops:
            subject = random.chance(0.3) ? "Build failed: atlas-ci #\(random.int(in: 1000...9999))"
                : "Build succeeded: atlas-ci #\(random.int(in: 1000...9999))"
        case .engineeringNewsletter:
            subject = random.chance(0.2)
                ? "📰 This week in Contoso Engineering"
                : "This week in Contoso Engineering: \(random.pick(GeneratorText.projects)) and more"
        case .partnerNewsletter:
            subject = "Fabrikam Insider: \(random.pick(GeneratorText.topics).replacingOccurrences(of: "the ", with: "")) explained"
        case .bank:
            subject = random.chance(0.5) ? "Your \(random.pick(GeneratorText.months)) statement is ready" : "Card transaction alert"
        case .travel:
            subject = "✈️ Your trip to \(random.pick(GeneratorText.cities)) is confirmed"
        case .itHelpdesk:
            subject = random.chance(0.5) ? "Your password expires soon" : "Scheduled maintenance this weekend"
        case .spam:
            subject = random.pick(AutomatedKind.spamSubjects)
        }
        var date = kind == .spam ? start + Int64(random.int(below: MailboxGenerator.spanDays * 86_400)) : rootDate()
        let home = homeFolder(rootDate: date, subject: subject, kind: kind)
        let size = kind.threads ? random.int(in: 1...6) : 1
        let sender = EmulatedMessage.Recipient(name: kind.senderName, address: kind.senderAddress)
        for position in 0..<size {
            guard messages.count < limit, date <= reference - 60 else { break }
            let folder: GeneratedFolder = random.chance(0.025) && kind != .spam ? .deletedItems : home
            let classification: EmulatedMessage.Classification =
                folder == .inbox && random.chance(kind.otherProbability) ? .other : .focused
            let message = makeMessage(
                depth: position, from: sender, to: [owner.recipient], cc: [],
                subject: position == 0 ? subject : "Re: " + subject, date: date, style: .automated(kind),
                greeting: owner.greetingName, html: random.chance(kind.prefersHTML), quote: nil, folder: folder,
                classification: classification)
            messages.append(message)
            isHumanReceived.append(false)
            date += Int64(random.logUniform(600, 3 * 86_400))
        }
    }

    mutating func makeDraft() {
        nextConversation()
        let subject: String
        let person: Int
        if let recent = recentSubjects.last, random.chance(0.5) {
            subject = "Re: " + recent.subject
            person = recent.person
        } else {
            subject = fillTemplate(random.pick(GeneratorText.subjects))
            person = pickPerson()
        }
        let date = reference - Int64(random.int(in: 600...(4 * 86_400)))
        var draft = makeMessage(
            depth: 0, from: owner.recipient, to: [people[person].recipient], cc: [],
            subject: subject, date: date, style: .human(.english), greeting: people[person].greetingName,
            html: true, quote: nil, folder: .drafts, classification: .focused)
        draft.isDraft = true
        messages.append(draft)
        isHumanReceived.append(false)
    }

    /// Starts a conversation; its id is minted once and shared by all its messages.
    mutating func nextConversation() {
        let conversationSeed = StableHash.mix(seed, 0xC0, UInt64(conversationCount))
        conversationCount += 1
        currentConversation = (conversationSeed, GraphID.conversation(seed: conversationSeed))
    }

    func bodySeed(of message: EmulatedMessage) -> UInt64 {
        if case .generated(let content) = message.content { return content.seed }
        return 0
    }

    mutating func makeMessage(
        depth: Int, from: EmulatedMessage.Recipient, to: [EmulatedMessage.Recipient],
        cc: [EmulatedMessage.Recipient], subject: String, date: Int64, style: BodyStyle, greeting: String, html: Bool,
        quote: QuotedMessage?, folder: GeneratedFolder, classification: EmulatedMessage.Classification
    ) -> EmulatedMessage {
        let number = UInt64(messages.count)
        let conversationSeed = currentConversation.seed
        let sentByOwner = from.address == GeneratorText.ownerAddress
        let sent = sentByOwner ? date : date - Int64(random.int(in: 1...90))
        let domain = from.address.split(separator: "@").last.map(String.init) ?? GeneratorText.ownerDomain
        let host = domain == GeneratorText.ownerDomain ? "DM6PR11MB4236.namprd11.prod.outlook.com" : "mail.\(domain)"
        let messageIDHash = StableHash.mix(seed, 0x1A, number)
        let content = GeneratedContent(
            seed: StableHash.mix(seed, 0xB0, number), style: style, isHTML: html, greetingName: greeting,
            attachmentCount: 0, quote: quote, context: context)
        return EmulatedMessage(
            id: GraphID.message(seed: StableHash.mix(seed, 0x1D, number)),
            immutableID: GraphID.immutableMessage(seed: StableHash.mix(seed, 0x1E, number)),
            parentFolderID: folderIDs[folder]!,
            changeKey: GraphID.changeKey(seed: StableHash.mix(seed, 0xCE, number)),
            conversationID: currentConversation.id,
            conversationIndex: GraphID.base64Bytes(count: 22 + 5 * min(depth, 40), seed: conversationSeed),
            internetMessageID: "<\(hex(messageIDHash))\(hex(messageIDHash >> 17, digits: 8))@\(host)>",
            subject: subject, from: from, sender: from, toRecipients: to, ccRecipients: cc, bccRecipients: [],
            replyTo: [], isRead: true, isDraft: false, importance: .normal,
            inferenceClassification: classification, flag: .notFlagged, categories: [], hasAttachments: false,
            isReadReceiptRequested: false, isDeliveryReceiptRequested: false, mentionsOwner: false,
            created: date, lastModified: min(date + Int64(random.int(in: 1...300)), reference), received: date,
            sent: sent, content: .generated(content))
    }

    func hex(_ value: UInt64, digits: Int = 16) -> String {
        let text = String(value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 16 - text.count)) + text
        return String(padded.suffix(digits))
    }

    // MARK: Exact shares

    /// Picks exactly `share` of `count` (rounded) among `eligible`, with its own stream so
    /// that each property's choice does not depend on the others.
    func choose(_ share: Double, of count: Int, among eligible: [Int], stream: UInt64) -> [Int] {
        var candidates = eligible
        var chooser = SplitMix64(seed: StableHash.mix(seed, stream))
        chooser.shuffle(&candidates)
        let target = min(Int((Double(count) * share).rounded()), candidates.count)
        return Array(candidates.prefix(target))
    }

    mutating func assignExactShares() {
        let all = Array(messages.indices)
        let notDrafts = all.filter { !messages[$0].isDraft }
        let received = notDrafts.filter { messages[$0].from?.address != GeneratorText.ownerAddress }
        var details = SplitMix64(seed: StableHash.mix(seed, 0xDE7A))

        // Everything starts read; exactly 30 % of the mailbox is then marked unread.
        for index in choose(0.30, of: count, among: received, stream: 0x0A) {
            messages[index].isRead = false
            messages[index].lastModified = min(messages[index].received + Int64(details.int(in: 0...30)), reference)
        }
        for index in received where messages[index].isRead {
            messages[index].lastModified = min(messages[index].received + Int64(details.int(in: 60...86_400)), reference)
        }

        let flagged = choose(0.05, of: count, among: notDrafts, stream: 0x0B)
        let completeCount = Int((Double(flagged.count) / 10).rounded())
        for (position, index) in flagged.enumerated() {
            let received = messages[index].received
            let flagStart = (received / 86_400) * 86_400
            let due = flagStart + Int64(details.int(in: 1...14)) * 86_400
            if position < completeCount {
                let completed = min(due + Int64(details.int(in: -3...3)) * 86_400, reference)
                messages[index].flag = .init(status: .complete, start: flagStart, due: due, completed: max(completed, received))
            } else {
                messages[index].flag = .init(status: .flagged, start: flagStart, due: due, completed: nil)
            }
            messages[index].lastModified = min(max(messages[index].lastModified, received + 3600), reference)
        }

        for index in choose(0.10, of: count, among: notDrafts, stream: 0x0C) {
            messages[index].hasAttachments = true
            if case .generated(var content) = messages[index].content {
                content.attachmentCount = UInt8(details.chance(0.6) ? 1 : details.int(in: 2...3))
                messages[index].content = .generated(content)
            }
        }

        var importanceCandidates = notDrafts
        var importanceStream = SplitMix64(seed: StableHash.mix(seed, 0x0D))
        importanceStream.shuffle(&importanceCandidates)
        let high = min(Int((Double(count) * 0.06).rounded()), importanceCandidates.count)
        let low = min(Int((Double(count) * 0.02).rounded()), importanceCandidates.count - high)
        for index in importanceCandidates.prefix(high) { messages[index].importance = .high }
        for index in importanceCandidates.dropFirst(high).prefix(low) { messages[index].importance = .low }

        for index in choose(0.08, of: count, among: notDrafts, stream: 0x0E) {
            let first = details.pick(GeneratorText.categories)
            var categories = [first]
            if details.chance(0.25) {
                let second = details.pick(GeneratorText.categories)
                if second != first { categories.append(second) }
            }
            messages[index].categories = categories
        }

        let humanReceived = received.filter { isHumanReceived[$0] }
        for index in choose(0.03, of: humanReceived.count, among: humanReceived, stream: 0x0F) {
            messages[index].mentionsOwner = true
        }
    }
}
