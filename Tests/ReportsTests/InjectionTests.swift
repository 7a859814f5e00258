// Proves hostile values cannot run in a spreadsheet or a browser: formula starters are neutralised in CSV,
// quoting follows RFC 4180, every HTML value is escaped, and template mistakes are reported by line.
import Foundation
import LastMileCore
import Reports
import Testing

@Suite struct InjectionTests {
    @Test(arguments: [
        "=HYPERLINK(\"http://x.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "\rcmd", "＝1+1",
    ])
    func formulaStartersAreNeutralised(_ value: String) {
        let cell = CSV.cell(value)
        let unquoted = cell.hasPrefix("\"") ? String(cell.dropFirst()) : cell
        #expect(unquoted.hasPrefix("'"))
    }

    @Test func rfc4180Quoting() {
        #expect(CSV.cell("plain") == "plain")
        #expect(CSV.cell("a,b") == "\"a,b\"")
        #expect(CSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.cell("two\nlines") == "\"two\nlines\"")
        #expect(CSV.cell("=1,2") == "\"'=1,2\"")
        #expect(CSV.line(["a", "", "b"]) == "a,,b\r\n")
        #expect(CSV.cell("2026-11-20") == "2026-11-20")
    }

    @Test func directionalOverridesAreShownNotObeyed() {
        // An override would display `abc‮fdp.exe` as `abcexe.pdf`; an isolate hides the text's order too.
        #expect(CSV.cell("abc\u{202E}fdp.exe") == "abc[U+202E]fdp.exe")
        #expect(HTML.escape("<b>\u{2067}x\u{2069}") == "&lt;b&gt;[U+2067]x[U+2069]")
        // An override cannot hide a formula starter behind it either.
        #expect(CSV.cell("\u{202E}=1+1") == "[U+202E]=1+1")
        // The weak marks that right-to-left names may carry are kept as they are.
        #expect(CSV.cell("\u{200F}שרה") == "\u{200F}שרה")
        #expect(HTML.escape("\u{200E}Ann") == "\u{200E}Ann")
    }

    private var hostile: AbsenteeismList {
        var flag = SamplePractice.absenteeism(
            "P-EVIL", tier: "severe", absent: "9", enrolled: 30, rate: "0.3000", previous: "0.2000", last: "2026-11-20",
            school: "<img src=x onerror=alert(1)>", grade: "\" onmouseover=\"alert(2)")
        flag.evidence["school_id"] = "=cmd|' /C calc'!A0"
        let p = ListedPatient(
            patientId: "P-EVIL", givenName: "<script>alert('x')</script>", familyName: "=HYPERLINK(\"http://x\")",
            birthDate: day("2015-01-01"), practicePatientId: "@SUM(1)", absenteeism: flag)
        return AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside <b>Peds</b> & Co", weekOf: day("2026-11-23"),
            patients: [p])
    }

    @Test func csvNeutralisesHostileCells() {
        let csv = hostile.csv()
        let row = csv.split(separator: "\r\n")[1]
        #expect(row.hasPrefix("\"'=HYPERLINK(\"\"http://x\"\"), <script>alert('x')</script>\",2015-01-01,11,'@SUM(1),"))
        // No cell of the row may start with a formula character.
        #expect(!row.split(separator: ",").contains { ["=", "+", "-", "@"].contains($0.first) })
    }

    @Test func htmlEscapesEveryValue() throws {
        let html = try hostile.html(using: loadTemplate())
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>Peds"))
        #expect(!html.contains("\" onmouseover=\""))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("Riverside &lt;b&gt;Peds&lt;/b&gt; &amp; Co"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
    }

    @Test func templateSyntax() throws {
        let t = try HTMLTemplate(
            name: "t.html", text: "<p>{{ a }}</p>{{#items}}[{{x}}{{a}}]{{/items}}{{^items}}none{{/items}}{{! dropped }}"
        )
        #expect(
            try t.render(["a": .text("<&>"), "items": .list([["x": .text("1")], ["x": .text("'")]])])
                == "<p>&lt;&amp;&gt;</p>[1&lt;&amp;&gt;][&#39;&lt;&amp;&gt;]")
        #expect(try t.render(["a": .text(""), "items": .list([])]) == "<p></p>none")
        // Section tags alone on their lines leave no blank lines behind.
        let lines = try HTMLTemplate(
            name: "l.html", text: "<ul>\n  {{#items}}\n  <li>{{x}}</li>\n  {{/items}}\n</ul>\n")
        #expect(
            try lines.render(["items": .list([["x": .text("1")], ["x": .text("2")]])])
                == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n")
    }

    @Test func templateMistakesNameTheLine() {
        #expect(
            throws: TemplateError(
                template: "t.html", line: 2, problem: "section \"rows\" is never closed with {{/rows}}")
        ) {
            try HTMLTemplate(name: "t.html", text: "a\n{{#rows}}x")
        }
        #expect(throws: TemplateError.self) { try HTMLTemplate(name: "t.html", text: "{{#a}}{{/b}}") }
        #expect(throws: TemplateError.self) { try HTMLTemplate(name: "t.html", text: "{{a") }
        #expect(throws: TemplateError.self) { try HTMLTemplate(name: "t.html", text: "{{a b}}") }
        do {
            _ = try HTMLTemplate(name: "t.html", text: "ok\n\n{{pateint}}").render(["patient": .text("x")])
            Issue.record("rendered an unknown name")
        } catch let e as TemplateError {
            #expect(e.line == 3)
            #expect(e.description.hasPrefix("t.html:3: unknown name \"pateint\""))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
