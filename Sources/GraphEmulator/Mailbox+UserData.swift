import Foundation

/// Why a change to overrides, categories or settings was refused.
public enum UserDataError: Error, Equatable, Sendable {
    /// No override or category has this id (404 `ErrorItemNotFound`).
    case notFound(String)
    /// The mailbox already has the documented maximum of 1000 overrides.
    case tooManyOverrides
    /// A category of this name exists already (409).
    case duplicateCategory(String)
    /// A value the request may not carry, with a message for the client (400).
    case invalid(String)
}

extension Mailbox {
    /// "The maximum number of overrides supported for a mailbox is 1000."
    public static let maximumOverrides = 1000

    // MARK: - Focused Inbox

    /// How mail from `sender` is classified when it arrives in the Inbox: the sender's override
    /// if there is one, otherwise the emulator's stand-in for Exchange's classifier (mail from
    /// automated senders and bulk mailers is Other, people are Focused).
    public func classification(for sender: String) -> EmulatedMessage.Classification {
        if let override = userData.overrides.first(where: { $0.sender.address.lowercased() == sender.lowercased() }) {
            return override.classifyAs
        }
        return Self.classifierGuess(for: sender)
    }

    /// Delivery applies an override for the sender over whatever classification the new message
    /// came with; mail delivered outside the Inbox is Focused ("Messages in other folders are by
    /// default 'Focused'").
    func deliveredClassification(
        _ proposed: EmulatedMessage.Classification, sender: String, folderID: String
    ) -> EmulatedMessage.Classification {
        guard folderID == wellKnown["inbox"] else { return .focused }
        let lowered = sender.lowercased()
        return userData.overrides.first { $0.sender.address.lowercased() == lowered }?.classifyAs ?? proposed
    }

    static func classifierGuess(for sender: String) -> EmulatedMessage.Classification {
        let local = sender.split(separator: "@").first.map { $0.lowercased() } ?? ""
        let automated = ["noreply", "no-reply", "notifications", "notification", "newsletter", "news", "alerts",
                         "marketing", "digest", "updates", "mailer", "info", "rewards", "promo"]
        return automated.contains { local.hasPrefix($0) || local.hasSuffix($0) } ? .other : .focused
    }

    public func classificationOverrides() -> [ClassificationOverride] {
        userData.overrides
    }

    public func classificationOverride(id: String) throws(UserDataError) -> ClassificationOverride {
        guard let found = userData.overrides.first(where: { $0.id == id }) else { throw .notFound(id) }
        return found
    }

    /// POST semantics: a new override, or, when the address has one already, that override with
    /// `classifyAs` and the sender's name updated. Returns the override and whether it is new.
    @discardableResult
    public func upsertClassificationOverride(
        sender: EmulatedMessage.Recipient, classifyAs: EmulatedMessage.Classification
    ) throws(UserDataError) -> (override: ClassificationOverride, created: Bool) {
        let lowered = sender.address.lowercased()
        if let index = userData.overrides.firstIndex(where: { $0.sender.address.lowercased() == lowered }) {
            userData.overrides[index].classifyAs = classifyAs
            userData.overrides[index].sender.name = sender.name
            return (userData.overrides[index], false)
        }
        guard userData.overrides.count < Self.maximumOverrides else { throw .tooManyOverrides }
        userData.mintedOverrides += 1
        let id = GraphID.guid(seed: StableHash.mix(idSeed, 0x0FE4, userData.mintedOverrides))
        let override = ClassificationOverride(id: id, classifyAs: classifyAs, sender: sender)
        userData.overrides.append(override)
        return (override, true)
    }

    /// PATCH semantics: `classifyAs` and, when given, the sender's name and address.
    @discardableResult
    public func updateClassificationOverride(
        id: String, classifyAs: EmulatedMessage.Classification?, sender: EmulatedMessage.Recipient? = nil
    ) throws(UserDataError) -> ClassificationOverride {
        guard let index = userData.overrides.firstIndex(where: { $0.id == id }) else { throw .notFound(id) }
        if let classifyAs { userData.overrides[index].classifyAs = classifyAs }
        if let sender {
            let lowered = sender.address.lowercased()
            if userData.overrides.contains(where: { $0.id != id && $0.sender.address.lowercased() == lowered }) {
                throw .invalid("An override for \(sender.address) exists already.")
            }
            userData.overrides[index].sender = sender
        }
        return userData.overrides[index]
    }

    public func deleteClassificationOverride(id: String) throws(UserDataError) {
        guard let index = userData.overrides.firstIndex(where: { $0.id == id }) else { throw .notFound(id) }
        userData.overrides.remove(at: index)
    }

    // MARK: - Categories

    public func masterCategories() -> [OutlookCategory] {
        if let categories = userData.categories { return categories }
        let seeded = defaultCategories()
        userData.categories = seeded
        return seeded
    }

    public func category(id: String) throws(UserDataError) -> OutlookCategory {
        guard let found = masterCategories().first(where: { $0.id == id }) else { throw .notFound(id) }
        return found
    }

    @discardableResult
    public func createCategory(displayName: String, color: OutlookCategory.Color) throws(UserDataError) -> OutlookCategory {
        let name = displayName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .invalid("The category's displayName is required.") }
        var categories = masterCategories()
        guard !categories.contains(where: { $0.displayName.lowercased() == name.lowercased() }) else {
            throw .duplicateCategory(name)
        }
        userData.mintedCategories += 1
        let category = OutlookCategory(
            id: GraphID.guid(seed: StableHash.mix(idSeed, 0xCA7E, 1000 + userData.mintedCategories)),
            displayName: name, color: color)
        categories.append(category)
        userData.categories = categories
        return category
    }

    /// Only the colour can change ("displayName … cannot be modified once created").
    @discardableResult
    public func updateCategory(id: String, color: OutlookCategory.Color) throws(UserDataError) -> OutlookCategory {
        var categories = masterCategories()
        guard let index = categories.firstIndex(where: { $0.id == id }) else { throw .notFound(id) }
        categories[index].color = color
        userData.categories = categories
        return categories[index]
    }

    public func deleteCategory(id: String) throws(UserDataError) {
        var categories = masterCategories()
        guard let index = categories.firstIndex(where: { $0.id == id }) else { throw .notFound(id) }
        categories.remove(at: index)
        userData.categories = categories
    }

    /// Outlook's six colour categories plus the ones the generator puts on messages.
    private func defaultCategories() -> [OutlookCategory] {
        let presets: [(String, OutlookCategory.Color)] = [
            ("Red category", .preset0), ("Orange category", .preset1), ("Yellow category", .preset3),
            ("Green category", .preset4), ("Blue category", .preset7), ("Purple category", .preset8),
            ("Project Atlas", .preset9), ("Follow up", .preset15), ("Customers", .preset5),
        ]
        return presets.enumerated().map { index, entry in
            OutlookCategory(
                id: GraphID.guid(seed: StableHash.mix(idSeed, 0xCA7E, UInt64(index))), displayName: entry.0, color: entry.1)
        }
    }

    // MARK: - Mailbox settings

    public func mailboxSettings() -> MailboxSettings {
        if let settings = userData.settings { return settings }
        let seeded = MailboxSettings.defaults(reference: logicalNow())
        userData.settings = seeded
        return seeded
    }

    /// Replaces the settings (PATCH merges the request into the current value first).
    public func setMailboxSettings(_ settings: MailboxSettings) throws(UserDataError) {
        let replies = settings.automaticReplies
        if replies.status == .scheduled, replies.scheduledEnd.utcSeconds <= replies.scheduledStart.utcSeconds {
            throw .invalid("The scheduled end time of automatic replies must be after the start time.")
        }
        userData.settings = settings
    }

    /// The mailbox's logical "now" (later than every message), for automatic-reply windows.
    public var currentDate: Date { GraphDate.date(logicalNow()) }
}
