import Foundation
import GraphEmulator
import Testing

@Suite("Mail folder changes and folder delta")
struct FolderWriteTests {
    private func folderJSON(_ emulator: Emulator, _ key: String) async throws -> [String: Any] {
        let response = try await emulator.get("/v1.0/me/mailFolders/\(key)")
        try #require(response.status == 200, "GET folder \(key) answered \(response.status): \(response.text)")
        return try response.json()
    }

    @Test("Create at the top and below a folder (201), duplicate names are 409 ErrorFolderExists in any case")
    func create() async throws {
        try await withEmulator(messages: 200, seed: 5) { emulator in
            let before = try await folderJSON(emulator, "msgfolderroot")
            let created = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders", ["displayName": "Receipts"])
            #expect(created.status == 201)
            let folder = try created.json()
            let id = try #require(folder["id"] as? String)
            #expect(folder["displayName"] as? String == "Receipts")
            #expect(folder["parentFolderId"] as? String == emulator.mailbox.rootFolderID)
            #expect(folder["childFolderCount"] as? Int == 0 && folder["totalItemCount"] as? Int == 0)
            #expect(folder["isHidden"] as? Bool == false)
            #expect((folder["@odata.context"] as? String)?.hasSuffix("/mailFolders/$entity") == true)
            #expect(try await folderJSON(emulator, "msgfolderroot")["childFolderCount"] as? Int
                == (before["childFolderCount"] as? Int ?? 0) + 1)

            // The new folder is listed among the top-level folders and can be read by id.
            let listed = try await emulator.pages("/v1.0/me/mailFolders?$top=5").flatMap { try $0.items() }
            #expect(listed.contains { $0["id"] as? String == id })
            #expect(try await folderJSON(emulator, encoded(id))["displayName"] as? String == "Receipts")

            let duplicate = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders", ["displayName": "receipts"])
            #expect(duplicate.status == 409)
            #expect(try duplicate.errorCode() == "ErrorFolderExists")
            let wellKnownClash = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders", ["DisplayName": "INBOX"])
            #expect(wellKnownClash.status == 409)

            let child = try await emulator.sendJSON(
                "POST", "/v1.0/me/mailFolders/\(encoded(id))/childFolders", ["displayName": "2026", "isHidden": true])
            #expect(child.status == 201)
            let childJSON = try child.json()
            #expect(childJSON["parentFolderId"] as? String == id)
            #expect(childJSON["isHidden"] as? Bool == true)
            #expect((childJSON["@odata.context"] as? String)?.contains("/childFolders/$entity") == true)
            #expect(try await folderJSON(emulator, encoded(id))["childFolderCount"] as? Int == 1)
            // Hidden children are listed only with includeHiddenFolders.
            #expect(try await emulator.get("/v1.0/me/mailFolders/\(encoded(id))/childFolders").items().isEmpty)
            #expect(try await emulator.get("/v1.0/me/mailFolders/\(encoded(id))/childFolders?includeHiddenFolders=true").items().count == 1)
            // The same name is fine under another parent.
            #expect(try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/inbox/childFolders", ["displayName": "Receipts"]).status == 201)

            let empty = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders", ["displayName": "  "])
            #expect(empty.status == 400)
            let unknown = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders", ["displayName": "X", "color": "red"])
            #expect(unknown.status == 400)
        }
    }

    @Test("Rename with PATCH (200), isHidden cannot change, the new name must be free")
    func rename() async throws {
        try await withEmulator(messages: 200, seed: 5) { emulator in
            let projects = try #require(await emulator.mailbox.snapshot().folder(path: "Inbox/Projects"))
            let renamed = try await emulator.sendJSON("PATCH", "/v1.0/me/mailFolders/\(encoded(projects.id))", ["displayName": "Work"])
            #expect(renamed.status == 200)
            #expect(try renamed.json()["displayName"] as? String == "Work")
            #expect(try renamed.json()["id"] as? String == projects.id)
            let snapshot = await emulator.mailbox.snapshot()
            // Paths of the subtree follow the new name.
            #expect(snapshot.folder(path: "Inbox/Work/Atlas") != nil)
            #expect(snapshot.folder(path: "Inbox/Projects") == nil)

            let clash = try await emulator.sendJSON("PATCH", "/v1.0/me/mailFolders/\(encoded(projects.id))", ["displayName": "Newsletters"])
            #expect(clash.status == 409)
            #expect(try clash.errorCode() == "ErrorFolderExists")
            // A change of case only is a rename of the same folder, not a clash.
            #expect(try await emulator.sendJSON("PATCH", "/v1.0/me/mailFolders/\(encoded(projects.id))", ["displayName": "WORK"]).status == 200)
            let hidden = try await emulator.sendJSON("PATCH", "/v1.0/me/mailFolders/\(encoded(projects.id))", ["isHidden": true])
            #expect(hidden.status == 400)
            #expect(try await folderJSON(emulator, encoded(projects.id))["isHidden"] as? Bool == false)
        }
    }

    @Test("Move keeps the folder id, re-ids its messages, keeps immutable ids and counts; distinguished folders stay put")
    func move() async throws {
        let mailbox = Mailbox(messageCount: 600, seed: 7)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let projects = try #require(snapshot.folder(path: "Inbox/Projects"))
            let atlas = try #require(snapshot.folder(path: "Inbox/Projects/Atlas"))
            let atlasMessages = snapshot.messages(inFolder: atlas.id)
            try #require(!atlasMessages.isEmpty)
            let inboxBefore = try await folderJSON(emulator, "inbox")
            let archiveBefore = try await folderJSON(emulator, "archive")

            let moved = try await emulator.sendJSON(
                "POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/move", ["DestinationId": "archive"])
            #expect(moved.status == 201)
            let movedJSON = try moved.json()
            #expect(movedJSON["id"] as? String == projects.id)
            #expect(movedJSON["parentFolderId"] as? String == snapshot.folder(wellKnownName: "archive")?.id)
            #expect(try await folderJSON(emulator, "inbox")["childFolderCount"] as? Int == (inboxBefore["childFolderCount"] as? Int)! - 1)
            #expect(try await folderJSON(emulator, "archive")["childFolderCount"] as? Int == (archiveBefore["childFolderCount"] as? Int)! + 1)

            // Counts travel with the folder; the messages have new regular ids and the same immutable ids.
            let atlasNow = try await folderJSON(emulator, encoded(atlas.id))
            #expect(atlasNow["totalItemCount"] as? Int == atlasMessages.count)
            #expect(atlasNow["unreadItemCount"] as? Int == atlasMessages.filter { !$0.isRead }.count)
            let old = atlasMessages[0]
            #expect(try await emulator.message(old.id) == nil)
            let byImmutable = try #require(try await emulator.message(old.immutableID, headers: ["Prefer": #"IdType="ImmutableId""#]))
            #expect(byImmutable["parentFolderId"] as? String == atlas.id)
            let listed = try await emulator.folderMessages(encoded(atlas.id)).compactMap { $0["id"] as? String }
            #expect(Set(listed).isDisjoint(with: atlasMessages.map(\.id)))
            #expect(listed.count == atlasMessages.count)
            #expect(await mailbox.snapshot().folder(path: "Archive/Projects/Atlas")?.id == atlas.id)

            let intoItself = try await emulator.sendJSON(
                "POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/move", ["destinationId": atlas.id])
            #expect(intoItself.status == 400)
            #expect(try intoItself.errorCode() == "ErrorMoveCopyFailed")
            let inbox = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/inbox/microsoft.graph.move", ["destinationId": "archive"])
            #expect(inbox.status == 400)
            #expect(try inbox.errorCode() == "ErrorMoveDistinguishedFolder")
            let nowhere = try await emulator.sendJSON(
                "POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/move", ["destinationId": "AAMkADnotAFolderAtAllAAA="])
            #expect(nowhere.status == 404)
            let missing = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/move", [String: Any]())
            #expect(missing.status == 400)
        }
    }

    @Test("Copy makes a new folder tree with new message ids; the original stays")
    func copy() async throws {
        let mailbox = Mailbox(messageCount: 600, seed: 7)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let projects = try #require(snapshot.folder(path: "Inbox/Projects"))
            let subtree = snapshot.folders.filter { $0.path.hasPrefix("Inbox/Projects") }
            let originals = subtree.flatMap { snapshot.messages(inFolder: $0.id) }
            let copied = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/copy", ["destinationId": "msgfolderroot"])
            #expect(copied.status == 201)
            let copyID = try #require(try copied.json()["id"] as? String)
            #expect(copyID != projects.id)
            #expect(try copied.json()["childFolderCount"] as? Int == projects.childFolderCount)

            let after = await mailbox.snapshot()
            let copiedTree = after.folders.filter { $0.path.hasPrefix("Projects") }
            #expect(copiedTree.map(\.displayName).sorted() == subtree.map(\.displayName).sorted())
            let copies = copiedTree.flatMap { after.messages(inFolder: $0.id) }
            #expect(copies.count == originals.count)
            #expect(Set(copies.map(\.id)).isDisjoint(with: originals.map(\.id)))
            #expect(Set(copies.map(\.immutableID)).isDisjoint(with: originals.map(\.immutableID)))
            #expect(copies.map(\.subject).sorted() == originals.map(\.subject).sorted())
            #expect(after.messages.count == snapshot.messages.count + originals.count)
            // The original is untouched, and copying it next to itself clashes on the name.
            #expect(after.folder(path: "Inbox/Projects")?.id == projects.id)
            let again = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/\(encoded(projects.id))/copy", ["destinationId": "inbox"])
            #expect(again.status == 409)
        }
    }

    @Test("DELETE moves a folder to Deleted Items with its messages; in Deleted Items, or with permanentDelete, it is gone")
    func delete() async throws {
        let mailbox = Mailbox(messageCount: 600, seed: 7)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let newsletters = try #require(snapshot.folder(path: "Inbox/Newsletters"))
            let contents = snapshot.messages(inFolder: newsletters.id)
            try #require(!contents.isEmpty)
            let deletedBefore = try await folderJSON(emulator, "deleteditems")

            let first = try await emulator.send("DELETE", "/v1.0/me/mailFolders/\(encoded(newsletters.id))")
            #expect(first.status == 204)
            #expect(first.body.isEmpty)
            let inDeleted = try await folderJSON(emulator, encoded(newsletters.id))
            #expect(inDeleted["parentFolderId"] as? String == snapshot.folder(wellKnownName: "deleteditems")?.id)
            #expect(inDeleted["totalItemCount"] as? Int == contents.count)
            #expect(try await folderJSON(emulator, "deleteditems")["childFolderCount"] as? Int
                == (deletedBefore["childFolderCount"] as? Int)! + 1)

            let second = try await emulator.send("DELETE", "/v1.0/me/mailFolders/\(encoded(newsletters.id))")
            #expect(second.status == 204)
            #expect(try await emulator.get("/v1.0/me/mailFolders/\(encoded(newsletters.id))").status == 404)
            let after = await mailbox.snapshot()
            #expect(after.messages.count == snapshot.messages.count - contents.count)
            #expect(try await emulator.message(contents[0].immutableID, headers: ["Prefer": #"IdType="ImmutableId""#]) == nil)

            let atlas = try #require(snapshot.folder(path: "Inbox/Projects/Atlas"))
            let purge = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/\(encoded(atlas.id))/permanentDelete")
            #expect(purge.status == 204)
            #expect(try await emulator.get("/v1.0/me/mailFolders/\(encoded(atlas.id))").status == 404)
            #expect(try await folderJSON(emulator, encoded(snapshot.folder(path: "Inbox/Projects")!.id))["childFolderCount"] as? Int == 1)

            let inbox = try await emulator.send("DELETE", "/v1.0/me/mailFolders/inbox")
            #expect(inbox.status == 400)
            #expect(try inbox.errorCode() == "ErrorDeleteDistinguishedFolder")
        }
    }

    @Test("Folder delta: changed folders and @removed in the next round; hidden folders only when asked")
    func delta() async throws {
        let mailbox = Mailbox(messageCount: 400, seed: 9)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let initial = try await DeltaTests.round(emulator, "/v1.0/me/mailFolders/delta", headers: ["Prefer": "odata.maxpagesize=4"])
            #expect(initial.items.compactMap { $0["id"] as? String } == snapshot.folders.filter { $0.path != "Clutter" }.map(\.id))
            let withHidden = try await DeltaTests.round(emulator, "/v1.0/me/mailFolders/delta?includeHiddenFolders=true")
            #expect(withHidden.items.count == snapshot.folders.count)
            #expect(try await DeltaTests.round(emulator, initial.deltaLink).items.isEmpty)

            let created = try await mailbox.createFolder(named: "Travel", in: "inbox")
            let atlas = try #require(snapshot.folder(path: "Inbox/Projects/Atlas"))
            let borealis = try #require(snapshot.folder(path: "Inbox/Projects/Borealis"))
            try await mailbox.renameFolder(atlas.id, to: "Atlas (old)")
            try await mailbox.permanentlyDeleteFolder(borealis.id)
            let hiddenChild = try await mailbox.createFolder(named: "Secret", in: "clutter")

            let next = try await DeltaTests.round(emulator, initial.deltaLink, headers: ["Prefer": "odata.maxpagesize=2"])
            let changed = next.items.filter { $0["@removed"] == nil }
            let removed = next.items.filter { $0["@removed"] != nil }
            let projects = try #require(snapshot.folder(path: "Inbox/Projects"))
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            // New folder, renamed folder, and the parents whose childFolderCount changed.
            #expect(Set(changed.compactMap { $0["id"] as? String }) == [created.id, atlas.id, projects.id, inbox.id])
            #expect(changed.first { $0["id"] as? String == atlas.id }?["displayName"] as? String == "Atlas (old)")
            #expect(changed.first { $0["id"] as? String == projects.id }?["childFolderCount"] as? Int == 1)
            #expect(removed.count == 1)
            #expect(removed.first?["id"] as? String == borealis.id)
            #expect((removed.first?["@removed"] as? [String: Any])?["reason"] as? String == "deleted")
            #expect(!next.items.contains { $0["id"] as? String == hiddenChild.id })

            let hiddenRound = try await DeltaTests.round(emulator, withHidden.deltaLink)
            #expect(hiddenRound.items.contains { $0["id"] as? String == hiddenChild.id })
            #expect(try await DeltaTests.round(emulator, next.deltaLink).items.isEmpty)

            // A message read elsewhere changes its folder's unread count, which delta reports.
            let unread = try #require(await mailbox.snapshot().messages(inFolder: inbox.id).first { !$0.isRead })
            try await mailbox.markRead(id: unread.id)
            let counts = try await DeltaTests.round(emulator, next.deltaLink)
            #expect(counts.items.compactMap { $0["id"] as? String } == [inbox.id])
            #expect(counts.items.first?["unreadItemCount"] as? Int == inbox.unreadItemCount - 1)
        }
    }

    @Test("childFolders/delta covers one subtree; a folder moved out of it is @removed there")
    func subtreeDelta() async throws {
        let mailbox = Mailbox(messageCount: 400, seed: 9)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let below = snapshot.folders.filter { $0.path.hasPrefix("Inbox/") }
            let initial = try await DeltaTests.round(emulator, "/v1.0/me/mailFolders/inbox/childFolders/microsoft.graph.delta()")
            #expect(initial.items.compactMap { $0["id"] as? String } == below.map(\.id))
            #expect(initial.deltaLink.contains("/childFolders/") && initial.deltaLink.contains("$deltatoken="))

            let newsletters = try #require(snapshot.folder(path: "Inbox/Newsletters"))
            try await mailbox.moveFolder(newsletters.id, to: "archive")
            let next = try await DeltaTests.round(emulator, initial.deltaLink)
            let removed = next.items.filter { $0["@removed"] != nil }.compactMap { $0["id"] as? String }
            #expect(removed == [newsletters.id])
            #expect(next.items.contains { $0["id"] as? String == inbox.id } == false)

            // The whole-hierarchy delta sees the same move as a change of parent.
            let archiveID = try #require(snapshot.folder(wellKnownName: "archive")?.id)
            let full = try await DeltaTests.round(emulator, "/v1.0/me/mailFolders/delta")
            #expect(full.items.first { $0["id"] as? String == newsletters.id }?["parentFolderId"] as? String == archiveID)

            // A token of one scope is not accepted for another.
            let wrong = initial.deltaLink.replacingOccurrences(of: "/mailFolders/inbox/childFolders", with: "/mailFolders/archive/childFolders")
            #expect(try await emulator.get(wrong).status == 410)
        }
    }

    @Test("GET-only folder routes answer 405 to other methods")
    func methods() async throws {
        try await withEmulator(messages: 50, seed: 5) { emulator in
            let put = try await emulator.sendJSON("PUT", "/v1.0/me/mailFolders/inbox", ["displayName": "x"])
            #expect(put.status == 405)
            let postDelta = try await emulator.sendJSON("POST", "/v1.0/me/mailFolders/delta", [String: Any]())
            #expect(postDelta.status == 405)
            let getAction = try await emulator.send("GET", "/v1.0/me/mailFolders/inbox/move")
            #expect(getAction.status == 405)
        }
    }
}
