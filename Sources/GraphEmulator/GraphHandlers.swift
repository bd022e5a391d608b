import Foundation
import Hummingbird

/// The Graph routes under `/me` (or `/users/{id}`): user, mail folders, messages, delta.
struct GraphHandlers {
    let mailbox: Mailbox
    let configuration: GraphEmulatorConfiguration
    let request: GraphRequest

    var query: QueryOptions { request.query }
    var isBeta: Bool { request.version == .beta }

    func dispatch() async throws -> Response {
        var rest = request.segments
        guard !rest.isEmpty else { return try user() }
        let head = rest.removeFirst()
        switch head.lowercased() {
        case "mailfolders":
            if rest.isEmpty {
                if request.method == .post { return try await createFolder(parentID: mailbox.rootFolderID, contextPath: "mailFolders") }
                return try await listFolders(parentID: mailbox.rootFolderID, contextPath: "mailFolders")
            }
            if rest.count == 1, Self.isDelta(rest[0]) { return try await folderDelta(scope: nil) }
            let key = rest.removeFirst()
            return try await folderRoute(try await folder(key), rest)
        case "messages":
            if rest.isEmpty { return try await messageCollection(in: nil) }
            if rest.count == 1, Self.isDelta(rest[0]) {
                // The metadata marks user/messages as not change-tracked: delta is per folder.
                throw GraphError.badRequest("Change tracking is not supported on /messages; use /mailFolders/{id}/messages/delta.")
            }
            let id = rest.removeFirst()
            return try await messageRoute(id, rest, in: nil)
        case "sendmail", "microsoft.graph.sendmail":
            guard rest.isEmpty else { throw GraphError.resourceNotFound(segment: rest[0]) }
            return try await sendMail()
        case "translateexchangeids", "microsoft.graph.translateexchangeids":
            guard rest.isEmpty else { throw GraphError.resourceNotFound(segment: rest[0]) }
            return try await translateExchangeIDs()
        case "inferenceclassification", "outlook", "mailboxsettings", "getmailtips", "microsoft.graph.getmailtips":
            // Focused Inbox overrides, categories, settings and MailTips: GraphHandlers+Settings.swift.
            return try await mailboxResourceRoute(head, rest)
        default:
            throw GraphError.resourceNotFound(segment: head)
        }
    }

    private func folderRoute(_ folder: EmulatedFolder, _ path: [String]) async throws -> Response {
        var rest = path
        guard !rest.isEmpty else {
            // PATCH and DELETE of a folder: GraphHandlers+Folders.swift.
            return request.method == .get ? try getFolder(folder) : try await changeFolder(folder)
        }
        let head = rest.removeFirst()
        switch head.lowercased() {
        case "childfolders":
            if rest.isEmpty {
                let contextPath = "mailFolders('\(folder.id)')/childFolders"
                if request.method == .post { return try await createFolder(parentID: folder.id, contextPath: contextPath) }
                return try await listFolders(parentID: folder.id, contextPath: contextPath)
            }
            if rest.count == 1, Self.isDelta(rest[0]) { return try await folderDelta(scope: folder) }
            let key = rest.removeFirst()
            let child = try await self.folder(key)
            guard child.parentFolderID == folder.id else { throw GraphError.itemNotFound }
            return try await folderRoute(child, rest)
        case "messages":
            if rest.isEmpty { return try await messageCollection(in: folder) }
            if rest.count == 1, Self.isDelta(rest[0]) { return try await messageDelta(folder) }
            let id = rest.removeFirst()
            return try await messageRoute(id, rest, in: folder)
        default:
            // move, copy and permanentDelete of the folder.
            if rest.isEmpty, let action = FolderAction(segment: head) { return try await folderAction(action, folder) }
            throw GraphError.resourceNotFound(segment: head)
        }
    }

    /// `/messages/{id}` and what lies below it: the message (GET, PATCH, DELETE), its actions
    /// (`move`, `createReply`, `send`, … in short or `microsoft.graph.` form), and its
    /// navigation properties, which get a case of their own here.
    private func messageRoute(_ id: String, _ path: [String], in folder: EmulatedFolder?) async throws -> Response {
        guard let head = path.first else { return try await messageItem(id, in: folder) }
        if path.count == 1, let action = MessageAction(segment: head) {
            return try await messageAction(action, messageID: id, in: folder)
        }
        // Attachments and (beta) mentions: GraphHandlers+Attachments.swift, GraphHandlers+Mentions.swift.
        switch head.lowercased() {
        case "attachments": return try await attachmentRoute(messageID: id, Array(path.dropFirst()), in: folder)
        case "mentions" where isBeta: return try await mentionRoute(messageID: id, Array(path.dropFirst()), in: folder)
        default: break
        }
        throw GraphError.resourceNotFound(segment: head)
    }

    private static func isDelta(_ segment: String) -> Bool {
        let name = segment.lowercased()
        return name == "delta" || name == "microsoft.graph.delta"
    }

    func folder(_ key: String) async throws -> EmulatedFolder {
        if let folder = await mailbox.folder(key) { return folder }
        // A well-known name this mailbox has no folder for (a loaded mailbox without an Outbox)
        // is a missing item, not a malformed id, even when it is shorter than any real id.
        let isWellKnownName = Self.wellKnownFolderNames.contains(key.lowercased())
        throw isWellKnownName || GraphID.isPlausible(key) ? GraphError.itemNotFound : GraphError.malformedID
    }

    /// GRAPH.md §1.3: the names accepted wherever a folder id is.
    static let wellKnownFolderNames: Set<String> = [
        "archive", "clutter", "conflicts", "conversationhistory", "deleteditems", "drafts", "inbox", "junkemail",
        "localfailures", "msgfolderroot", "outbox", "recoverableitemsdeletions", "scheduled", "searchfolders",
        "sentitems", "serverfailures", "syncissues",
    ]

    // MARK: - User

    private func user() throws -> Response {
        try require(.get)
        try validate(allowed: ["$select"])
        let selection = try Selection.parse(
            query.value("$select"), fields: UserField.byLowercasedName, type: "microsoft.graph.user")
        var json = JSONWriter()
        json.beginObject()
        let entity = selection.map { "users(\($0.names.joined(separator: ",")))/$entity" } ?? "users/$entity"
        json.field("@odata.context", "\(request.metadataBase)#\(entity)")
        UserWriter(fields: selection?.fields ?? UserField.allCases).write(mailbox.owner, to: &json)
        json.endObject()
        return respond(json)
    }

    // MARK: - Folders

    func folderSelection() throws -> (fields: [FolderField], names: [String])? {
        try Selection.parse(
            query.value("$select"), fields: FolderField.byLowercasedName, type: "microsoft.graph.mailFolder",
            allowed: { isBeta || $0 != .wellKnownName })
    }

    private func listFolders(parentID: String, contextPath: String) async throws -> Response {
        try require(.get)
        try validate(allowed: ["$select", "$top", "$skip", "$count"])
        let includeHidden = try query.boolean("includeHiddenFolders") ?? false
        let top = try query.integer("$top", range: 1...1000) ?? 10
        let skip = try query.integer("$skip", range: 0...Int.max) ?? 0
        let count = try query.boolean("$count") ?? false
        let selection = try folderSelection()
        let all = await mailbox.childFolders(of: parentID, includeHidden: includeHidden)
        let lower = min(skip, all.count)
        let upper = min(lower + top, all.count)

        var json = JSONWriter()
        json.beginObject()
        let select = selection.map { "(\($0.names.joined(separator: ",")))" } ?? ""
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/\(contextPath)\(select)")
        if count { json.field("@odata.count", all.count) }
        if upper < all.count {
            json.field("@odata.nextLink", request.link(query: query.rawQuery(removing: ["$skip"], adding: [("$skip", String(upper))])))
        }
        json.key("value")
        json.beginArray()
        let writer = FolderWriter(fields: selection?.fields, beta: isBeta)
        for folder in all[lower..<upper] { writer.write(folder, to: &json) }
        json.endArray()
        json.endObject()
        return respond(json)
    }

    private func getFolder(_ folder: EmulatedFolder) throws -> Response {
        try require(.get)
        try validate(allowed: ["$select"])
        let selection = try folderSelection()
        var json = JSONWriter()
        json.beginObject()
        let entity = selection.map { "mailFolders(\($0.names.joined(separator: ",")))/$entity" } ?? "mailFolders/$entity"
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/\(entity)")
        FolderWriter(fields: selection?.fields, beta: isBeta).writeFields(folder, to: &json)
        json.endObject()
        return respond(json)
    }

    // Folder delta (whole hierarchy and per subtree): GraphHandlers+Folders.swift.

    // MARK: - Messages

    func messageSelection() throws -> (fields: [MessageField], names: [String])? {
        try Selection.parse(
            query.value("$select"), fields: MessageField.byLowercasedName, type: "microsoft.graph.message",
            allowed: { isBeta || $0 != .mentionsPreview })
    }

    func messageWriter(fields: [MessageField]?, delta: Bool = false) -> MessageWriter {
        MessageWriter(
            fields: fields ?? (isBeta ? MessageField.betaDefaults : MessageField.defaults), immutableIDs: request.preferences.immutableIDs,
            bodyType: request.preferences.bodyContentType, includeODataType: delta)
    }

    // Listing, reading, updating and the actions of messages: GraphHandlers+Messages.swift.

    private func messageDelta(_ folder: EmulatedFolder) async throws -> Response {
        try require(.get)
        try validate(allowed: ["$select", "$top", "$filter", "$orderby", "$skiptoken", "$deltatoken"])
        if query.contains("changeType") {
            throw GraphError.badRequest("The emulator does not support the changeType option of delta yet.")
        }
        let token: DeltaToken
        if let text = query.value("$skiptoken") ?? query.value("$deltatoken") {
            // Options of the first request live in the token; Graph ignores repeated ones.
            guard let decoded = mailbox.tokens.decode(text) else { throw syncStateNotFound() }
            token = decoded
        } else {
            token = try initialDeltaToken(folderID: folder.id)
        }
        let page: Mailbox.MessageDeltaPage
        do {
            page = try await mailbox.messageDelta(folderID: folder.id, token: token, pageSize: pageSize(top: token.top),
                                                  replay: replays(token))
        } catch {
            throw syncStateNotFound()
        }
        let fields = token.select.map { names in names.compactMap { MessageField.byLowercasedName[$0.lowercased()] } }
        let writer = messageWriter(fields: fields, delta: true)
        var json = JSONWriter(capacity: 4096 + page.items.count * 1024)
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#Collection(message)")
        writeDeltaLink(page.token, isComplete: page.isComplete, to: &json)
        json.key("value")
        json.beginArray()
        for item in page.items {
            switch item {
            case .message(let message):
                writer.write(message, to: &json)
            case .removed(let id, let immutableID):
                writeRemoved("#microsoft.graph.message", id: request.preferences.immutableIDs ? immutableID : id, to: &json)
            }
        }
        json.endArray()
        json.endObject()
        return respond(json, bodyPreference: true)
    }

    /// A delta entry for something gone from the collection (GRAPH.md §3.2: `@removed` with
    /// reason `deleted`; Graph documents no other reason for mail).
    func writeRemoved(_ odataType: String, id: String, to json: inout JSONWriter) {
        json.beginObject()
        json.field("@odata.type", odataType)
        json.field("id", id)
        json.key("@removed")
        json.beginObject()
        json.field("reason", "deleted")
        json.endObject()
        json.endObject()
    }

    /// Whether this page replays (see `GraphEmulatorConfiguration.deltaReplayEvery`): decided by
    /// the token, so the same request always gets the same answer.
    private func replays(_ token: DeltaToken) -> Bool {
        guard let every = configuration.deltaReplayEvery, every > 0 else { return false }
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in mailbox.tokens.encode(token).utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return hash % UInt64(every) == 0
    }

    private func initialDeltaToken(folderID: String) throws -> DeltaToken {
        var token = DeltaToken(kind: .messages, folderID: folderID)
        token.select = try messageSelection()?.names
        token.top = try query.integer("$top", range: 1...configuration.maximumDeltaPageSize)
        if let text = query.value("$filter") {
            let filter = try MessageFilter.parse(text)
            guard filter.clauses.count == 1, let clause = filter.clauses.first, clause.property == .receivedDateTime,
                  clause.op == .ge || clause.op == .gt, case .date(let seconds) = clause.value
            else {
                throw GraphError.badRequest("Message delta supports only $filter=receivedDateTime ge|gt {value}.")
            }
            token.receivedFrom = seconds
            token.receivedInclusive = clause.op == .ge
        }
        if let text = query.value("$orderby") {
            let order = try MessageOrder.parse(text)
            guard order.keys == [.init(property: .receivedDateTime, descending: true)] else {
                throw GraphError.badRequest("Message delta supports only $orderby=receivedDateTime desc.")
            }
        }
        return token
    }

    // MARK: - Helpers

    /// `Prefer: odata.maxpagesize` applies per request; without it the first request's
    /// `$top`, else the configured default.
    func pageSize(top: Int?) -> Int {
        let requested = request.preferences.maxPageSize ?? top ?? configuration.defaultDeltaPageSize
        return max(1, min(requested, configuration.maximumDeltaPageSize))
    }

    func writeDeltaLink(_ token: DeltaToken, isComplete: Bool, to json: inout JSONWriter) {
        let encoded = mailbox.tokens.encode(token)
        if isComplete {
            json.field("@odata.deltaLink", request.link(query: "$deltatoken=\(encoded)"))
        } else {
            json.field("@odata.nextLink", request.link(query: "$skiptoken=\(encoded)"))
        }
    }

    func syncStateNotFound() -> GraphError {
        // Point at the initial delta URL, as Graph's "synchronization reset" does.
        GraphError.syncStateNotFound(location: request.link(query: ""))
    }

    /// A route that serves only `method` answers anything else with 405.
    func require(_ method: HTTPRequest.Method) throws(GraphError) {
        guard request.method == method else { throw GraphError.methodNotAllowed(request.method) }
    }

    /// Rejects system query options the route does not support, so that nothing is silently
    /// ignored. Options without `$` are custom options, which Graph ignores when unknown.
    func validate(allowed: Set<String>) throws {
        for item in query.items where item.key.hasPrefix("$") && !allowed.contains(item.key.lowercased()) {
            throw GraphError.badRequest("The query option '\(item.key)' is not supported by the emulator for this request.")
        }
    }

    func respond(_ json: JSONWriter, bodyPreference: Bool = false) -> Response {
        respond(json.bytes, bodyPreference: bodyPreference)
    }

    func respond(_ bytes: [UInt8], bodyPreference: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = GraphResponder.jsonContentType
        headers[GraphResponder.odataVersionName] = "4.0"
        if bodyPreference, let type = request.preferences.bodyContentType {
            headers[GraphResponder.preferenceAppliedName] = "outlook.body-content-type=\"\(type.rawValue)\""
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
