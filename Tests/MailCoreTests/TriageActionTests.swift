import Foundation
import MailCore
import Testing

@Suite struct TriageActionTests {
    /// The outbox stores actions as this JSON; an Otter that added cases must still read what an
    /// older one wrote, and write the old cases the same way.
    @Test func theStoredFormOfEveryActionIsStable() throws {
        let stored: [(String, TriageAction)] = [
            (#"{"markRead":{"_0":true}}"#, .markRead(true)),
            (#"{"flag":{"_0":"flagged"}}"#, .flag(.flagged)),
            (#"{"move":{"to":{"rawValue":"AAMkArchive"}}}"#, .move(to: FolderID("AAMkArchive"))),
            (#"{"send":{"sentItems":{"rawValue":"AAMkSent"}}}"#, .send(sentItems: FolderID("AAMkSent"))),
        ]
        for (json, action) in stored {
            #expect(try JSONDecoder().decode(TriageAction.self, from: Data(json.utf8)) == action)
            #expect(String(decoding: try JSONEncoder().encode(action), as: UTF8.self) == json)
        }
    }

    @Test func aSentDraftIsInSentItemsAndReadAndARefusalPutsItBack() {
        let drafts = FolderID("drafts"), sent = FolderID("sent")
        let draft = MessageSummary(id: MessageID("d"), folderID: drafts, subject: "Hi", from: nil, receivedAt: Date(), isRead: false)
        let send = TriageAction.send(sentItems: sent)
        let after = send.applied(to: draft)
        #expect(after.folderID == sent && after.isRead)
        #expect(send.kind == "send")
        #expect(send.inverse(restoring: draft) == .move(to: drafts))
    }
}
