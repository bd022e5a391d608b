import MailCore
import Testing

@Suite struct HTMLTextTests {
    @Test func paragraphsBreaksAndEntities() {
        let html = "<html><head><style>p{color:red}</style><title>t</title></head><body><p>Hello&nbsp;Alex,</p><p>Fish &amp; chips&#33; &lt;ok&gt; &#x1F680;</p>line<br>break</body></html>"
        #expect(HTMLText.plainText(fromHTML: html) == "Hello Alex,\n\nFish & chips! <ok> 🚀\n\nline\nbreak")
    }

    @Test func blockquotesAreQuotedAndScriptsDropped() {
        let html = "<div>Sounds good.</div><script>alert(1)</script><blockquote><div>On Tue Dana wrote:</div><div>Ship it?</div></blockquote>"
        #expect(HTMLText.plainText(fromHTML: html) == "Sounds good.\n> On Tue Dana wrote:\n> Ship it?")
    }

    @Test func linksShowTheirTargetsAndListsTheirItems() {
        let html = "<p>See <a href=\"https://example.com/doc\">the doc</a> and <a href=\"mailto:a@b.c\">Alex</a>.</p><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
        #expect(HTMLText.plainText(fromHTML: html) == "See the doc <https://example.com/doc> and Alex.\n\n• one\n• two\n1. first")
    }

    @Test func malformedMarkupNeverLosesText() {
        #expect(HTMLText.plainText(fromHTML: "a < b and c > d") == "a < b and c > d")
        #expect(HTMLText.plainText(fromHTML: "<p>unclosed <b>bold") == "unclosed bold")
        #expect(HTMLText.plainText(fromHTML: "<!-- hidden -->shown &unknown; &#xZZ;") == "shown &unknown; &#xZZ;")
    }
}
