import Foundation
import Hummingbird

extension GraphError {
    init(_ error: FolderOperationError) {
        switch error {
        case .folderNotFound: self = .itemNotFound
        case .malformedID: self = .malformedID
        case .folderExists(let name):
            // Tenants answer 400 or 409 with this code (the docs give no example); the code is
            // what clients should test. The emulator uses 409 Conflict.
            self.init(
                status: .conflict, code: "ErrorFolderExists",
                message: "A folder with the specified name already exists., Could not create folder '\(name)'.")
        case .invalidName:
            self.init(status: .badRequest, code: "ErrorInvalidRequest", message: "A folder needs a non-empty displayName.")
        case .cannotDeleteDistinguishedFolder:
            self.init(status: .badRequest, code: "ErrorDeleteDistinguishedFolder", message: "Distinguished folders cannot be deleted.")
        case .cannotMoveDistinguishedFolder:
            self.init(status: .badRequest, code: "ErrorMoveDistinguishedFolder", message: "Distinguished folders cannot be moved.")
        case .destinationInsideSource:
            self.init(
                status: .badRequest, code: "ErrorMoveCopyFailed",
                message: "The move or copy operation failed: a folder cannot go into itself or one of its subfolders.")
        }
    }
}

/// Folder actions (`POST /mailFolders/{id}/move`, short or `microsoft.graph.` form).
enum FolderAction: String, Sendable {
    case move, copy, permanentDelete

    init?(segment: String) {
        var name = segment.lowercased()
        if name.hasPrefix("microsoft.graph.") { name.removeFirst("microsoft.graph.".count) }
        guard let action = [Self.move, .copy, .permanentDelete].first(where: { $0.rawValue.lowercased() == name }) else { return nil }
        self = action
    }
}

extension GraphHandlers {
    /// Runs a folder change, turning its refusal into Graph's answer.
    private func folderChange<T: Sendable>(_ body: () async throws(FolderOperationError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw GraphError(error)
        }
    }

    /// `POST /mailFolders` or `POST …/childFolders` → 201 with the new folder.
    func createFolder(parentID: String, contextPath: String) async throws -> Response {
        try validate(allowed: [])
        guard let body = try jsonBody(), body.objectValue != nil else {
            throw GraphError.badRequest("A new folder needs a displayName.", code: "ErrorInvalidRequest")
        }
        for key in body.keys where !key.hasPrefix("@") && !["displayname", "ishidden"].contains(key.lowercased()) {
            throw Self.unknownFolderProperty(key)
        }
        let name = try body.string("displayName") ?? ""
        let hidden = try body.bool("isHidden") ?? false
        let folder = try await folderChange { () async throws(FolderOperationError) in
            try await mailbox.createFolder(named: name, in: parentID, isHidden: hidden)
        }
        return folderResponse(folder, context: "\(contextPath)/$entity", status: .created)
    }

    /// PATCH (rename) → 200 with the folder; DELETE → 204.
    func changeFolder(_ folder: EmulatedFolder) async throws -> Response {
        try validate(allowed: [])
        switch request.method {
        case .patch:
            guard let body = try jsonBody(), body.objectValue != nil else {
                throw GraphError.badRequest("A PATCH needs the properties to change.", code: "ErrorInvalidRequest")
            }
            var name: String?
            for key in body.keys where !key.hasPrefix("@") {
                switch key.lowercased() {
                case "displayname": name = try body.string(key)
                case "ishidden":
                    throw GraphError.badRequest(
                        "isHidden can be set only when the folder is created; it cannot be changed with PATCH.",
                        code: "ErrorInvalidRequest")
                default: throw Self.unknownFolderProperty(key)
                }
            }
            let updated: EmulatedFolder
            if let name {
                updated = try await folderChange { () async throws(FolderOperationError) in
                    try await mailbox.renameFolder(folder.id, to: name)
                }
            } else {
                updated = folder
            }
            return folderResponse(updated, context: "mailFolders/$entity", status: .ok)
        case .delete:
            try await folderChange { () async throws(FolderOperationError) in
                _ = try await mailbox.deleteFolder(folder.id)
            }
            return Response(status: .noContent)
        default:
            throw GraphError.methodNotAllowed(request.method)
        }
    }

    /// move and copy → 201 with the folder (the moved one keeps its id; a copy has a new one);
    /// permanentDelete → 204.
    func folderAction(_ action: FolderAction, _ folder: EmulatedFolder) async throws -> Response {
        try require(.post)
        try validate(allowed: [])
        if action == .permanentDelete {
            try await folderChange { () async throws(FolderOperationError) in
                try await mailbox.permanentlyDeleteFolder(folder.id)
            }
            return Response(status: .noContent)
        }
        guard let body = try jsonBody(), let destination = try body.string("destinationId"), !destination.isEmpty else {
            throw GraphError.badRequest("\(action.rawValue) needs a destinationId.", code: "ErrorInvalidRequest")
        }
        let result = try await folderChange { () async throws(FolderOperationError) in
            action == .move
                ? try await mailbox.moveFolder(folder.id, to: destination)
                : try await mailbox.copyFolder(folder.id, to: destination)
        }
        return folderResponse(result, context: "mailFolders/$entity", status: .created)
    }

    private func folderResponse(_ folder: EmulatedFolder, context: String, status: HTTPResponse.Status) -> Response {
        var json = JSONWriter()
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/\(context)")
        FolderWriter(fields: nil, beta: isBeta).writeFields(folder, to: &json)
        json.endObject()
        var response = respond(json)
        response.status = status
        return response
    }

    private static func unknownFolderProperty(_ name: String) -> GraphError {
        GraphError.badRequest(
            "The property '\(name)' does not exist on type 'microsoft.graph.mailFolder' or cannot be written.",
            code: "RequestBodyRead")
    }

    // MARK: - Delta

    /// `/me/mailFolders/delta` (scope nil: the whole hierarchy) or
    /// `/me/mailFolders/{id}/childFolders/delta` (the folder's subtree), both flat with
    /// `parentFolderId` giving the structure. Later rounds return changed folders and
    /// `@removed` entries for folders deleted or moved out of the scope.
    func folderDelta(scope: EmulatedFolder?) async throws -> Response {
        try require(.get)
        try validate(allowed: ["$select", "$skiptoken", "$deltatoken"])
        let token: DeltaToken
        if let text = query.value("$skiptoken") ?? query.value("$deltatoken") {
            guard let decoded = mailbox.tokens.decode(text), decoded.kind == .folders, decoded.folderID == scope?.id else {
                throw syncStateNotFound()
            }
            token = decoded
        } else {
            token = DeltaToken(
                kind: .folders, folderID: scope?.id, select: try folderSelection()?.names,
                includeHidden: try query.boolean("includeHiddenFolders") ?? false)
        }
        let page: Mailbox.FolderDeltaPage
        do {
            page = try await mailbox.folderDelta(token: token, pageSize: pageSize(top: nil))
        } catch {
            throw syncStateNotFound()
        }
        let fields = token.select.map { names in names.compactMap { FolderField.byLowercasedName[$0.lowercased()] } }
        var json = JSONWriter()
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#Collection(mailFolder)")
        writeDeltaLink(page.token, isComplete: page.isComplete, to: &json)
        json.key("value")
        json.beginArray()
        let writer = FolderWriter(fields: fields, beta: isBeta)
        for item in page.items {
            switch item {
            case .folder(let folder):
                writer.write(folder, to: &json)
            case .removed(let id):
                writeRemoved("#microsoft.graph.mailFolder", id: id, to: &json)
            }
        }
        json.endArray()
        json.endObject()
        return respond(json)
    }
}
