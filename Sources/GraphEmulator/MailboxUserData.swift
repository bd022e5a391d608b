import Foundation

/// Mailbox state beside folders and messages: Focused Inbox overrides, the category master
/// list, mailbox settings, attachment upload sessions and id counters. It lives inside the
/// `Mailbox` actor (one stored property) and is changed only through `Mailbox` methods.
struct MailboxUserData: Sendable {
    var overrides: [ClassificationOverride] = []
    /// nil until first read, then seeded with Outlook's defaults plus the generator's categories.
    var categories: [OutlookCategory]?
    /// nil until first read, then seeded with defaults.
    var settings: MailboxSettings?
    var uploadSessions: [String: AttachmentUploadSession] = [:]
    var mintedFolders: UInt64 = 0
    var mintedAttachments: UInt64 = 0
    var mintedOverrides: UInt64 = 0
    var mintedCategories: UInt64 = 0
    var mintedSessions: UInt64 = 0
}

/// A Focused Inbox override (`inferenceClassificationOverride`): mail from this sender is
/// always classified as `classifyAs` when it arrives in the Inbox.
public struct ClassificationOverride: Sendable, Equatable {
    public let id: String
    public var classifyAs: EmulatedMessage.Classification
    public var sender: EmulatedMessage.Recipient

    public init(id: String, classifyAs: EmulatedMessage.Classification, sender: EmulatedMessage.Recipient) {
        self.id = id
        self.classifyAs = classifyAs
        self.sender = sender
    }
}

/// An entry of `/me/outlook/masterCategories`.
public struct OutlookCategory: Sendable, Equatable {
    public let id: String
    /// Unique in the mailbox without regard to case; cannot be changed after creation.
    public let displayName: String
    public var color: Color

    /// Outlook's 25 colour presets (`preset0` red … `preset24` dark cranberry) or `none`.
    public enum Color: String, Sendable, CaseIterable {
        case none
        case preset0, preset1, preset2, preset3, preset4, preset5, preset6, preset7, preset8, preset9, preset10
        case preset11, preset12, preset13, preset14, preset15, preset16, preset17, preset18, preset19, preset20
        case preset21, preset22, preset23, preset24

        /// Case-insensitive, as Graph parses enum members in request bodies leniently.
        init?(name: String) {
            guard let color = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
            self = color
        }
    }

    public init(id: String, displayName: String, color: Color) {
        self.id = id
        self.displayName = displayName
        self.color = color
    }
}

/// `mailboxSettings` of the owner.
public struct MailboxSettings: Sendable, Equatable {
    public struct Locale: Sendable, Equatable {
        public var locale: String
        public var displayName: String

        public init(locale: String, displayName: String) {
            self.locale = locale
            self.displayName = displayName
        }
    }

    /// A `dateTimeTimeZone` value as the client sent it (`dateTime` normalised to Graph's
    /// seven-digit form), echoed back in the same zone.
    public struct ZonedTime: Sendable, Equatable {
        /// The wall-clock time in `timeZone`, as seconds of a UTC calendar.
        var seconds: Int64
        public var timeZone: String

        public var dateTime: String { GraphDate.formatLocal(seconds) }

        /// The instant, converting from `timeZone` (an unknown zone counts as UTC).
        public var date: Date { GraphDate.date(utcSeconds) }

        var utcSeconds: Int64 {
            guard let zone = MessagePatch.timeZone(named: timeZone) else { return seconds }
            let estimate = GraphDate.date(seconds)
            let offset = zone.secondsFromGMT(for: estimate.addingTimeInterval(-TimeInterval(zone.secondsFromGMT(for: estimate))))
            return seconds - Int64(offset)
        }

        public init(date: Date, timeZone: String = "UTC") {
            seconds = GraphDate.seconds(date)
            self.timeZone = timeZone
        }

        init(seconds: Int64, timeZone: String) {
            self.seconds = seconds
            self.timeZone = timeZone
        }
    }

    public struct AutomaticReplies: Sendable, Equatable {
        public enum Status: String, Sendable, CaseIterable {
            case disabled, alwaysEnabled, scheduled
        }

        public enum Audience: String, Sendable, CaseIterable {
            case none, contactsOnly, all
        }

        public var status: Status
        public var externalAudience: Audience
        public var internalReplyMessage: String
        public var externalReplyMessage: String
        public var scheduledStart: ZonedTime
        public var scheduledEnd: ZonedTime

        /// Whether someone writing at `seconds` gets the automatic reply.
        func isActive(at seconds: Int64) -> Bool {
            switch status {
            case .disabled: false
            case .alwaysEnabled: true
            case .scheduled: seconds >= scheduledStart.utcSeconds && seconds < scheduledEnd.utcSeconds
            }
        }
    }

    public struct WorkingHours: Sendable, Equatable {
        public var daysOfWeek: [String]
        public var startTime: String
        public var endTime: String
        public var timeZone: String
    }

    public var timeZone: String
    public var language: Locale
    public var dateFormat: String
    public var timeFormat: String
    public var automaticReplies: AutomaticReplies
    public var workingHours: WorkingHours
    public var delegateMeetingMessageDeliveryOptions: String

    /// A new mailbox: UTC, US English, automatic replies off, Monday to Friday 08:00–17:00.
    static func defaults(reference: Int64) -> MailboxSettings {
        let dayStart = (reference / 86_400) * 86_400
        return MailboxSettings(
            timeZone: "UTC", language: Locale(locale: "en-US", displayName: "English (United States)"),
            dateFormat: "MM/dd/yyyy", timeFormat: "hh:mm tt",
            automaticReplies: AutomaticReplies(
                status: .disabled, externalAudience: .all, internalReplyMessage: "", externalReplyMessage: "",
                scheduledStart: ZonedTime(seconds: dayStart + 86_400, timeZone: "UTC"),
                scheduledEnd: ZonedTime(seconds: dayStart + 2 * 86_400, timeZone: "UTC")),
            workingHours: WorkingHours(
                daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday"], startTime: "08:00:00.0000000",
                endTime: "17:00:00.0000000", timeZone: "UTC"),
            delegateMeetingMessageDeliveryOptions: "sendToDelegateOnly")
    }

    /// Display names for the locales Outlook offers most; others echo the locale code.
    static let localeNames: [String: String] = [
        "en-us": "English (United States)", "en-gb": "English (United Kingdom)", "de-de": "German (Germany)",
        "fr-fr": "French (France)", "es-es": "Spanish (Spain)", "it-it": "Italian (Italy)", "ja-jp": "Japanese (Japan)",
        "zh-cn": "Chinese (Simplified, China)", "pt-br": "Portuguese (Brazil)", "nl-nl": "Dutch (Netherlands)",
        "ru-ru": "Russian (Russia)", "ar-sa": "Arabic (Saudi Arabia)", "he-il": "Hebrew (Israel)",
        "vi-vn": "Vietnamese (Vietnam)", "ko-kr": "Korean (Korea)",
    ]
}

/// An attachment being uploaded in ranges (`createUploadSession`, then PUTs to `uploadUrl`).
struct AttachmentUploadSession: Sendable {
    var id: String
    /// The pre-authentication secret in `uploadUrl` (`?authtoken=`).
    var token: String
    /// The message, by immutable id so that a move during the upload does not lose it.
    var messageImmutableID: String
    var name: String
    var size: Int
    var contentType: String
    var isInline: Bool
    var contentID: String?
    var received: [UInt8]
    /// Wall-clock expiry; the session is gone after it.
    var expiration: Date
}
