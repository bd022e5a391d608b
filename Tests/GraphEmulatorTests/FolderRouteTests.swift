import Foundation
import GraphEmulator
import Testing

@Suite("Mail folder routes")
struct FolderRouteTests {
    @Test("GET /me/mailFolders lists the root's visible children alphabetically, paged with $top/$skip")
    func topLevel() async throws {
        let mailbox = Mailbox(messageCount: 400, seed: 8)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let response = try await emulator.get("/v1.0/me/mailFolders")
            #expect(response.status == 200)
            let json = try response.json()
            #expect((json["@odata.context"] as? String)?.hasSuffix("$metadata#users('\(mailbox.owner.id)')/mailFolders") == true)
            let items = try response.items()
            let expected = snapshot.topLevelFolders()
            #expect(items.map { $0["displayName"] as? String } == expected.map(\.displayName))
            #expect(expected.map(\.displayName) == expected.map(\.displayName).sorted { $0.lowercased() < $1.lowercased() })
            #expect(items.allSatisfy { $0["isHidden"] as? Bool == false && $0["parentFolderId"] as? String == snapshot.rootFolderID })
            #expect(json["@odata.nextLink"] == nil)
            // v1.0 has no wellKnownName property.
            #expect(items.allSatisfy { $0["wellKnownName"] == nil })

            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let inboxItem = try #require(items.first { $0["id"] as? String == inbox.id })
            #expect(inboxItem["totalItemCount"] as? Int == inbox.totalItemCount)
            #expect(inboxItem["unreadItemCount"] as? Int == inbox.unreadItemCount)
            #expect(inboxItem["childFolderCount"] as? Int == 2)
            #expect(inbox.totalItemCount == snapshot.messages(inFolder: inbox.id).count)
            #expect(inbox.unreadItemCount == snapshot.messages(inFolder: inbox.id).filter { !$0.isRead }.count)

            let pages = try await emulator.pages("/v1.0/me/mailFolders?$top=3")
            #expect(pages.count == (expected.count + 2) / 3)
            let paged = try pages.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
            #expect(paged == expected.map(\.id))
            let firstLink = try #require(try pages[0].json()["@odata.nextLink"] as? String)
            #expect(firstLink.hasPrefix(emulator.baseURL.absoluteString + "/v1.0/me/mailFolders?"))
            #expect(firstLink.contains("$top=3") && firstLink.contains("$skip=3"))

            let hidden = try await emulator.get("/v1.0/me/mailFolders?includeHiddenFolders=true&$top=50")
            let all = try hidden.items()
            #expect(all.count == expected.count + 1)
            #expect(all.contains { $0["displayName"] as? String == "Clutter" && $0["isHidden"] as? Bool == true })
        }
    }

    @Test("Folders resolve by id and by well-known name in any case; childFolders walk the tree")
    func lookups() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 8)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            for name in ["inbox", "Inbox", "INBOX", encoded(inbox.id)] {
                let response = try await emulator.get("/v1.0/me/mailFolders/\(name)")
                #expect(response.status == 200, "\(name)")
                let json = try response.json()
                #expect(json["id"] as? String == inbox.id)
                #expect(json["displayName"] as? String == "Inbox")
                #expect((json["@odata.context"] as? String)?.hasSuffix("/mailFolders/$entity") == true)
            }
            let sent = try await emulator.get("/v1.0/users/\(encoded(mailbox.owner.address))/mailFolders/SentItems")
            #expect(try sent.json()["id"] as? String == snapshot.folder(wellKnownName: "sentitems")?.id)
            let keySyntax = try await emulator.get("/v1.0/me/mailFolders('\(inbox.id)')")
            #expect(try keySyntax.json()["id"] as? String == inbox.id)

            let children = try await emulator.get("/v1.0/me/mailFolders/inbox/childFolders")
            #expect(try children.items().compactMap { $0["displayName"] as? String } == ["Newsletters", "Projects"])
            let projects = try #require(snapshot.folder(path: "Inbox/Projects"))
            let nested = try await emulator.get("/v1.0/me/mailFolders/inbox/childFolders/\(encoded(projects.id))/childFolders")
            #expect(try nested.items().compactMap { $0["displayName"] as? String } == ["Atlas", "Borealis"])
            #expect((try nested.json()["@odata.context"] as? String)?.hasSuffix("mailFolders('\(projects.id)')/childFolders") == true)
            // A child path must really be a child.
            let wrongParent = try await emulator.get("/v1.0/me/mailFolders/drafts/childFolders/\(encoded(projects.id))")
            #expect(wrongParent.status == 404)

            let root = try await emulator.get("/v1.0/me/mailFolders/msgfolderroot")
            #expect(try root.json()["id"] as? String == snapshot.rootFolderID)

            let selected = try await emulator.get("/v1.0/me/mailFolders/inbox?$select=displayName,totalItemCount")
            #expect(Set(try selected.json().keys) == ["@odata.context", "id", "displayName", "totalItemCount"])

            let beta = try await emulator.get("/beta/me/mailFolders/inbox")
            #expect(try beta.json()["wellKnownName"] as? String == "inbox")
            let v1WellKnown = try await emulator.get("/v1.0/me/mailFolders/inbox?$select=wellKnownName")
            #expect(v1WellKnown.status == 400)
        }
    }

    @Test("Unknown folders: 404 for a well-formed id, 400 for a malformed one")
    func unknownFolders() async throws {
        try await withEmulator(messages: 20) { emulator in
            let missing = try await emulator.get("/v1.0/me/mailFolders/AAMkADnotafolderAAAA/messages")
            #expect(missing.status == 404)
            #expect(try missing.errorCode() == "ErrorItemNotFound")
            let malformed = try await emulator.get("/v1.0/me/mailFolders/no%20such%20folder")
            #expect(malformed.status == 400)
            #expect(try malformed.errorCode() == "ErrorInvalidIdMalformed")
        }
    }

    @Test("Folder delta returns the whole hierarchy flat, then only folders that changed")
    func folderDelta() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 8)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let pages = try await emulator.pages("/v1.0/me/mailFolders/delta", headers: ["Prefer": "odata.maxpagesize=4"])
            let visible = snapshot.folders.filter { !$0.isHidden }
            #expect(pages.count == (visible.count + 3) / 4)
            let items = try pages.flatMap { try $0.items() }
            #expect(items.compactMap { $0["id"] as? String } == visible.map(\.id))
            // Parents come before their children.
            var seen: Set<String> = [snapshot.rootFolderID]
            for item in items {
                #expect(seen.contains(item["parentFolderId"] as? String ?? ""))
                seen.insert(item["id"] as? String ?? "")
            }
            let last = try #require(pages.last)
            #expect(try last.json()["@odata.context"] as? String == "\(emulator.baseURL.absoluteString)/v1.0/$metadata#Collection(mailFolder)")
            let deltaLink = try #require(try last.json()["@odata.deltaLink"] as? String)
            #expect(deltaLink.contains("$deltatoken="))

            let unchanged = try await emulator.get(deltaLink)
            #expect(try unchanged.items().isEmpty)

            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let unread = try #require(snapshot.messages(inFolder: inbox.id).first { !$0.isRead })
            try await mailbox.markRead(id: unread.id)
            let changed = try await emulator.get(deltaLink)
            let changedItems = try changed.items()
            #expect(changedItems.count == 1)
            #expect(changedItems.first?["id"] as? String == inbox.id)
            #expect(changedItems.first?["unreadItemCount"] as? Int == inbox.unreadItemCount - 1)
            #expect(try changed.json()["@odata.deltaLink"] is String)
        }
    }
}

@Suite("Well-known names without a folder")
struct MissingWellKnownFolderTests {
    @Test("A well-known name the mailbox lacks is 404 ErrorItemNotFound, not a malformed id")
    func missingWellKnownFolder() async throws {
        let directory = try LoaderTests.corpus()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mailbox = Mailbox(content: try MailboxLoader.load(directory: directory))
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Emulator.token])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let emulator = Emulator(server: server, mailbox: mailbox, baseURL: base)
        let outbox = try await emulator.get("/v1.0/me/mailFolders/outbox")
        #expect(outbox.status == 404)
        #expect(try outbox.errorCode() == "ErrorItemNotFound")
        let garbage = try await emulator.get("/v1.0/me/mailFolders/x!")
        #expect(garbage.status == 400)
        #expect(try garbage.errorCode() == "ErrorInvalidIdMalformed")
    }
}
