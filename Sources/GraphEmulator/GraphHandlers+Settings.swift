import Foundation
import Hummingbird

extension GraphError {
    init(_ error: UserDataError) {
        switch error {
        case .notFound: self = .itemNotFound
        case .tooManyOverrides:
            self.init(
                status: .badRequest, code: "ErrorQuotaExceeded",
                message: "The mailbox already has the maximum of \(Mailbox.maximumOverrides) inference classification overrides.")
        case .duplicateCategory(let name):
            self.init(status: .conflict, code: "nameAlreadyExists", message: "A category named '\(name)' already exists.")
        case .invalid(let message):
            self.init(status: .badRequest, code: "ErrorInvalidRequest", message: message)
        }
    }
}

/// Who the emulator's directory knows for MailTips. Colleagues (the owner's domain) are out of
/// office by a fixed rule on their address, so tests and demos can find some; one address has
/// a full mailbox and one is a distribution list.
public enum MailTipsDirectory {
    /// The one recipient whose mailbox is full (`mailboxFull: true`).
    public static let fullMailboxAddress = "megan.bowen@contoso.com"
    /// A distribution list: member counts and a custom MailTip.
    public static let distributionListAddress = "engineering@contoso.com"
    static let distributionListMembers = (total: 58, external: 3)

    /// Whether a colleague at `domain` has automatic replies on (about one in seven addresses).
    public static func isOutOfOffice(_ address: String, domain: String) -> Bool {
        let lowered = address.lowercased()
        guard lowered.hasSuffix("@" + domain.lowercased()), lowered != fullMailboxAddress,
              lowered != distributionListAddress
        else { return false }
        return StableHash.string(lowered, seed: 0x00F0) % 7 == 0
    }
}

extension GraphHandlers {
    /// `/me/inferenceClassification/…`, `/me/outlook/masterCategories/…`, `/me/mailboxSettings[/…]`
    /// and `/me/getMailTips`.
    func mailboxResourceRoute(_ head: String, _ rest: [String]) async throws -> Response {
        switch head.lowercased() {
        case "inferenceclassification": return try await inferenceClassificationRoute(rest)
        case "outlook":
            guard rest.first?.lowercased() == "mastercategories" else {
                throw GraphError.resourceNotFound(segment: rest.first ?? head)
            }
            return try await categoriesRoute(Array(rest.dropFirst()))
        case "mailboxsettings": return try await mailboxSettingsRoute(rest)
        default:
            guard rest.isEmpty else { throw GraphError.resourceNotFound(segment: rest[0]) }
            return try await mailTips()
        }
    }

    /// Runs a change to user data, turning its refusal into Graph's answer.
    private func userDataChange<T: Sendable>(_ body: () async throws(UserDataError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw GraphError(error)
        }
    }

    private func created(_ json: JSONWriter) -> Response {
        var response = respond(json)
        response.status = .created
        return response
    }

    private func contextBase() -> String { "\(request.metadataBase)#users('\(request.userID)')" }

    // MARK: - Focused Inbox overrides

    private func inferenceClassificationRoute(_ path: [String]) async throws -> Response {
        guard let head = path.first else {
            try require(.get)
            var json = JSONWriter()
            json.beginObject()
            json.field("@odata.context", "\(contextBase())/inferenceClassification/$entity")
            json.field("id", request.userID)
            json.endObject()
            return respond(json)
        }
        guard head.lowercased() == "overrides", path.count <= 2 else { throw GraphError.resourceNotFound(segment: head) }
        try validate(allowed: path.count == 1 && request.method == .get ? ["$top", "$skip", "$count"] : [])
        let context = "\(contextBase())/inferenceClassification/overrides"
        if path.count == 1 {
            switch request.method {
            case .get:
                let all = await mailbox.classificationOverrides()
                var json = JSONWriter(capacity: 256 + all.count * 160)
                json.beginObject()
                json.field("@odata.context", context)
                if try query.boolean("$count") == true { json.field("@odata.count", all.count) }
                json.key("value")
                json.beginArray()
                let skip = try query.integer("$skip", range: 0...Int.max) ?? 0
                let top = try query.integer("$top", range: 1...1000) ?? all.count
                for override in all.dropFirst(skip).prefix(top) { Self.writeOverride(override, to: &json) }
                json.endArray()
                json.endObject()
                return respond(json)
            case .post:
                guard let body = try jsonBody(), body.objectValue != nil else {
                    throw GraphError.badRequest("An override needs classifyAs and senderEmailAddress.", code: "ErrorInvalidRequest")
                }
                guard let classifyAs = try Self.classification(body) else {
                    throw GraphError.badRequest("An override needs classifyAs (focused or other).", code: "ErrorInvalidRequest")
                }
                guard let sender = try Self.senderAddress(body) else {
                    throw GraphError.badRequest("An override needs senderEmailAddress.address.", code: "ErrorInvalidRequest")
                }
                // An existing override for the address is updated in place; the answer is the
                // same 201 with that override's id.
                let result = try await userDataChange { () async throws(UserDataError) in
                    try await mailbox.upsertClassificationOverride(sender: sender, classifyAs: classifyAs)
                }
                return created(Self.entity(context: context) { Self.writeOverrideFields(result.override, to: &$0) })
            default:
                throw GraphError.methodNotAllowed(request.method)
            }
        }
        let id = path[1]
        switch request.method {
        case .get:
            let override = try await userDataChange { () async throws(UserDataError) in try await mailbox.classificationOverride(id: id) }
            return overrideResponse(override, context: context)
        case .patch:
            guard let body = try jsonBody(), body.objectValue != nil else {
                throw GraphError.badRequest("A PATCH needs classifyAs.", code: "ErrorInvalidRequest")
            }
            let classifyAs = try Self.classification(body)
            let sender = try Self.senderAddress(body)
            let override = try await userDataChange { () async throws(UserDataError) in
                try await mailbox.updateClassificationOverride(id: id, classifyAs: classifyAs, sender: sender)
            }
            return overrideResponse(override, context: context)
        case .delete:
            try await userDataChange { () async throws(UserDataError) in try await mailbox.deleteClassificationOverride(id: id) }
            return Response(status: .noContent)
        default:
            throw GraphError.methodNotAllowed(request.method)
        }
    }

    /// One entity of a collection: its `@odata.context` and the fields `write` adds.
    private static func entity(context: String, _ write: (inout JSONWriter) -> Void) -> JSONWriter {
        var json = JSONWriter()
        json.beginObject()
        json.field("@odata.context", "\(context)/$entity")
        write(&json)
        json.endObject()
        return json
    }

    private func overrideResponse(_ override: ClassificationOverride, context: String) -> Response {
        respond(Self.entity(context: context) { Self.writeOverrideFields(override, to: &$0) })
    }

    private static func classification(_ body: RequestJSON) throws(GraphError) -> EmulatedMessage.Classification? {
        guard let text = try body.string("classifyAs") else { return nil }
        guard let value = EmulatedMessage.Classification.allCases.first(where: { $0.rawValue == text.lowercased() }) else {
            throw GraphError.badRequest(
                "Cannot convert the literal '\(text)' to the expected type 'microsoft.graph.inferenceClassificationType'.",
                code: "RequestBodyRead")
        }
        return value
    }

    private static func senderAddress(_ body: RequestJSON) throws(GraphError) -> EmulatedMessage.Recipient? {
        guard let email = try body.object("senderEmailAddress") else { return nil }
        guard let address = try email.string("address")?.trimmingCharacters(in: .whitespaces), address.contains("@") else {
            throw GraphError.badRequest("senderEmailAddress.address must be an SMTP address.", code: "ErrorInvalidRequest")
        }
        return EmulatedMessage.Recipient(name: try email.string("name") ?? "", address: address)
    }

    /// Key order as in Graph's example: `classifyAs`, `senderEmailAddress`, `id`.
    private static func writeOverrideFields(_ override: ClassificationOverride, to json: inout JSONWriter) {
        json.field("classifyAs", override.classifyAs.rawValue)
        json.key("senderEmailAddress")
        json.beginObject()
        json.field("name", override.sender.name)
        json.field("address", override.sender.address)
        json.endObject()
        json.field("id", override.id)
    }

    private static func writeOverride(_ override: ClassificationOverride, to json: inout JSONWriter) {
        json.beginObject()
        writeOverrideFields(override, to: &json)
        json.endObject()
    }

    // MARK: - Master categories

    private func categoriesRoute(_ path: [String]) async throws -> Response {
        try validate(allowed: [])
        let context = "\(contextBase())/outlook/masterCategories"
        guard path.count <= 1 else { throw GraphError.resourceNotFound(segment: path[1]) }
        guard let id = path.first else {
            switch request.method {
            case .get:
                let categories = await mailbox.masterCategories()
                var json = JSONWriter()
                json.beginObject()
                json.field("@odata.context", context)
                json.key("value")
                json.beginArray()
                for category in categories { Self.writeCategory(category, to: &json) }
                json.endArray()
                json.endObject()
                return respond(json)
            case .post:
                guard let body = try jsonBody(), body.objectValue != nil else {
                    throw GraphError.badRequest("A category needs a displayName.", code: "ErrorInvalidRequest")
                }
                let name = try body.string("displayName") ?? ""
                let color = try Self.categoryColor(body) ?? OutlookCategory.Color.none
                let category = try await userDataChange { () async throws(UserDataError) in
                    try await mailbox.createCategory(displayName: name, color: color)
                }
                return created(Self.entity(context: context) { Self.writeCategoryFields(category, to: &$0) })
            default:
                throw GraphError.methodNotAllowed(request.method)
            }
        }
        let category: OutlookCategory
        switch request.method {
        case .get:
            category = try await userDataChange { () async throws(UserDataError) in try await mailbox.category(id: id) }
        case .patch:
            guard let body = try jsonBody(), body.objectValue != nil else {
                throw GraphError.badRequest("A PATCH needs the color.", code: "ErrorInvalidRequest")
            }
            let current = try await userDataChange { () async throws(UserDataError) in try await mailbox.category(id: id) }
            if let name = try body.string("displayName"), name != current.displayName {
                throw GraphError.badRequest("The displayName of a category cannot be changed once created.", code: "ErrorInvalidRequest")
            }
            guard let color = try Self.categoryColor(body) else {
                category = current
                break
            }
            category = try await userDataChange { () async throws(UserDataError) in try await mailbox.updateCategory(id: id, color: color) }
        case .delete:
            try await userDataChange { () async throws(UserDataError) in try await mailbox.deleteCategory(id: id) }
            return Response(status: .noContent)
        default:
            throw GraphError.methodNotAllowed(request.method)
        }
        return respond(Self.entity(context: context) { Self.writeCategoryFields(category, to: &$0) })
    }

    private static func categoryColor(_ body: RequestJSON) throws(GraphError) -> OutlookCategory.Color? {
        guard let text = try body.string("color") else { return nil }
        guard let color = OutlookCategory.Color(name: text) else {
            throw GraphError.badRequest(
                "Cannot convert the literal '\(text)' to the expected type 'microsoft.graph.categoryColor'.", code: "RequestBodyRead")
        }
        return color
    }

    private static func writeCategoryFields(_ category: OutlookCategory, to json: inout JSONWriter) {
        json.field("id", category.id)
        json.field("displayName", category.displayName)
        json.field("color", category.color.rawValue)
    }

    private static func writeCategory(_ category: OutlookCategory, to json: inout JSONWriter) {
        json.beginObject()
        writeCategoryFields(category, to: &json)
        json.endObject()
    }

    // MARK: - Mailbox settings

    private enum SettingName: String, CaseIterable {
        case archiveFolder, automaticRepliesSetting, dateFormat, delegateMeetingMessageDeliveryOptions, language
        case timeFormat, timeZone, userPurpose, workingHours

        init?(anyCase name: String) {
            guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
            self = match
        }

        var isPrimitive: Bool {
            switch self {
            case .archiveFolder, .dateFormat, .delegateMeetingMessageDeliveryOptions, .timeFormat, .timeZone, .userPurpose: true
            case .automaticRepliesSetting, .language, .workingHours: false
            }
        }
    }

    private func mailboxSettingsRoute(_ path: [String]) async throws -> Response {
        try validate(allowed: request.method == .get ? ["$select"] : [])
        let context = "\(contextBase())/mailboxSettings"
        if let head = path.first {
            // One setting: GET /me/mailboxSettings/timeZone and the like.
            try require(.get)
            guard path.count == 1, let name = SettingName(anyCase: head) else { throw GraphError.resourceNotFound(segment: head) }
            let settings = await mailbox.mailboxSettings()
            let archive = await mailbox.folder("archive")?.id
            var json = JSONWriter()
            json.beginObject()
            json.field("@odata.context", "\(context)/\(name.rawValue)")
            if name.isPrimitive {
                json.key("value")
                Self.writeSetting(name, settings, archiveFolder: archive, to: &json)
            } else {
                // A complex value's members go straight into the answer object.
                Self.writeMembers(name, settings, to: &json)
            }
            json.endObject()
            return respond(json)
        }
        switch request.method {
        case .get:
            var names = SettingName.allCases
            if let select = query.value("$select") {
                names = []
                for part in select.split(separator: ",") {
                    let text = part.trimmingCharacters(in: .whitespaces)
                    guard let name = SettingName(anyCase: text) else {
                        throw QueryError.unknownProperty(text, type: "microsoft.graph.mailboxSettings")
                    }
                    if !names.contains(name) { names.append(name) }
                }
            }
            return try await settingsResponse(names, context: context)
        case .patch:
            guard let body = try jsonBody(), body.objectValue != nil else {
                throw GraphError.badRequest("A PATCH needs the settings to change.", code: "ErrorInvalidRequest")
            }
            var settings = await mailbox.mailboxSettings()
            var changed: [SettingName] = []
            for key in body.keys where !key.hasPrefix("@") {
                guard let name = SettingName(anyCase: key), let value = body[key] else {
                    throw GraphError.badRequest(
                        "The property '\(key)' does not exist on type 'microsoft.graph.mailboxSettings'.", code: "RequestBodyRead")
                }
                try Self.apply(name, value, to: &settings)
                changed.append(name)
            }
            let final = settings
            try await userDataChange { () async throws(UserDataError) in try await mailbox.setMailboxSettings(final) }
            // PATCH answers with the properties it changed, as the documented example does.
            return try await settingsResponse(SettingName.allCases.filter(changed.contains), context: context)
        default:
            throw GraphError.methodNotAllowed(request.method)
        }
    }

    private func settingsResponse(_ names: [SettingName], context: String) async throws -> Response {
        let settings = await mailbox.mailboxSettings()
        let archive = await mailbox.folder("archive")?.id
        var json = JSONWriter()
        json.beginObject()
        json.field("@odata.context", context)
        for name in names {
            json.key(name.rawValue)
            Self.writeSetting(name, settings, archiveFolder: archive, to: &json)
        }
        json.endObject()
        return respond(json)
    }

    private static func writeSetting(_ name: SettingName, _ settings: MailboxSettings, archiveFolder: String?, to json: inout JSONWriter) {
        switch name {
        case .archiveFolder:
            if let archiveFolder { json.string(archiveFolder) } else { json.null() }
        case .dateFormat: json.string(settings.dateFormat)
        case .delegateMeetingMessageDeliveryOptions: json.string(settings.delegateMeetingMessageDeliveryOptions)
        case .timeFormat: json.string(settings.timeFormat)
        case .timeZone: json.string(settings.timeZone)
        case .userPurpose: json.string("user")
        case .automaticRepliesSetting, .language, .workingHours:
            json.beginObject()
            writeMembers(name, settings, to: &json)
            json.endObject()
        }
    }

    /// The members of a complex setting, into an object that is already open.
    private static func writeMembers(_ name: SettingName, _ settings: MailboxSettings, to json: inout JSONWriter) {
        switch name {
        case .automaticRepliesSetting:
            let replies = settings.automaticReplies
            json.field("status", replies.status.rawValue)
            json.field("externalAudience", replies.externalAudience.rawValue)
            json.key("scheduledStartDateTime")
            writeZoned(replies.scheduledStart, to: &json)
            json.key("scheduledEndDateTime")
            writeZoned(replies.scheduledEnd, to: &json)
            json.field("internalReplyMessage", replies.internalReplyMessage)
            json.field("externalReplyMessage", replies.externalReplyMessage)
        case .language:
            json.field("locale", settings.language.locale)
            json.field("displayName", settings.language.displayName)
        case .workingHours:
            let hours = settings.workingHours
            json.key("daysOfWeek")
            json.beginArray()
            for day in hours.daysOfWeek { json.string(day) }
            json.endArray()
            json.field("startTime", hours.startTime)
            json.field("endTime", hours.endTime)
            json.key("timeZone")
            json.beginObject()
            json.field("name", hours.timeZone)
            json.endObject()
        default:
            break
        }
    }

    private static func writeZoned(_ time: MailboxSettings.ZonedTime, to json: inout JSONWriter) {
        json.beginObject()
        json.field("dateTime", time.dateTime)
        json.field("timeZone", time.timeZone)
        json.endObject()
    }

    /// Enumeration members are matched without case: the documented payloads write
    /// `"Scheduled"` and `"All"`, the schema `scheduled` and `all`.
    private static func member<Value: RawRepresentable & CaseIterable>(
        _ json: RequestJSON, _ key: String, _ type: Value.Type
    ) throws(GraphError) -> Value? where Value.RawValue == String {
        guard let text = try json.string(key) else { return nil }
        guard let value = Value.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw GraphError.badRequest("Cannot convert the literal '\(text)' for '\(key)'.", code: "RequestBodyRead")
        }
        return value
    }

    private static func zoned(_ json: RequestJSON, _ key: String) throws(GraphError) -> MailboxSettings.ZonedTime? {
        guard let value = try json.object(key) else { return nil }
        guard let text = try value.string("dateTime"), let seconds = GraphDate.parse(text) else {
            throw GraphError.badRequest("'\(key)' needs a dateTime such as 2026-11-20T09:00:00.", code: "ErrorInvalidRequest")
        }
        let zone = try value.string("timeZone") ?? "UTC"
        guard MessagePatch.timeZone(named: zone) != nil else {
            throw GraphError.badRequest("The time zone '\(zone)' of '\(key)' is not known.", code: "ErrorTimeZone")
        }
        // The wall-clock time is kept as sent, so that it is echoed in the client's zone.
        let local = GraphDate.parse(String(text.prefix(19))) ?? seconds
        return MailboxSettings.ZonedTime(seconds: local, timeZone: zone)
    }

    private static func apply(_ name: SettingName, _ value: RequestJSON, to settings: inout MailboxSettings) throws(GraphError) {
        func text() throws(GraphError) -> String {
            guard case .string(let text) = value else { throw RequestJSON.wrongType(name.rawValue, expected: "a string") }
            return text
        }
        switch name {
        case .automaticRepliesSetting:
            guard value.objectValue != nil else { throw RequestJSON.wrongType(name.rawValue, expected: "an object") }
            var replies = settings.automaticReplies
            if let status = try member(value, "status", MailboxSettings.AutomaticReplies.Status.self) { replies.status = status }
            if let audience = try member(value, "externalAudience", MailboxSettings.AutomaticReplies.Audience.self) {
                replies.externalAudience = audience
            }
            if let message = try value.string("internalReplyMessage") { replies.internalReplyMessage = message }
            if let message = try value.string("externalReplyMessage") { replies.externalReplyMessage = message }
            if let start = try zoned(value, "scheduledStartDateTime") { replies.scheduledStart = start }
            if let end = try zoned(value, "scheduledEndDateTime") { replies.scheduledEnd = end }
            settings.automaticReplies = replies
        case .timeZone:
            let zone = try text()
            guard MessagePatch.timeZone(named: zone) != nil else {
                throw GraphError.badRequest("The time zone '\(zone)' is not known.", code: "ErrorTimeZone")
            }
            settings.timeZone = zone
        case .language:
            guard let locale = try value.string("locale"), locale.count >= 2 else {
                throw GraphError.badRequest("language needs a locale such as en-US.", code: "ErrorInvalidRequest")
            }
            settings.language = .init(locale: locale, displayName: MailboxSettings.localeNames[locale.lowercased()] ?? locale)
        case .dateFormat: settings.dateFormat = try text()
        case .timeFormat: settings.timeFormat = try text()
        case .delegateMeetingMessageDeliveryOptions:
            let option = try text()
            let allowed = ["sendToDelegateAndInformationToPrincipal", "sendToDelegateAndPrincipal", "sendToDelegateOnly"]
            guard let match = allowed.first(where: { $0.lowercased() == option.lowercased() }) else {
                throw GraphError.badRequest("Cannot convert the literal '\(option)' for '\(name.rawValue)'.", code: "RequestBodyRead")
            }
            settings.delegateMeetingMessageDeliveryOptions = match
        case .workingHours:
            guard value.objectValue != nil else { throw RequestJSON.wrongType(name.rawValue, expected: "an object") }
            var hours = settings.workingHours
            if let days = try value.strings("daysOfWeek") {
                let week = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
                for day in days where !week.contains(day.lowercased()) {
                    throw GraphError.badRequest("'\(day)' is not a day of the week.", code: "RequestBodyRead")
                }
                hours.daysOfWeek = days.map { $0.lowercased() }
            }
            if let start = try value.string("startTime") { hours.startTime = start }
            if let end = try value.string("endTime") { hours.endTime = end }
            if let zone = try value.object("timeZone"), let zoneName = try zone.string("name") { hours.timeZone = zoneName }
            settings.workingHours = hours
        case .archiveFolder, .userPurpose:
            throw GraphError.badRequest("'\(name.rawValue)' is read-only.", code: "ErrorInvalidRequest")
        }
    }

    // MARK: - MailTips

    /// `POST /me/getMailTips` with `EmailAddresses` and `MailTipsOptions` (flags, comma-separated).
    private func mailTips() async throws -> Response {
        try require(.post)
        try validate(allowed: [])
        guard let body = try jsonBody(), let addresses = try body.strings("EmailAddresses"), !addresses.isEmpty else {
            throw GraphError.badRequest("getMailTips needs EmailAddresses.", code: "ErrorInvalidRequest")
        }
        guard let optionText = try body.string("MailTipsOptions") else {
            throw GraphError.badRequest("getMailTips needs MailTipsOptions.", code: "ErrorInvalidRequest")
        }
        var options: Set<String> = []
        let known = ["automaticReplies", "mailboxFullStatus", "customMailTip", "externalMemberCount", "totalMemberCount",
                     "maxMessageSize", "deliveryRestriction", "moderationStatus", "recipientScope", "recipientSuggestions"]
        for part in optionText.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let match = known.first(where: { $0.lowercased() == name.lowercased() }) else {
                throw GraphError.badRequest(
                    "Cannot convert the literal '\(name)' to the expected type 'microsoft.graph.mailTipsType'.", code: "RequestBodyRead")
            }
            options.insert(match)
        }
        let owner = mailbox.owner
        let domain = owner.address.split(separator: "@").last.map(String.init) ?? ""
        let settings = await mailbox.mailboxSettings()
        let now = GraphDate.seconds(await mailbox.currentDate)
        var json = JSONWriter(capacity: 512 + addresses.count * 400)
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#Collection(microsoft.graph.mailTips)")
        json.key("value")
        json.beginArray()
        for address in addresses {
            let lowered = address.lowercased()
            let isInternal = lowered.hasSuffix("@" + domain.lowercased())
            let isList = lowered == MailTipsDirectory.distributionListAddress
            json.beginObject()
            json.key("emailAddress")
            json.beginObject()
            json.field("name", "")
            json.field("address", address)
            json.endObject()
            if options.contains("automaticReplies") {
                json.key("automaticReplies")
                json.beginObject()
                if lowered == owner.address.lowercased(), settings.automaticReplies.isActive(at: now) {
                    Self.writeAutomaticReply(
                        message: settings.automaticReplies.internalReplyMessage, language: settings.language,
                        start: settings.automaticReplies.scheduledStart, end: settings.automaticReplies.scheduledEnd,
                        scheduled: settings.automaticReplies.status == .scheduled, to: &json)
                } else if lowered != owner.address.lowercased(), MailTipsDirectory.isOutOfOffice(address, domain: domain) {
                    let dayStart = (now / 86_400) * 86_400
                    let back = dayStart + Int64(2 + StableHash.string(lowered) % 9) * 86_400
                    // "Friday, November 27" out of "Friday, November 27, 2026 12:00 AM".
                    let returnDay = GraphDate.formatLong(back).split(separator: ",").prefix(2).joined(separator: ",")
                    Self.writeAutomaticReply(
                        message: "<html><body><p>Hi, I am out of the office until \(returnDay) with limited access to email. "
                            + "I'll get back to you after I return.</p></body></html>",
                        language: .init(locale: "en-US", displayName: "English (United States)"),
                        start: .init(seconds: dayStart - 2 * 86_400, timeZone: "UTC"), end: .init(seconds: back, timeZone: "UTC"),
                        scheduled: true, to: &json)
                } else {
                    json.field("message", "")
                }
                json.endObject()
            }
            if options.contains("mailboxFullStatus") { json.field("mailboxFull", lowered == MailTipsDirectory.fullMailboxAddress) }
            if options.contains("customMailTip"), isList {
                json.field("customMailTip", "This list reaches every engineer at Contoso, including partners.")
            }
            if options.contains("externalMemberCount") {
                json.field("externalMemberCount", isList ? MailTipsDirectory.distributionListMembers.external : 0)
            }
            if options.contains("totalMemberCount") {
                json.field("totalMemberCount", isList ? MailTipsDirectory.distributionListMembers.total : 0)
            }
            // Exchange Online's default message size limit, 35 MB, for recipients in the organisation.
            if options.contains("maxMessageSize"), isInternal { json.field("maxMessageSize", 36_700_160) }
            if options.contains("deliveryRestriction") { json.field("deliveryRestricted", false) }
            if options.contains("moderationStatus") { json.field("isModerated", false) }
            if options.contains("recipientScope") { json.field("recipientScope", isInternal ? "internal" : "external") }
            if options.contains("recipientSuggestions") {
                json.key("recipientSuggestions")
                json.beginArray()
                json.endArray()
            }
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return respond(json)
    }

    private static func writeAutomaticReply(
        message: String, language: MailboxSettings.Locale, start: MailboxSettings.ZonedTime, end: MailboxSettings.ZonedTime,
        scheduled: Bool, to json: inout JSONWriter
    ) {
        json.field("message", message)
        json.key("messageLanguage")
        json.beginObject()
        json.field("locale", language.locale)
        json.field("displayName", language.displayName)
        json.endObject()
        guard scheduled else { return }
        json.key("scheduledStartTime")
        writeZoned(start, to: &json)
        json.key("scheduledEndTime")
        writeZoned(end, to: &json)
    }
}
