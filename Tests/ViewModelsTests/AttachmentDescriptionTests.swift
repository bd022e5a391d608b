import Foundation
import MailCore
import Testing
@testable import ViewModels

@Suite struct AttachmentDescriptionTests {
    func info(_ name: String, _ type: String?, _ size: Int, kind: AttachmentInfo.Kind = .file) -> AttachmentInfo {
        AttachmentInfo(id: "a", name: name, contentType: type, size: size, isInline: false, kind: kind)
    }

    @Test func nameTypeAndAReadableSize() {
        #expect(ReaderModel.describe(info("report.pdf", "application/pdf", 1_258_291)) == "report.pdf (application/pdf, 1.2 MB)")
        #expect(ReaderModel.describe(info("notes.txt", "text/plain", 900)) == "notes.txt (text/plain, 900 B)")
        #expect(ReaderModel.describe(info("Re: agenda", nil, 32_005, kind: .item)) == "Re: agenda (attached item, 31 KB)")
        #expect(ReaderModel.describe(info("Budget.xlsx", nil, 0, kind: .reference)) == "Budget.xlsx (link)")
        #expect(ReaderModel.describe(info("", nil, 10)) == "(unnamed) (file, 10 B)")
    }

    @Test func hostileNamesAndTypesAreInert() {
        let hostile = info("inv\u{1B}]52;c;cm0gLXJmIH4=\u{07}oice\u{202E}fdp.exe", "text/\u{1B}[31mred", 5)
        let text = ReaderModel.describe(hostile)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" })
        #expect(text.contains("oice"))
    }
}
