import Testing

@testable import Pushgateway

@Suite struct GroupingKeyTests {
    @Test func plainValuesStayReadable() {
        let key = GroupingKey.instance("10.0.0.1:623", job: "ipmi")
        #expect(key.path == "/metrics/job/ipmi/instance/10.0.0.1:623")
    }

    // Vectors from the Pushgateway README ("URL" section); we always add `=` padding.
    @Test func valueWithSlashUsesBase64() {
        let key = GroupingKey(job: "directory_cleaner", labels: [("path", "/var/tmp")])
        #expect(key.path == "/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA=")
    }

    @Test func emptyValueIsASinglePaddingCharacter() {
        let key = GroupingKey(job: "example", labels: [("first_label", ""), ("second_label", "foobar")])
        #expect(key.path == "/metrics/job/example/first_label@base64/=/second_label/foobar")
    }

    @Test func nonASCIIUsesURLSafeAlphabet() {
        let key = GroupingKey(job: "titan", labels: [("name", "Προμηθεύς")])
        #expect(key.path == "/metrics/job/titan/name@base64/zqDPgc6_zrzOt864zrXPjc-C")
    }

    @Test func jobWithSlashIsEncodedToo() {
        #expect(GroupingKey(job: "a/b").path == "/metrics/job@base64/YS9i")
    }

    @Test(arguments: [
        ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("\u{FB}\u{FF}", "w7vDvw=="),
    ])
    func base64Padding(input: String, expected: String) {
        #expect(GroupingKey.base64URLEncoded(input) == expected)
    }
}
