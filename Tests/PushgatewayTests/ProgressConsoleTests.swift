import Pushgateway
import Synchronization
import Testing

/// The progress bar and the lines printed while it is on screen, through a fake terminal that records
/// what each stream receives and replays it the way a terminal shows it.
@Suite struct ProgressConsoleTests {
    /// Records writes in order, like a terminal where stdout and stderr share one screen.
    final class FakeTerminal: TerminalWriter {
        let writes = Mutex<[(TerminalStream, String)]>([])

        func write(_ text: String, to stream: TerminalStream) {
            writes.withLock { $0.append((stream, text)) }
        }

        /// The screen's lines after replaying every write: `\r` returns to column 0, `ESC [2K` erases the
        /// line, `\n` starts a new line, anything else overwrites at the cursor.
        var screen: [String] {
            var lines: [[Character]] = [[]]
            var column = 0
            let text = writes.withLock { $0.map(\.1).joined() }
            var rest = Substring(text)
            while let character = rest.first {
                if rest.hasPrefix("\u{1B}[2K") {
                    lines[lines.count - 1] = []
                    rest = rest.dropFirst(4)
                    continue
                }
                rest = rest.dropFirst()
                switch character {
                case "\r": column = 0
                case "\n":
                    lines.append([])
                    column = 0
                default:
                    var line = lines[lines.count - 1]
                    while line.count < column { line.append(" ") }
                    if column < line.count { line[column] = character } else { line.append(character) }
                    lines[lines.count - 1] = line
                    column += 1
                }
            }
            return lines.map { String($0) }
        }

        func received(on stream: TerminalStream) -> String {
            writes.withLock { $0.filter { $0.0 == stream }.map(\.1).joined() }
        }
    }

    static let bar = BatchProgressBar(total: 4, width: 8)

    @Test func logLinesAppearAboveTheBarNeverInsideIt() {
        let terminal = FakeTerminal()
        let console = ProgressConsole(writer: terminal)
        console.drawBar(Self.bar.render(completed: 0, failed: 0, elapsed: .zero))
        console.printLines("level=warn msg=\"collector failed\" target=a\n", to: .standardError)
        console.drawBar(Self.bar.render(completed: 1, failed: 1, elapsed: .milliseconds(1500)))
        console.printLines("level=error target=a scrape=failed", to: .standardOutput)
        console.printLines("level=warn msg=one\nlevel=warn msg=two\n", to: .standardError)
        console.drawBar(Self.bar.render(completed: 4, failed: 1, elapsed: .seconds(3)))
        console.finishBar()
        console.printLines("level=error msg=\"batch push finished\"\n", to: .standardOutput)

        #expect(
            terminal.screen == [
                "level=warn msg=\"collector failed\" target=a",
                "level=error target=a scrape=failed",
                "level=warn msg=one",
                "level=warn msg=two",
                "[########] 4/4 ok=3 failed=1 3.000s",
                "level=error msg=\"batch push finished\"",
                "",
            ])
        // Log messages reach stderr whole; stdout gets the bar and the per-target lines.
        #expect(
            terminal.received(on: .standardError)
                == "level=warn msg=\"collector failed\" target=a\nlevel=warn msg=one\nlevel=warn msg=two\n")
        #expect(terminal.received(on: .standardOutput).contains("\r\u{1B}[2K[--------] 0/4"))
    }

    @Test func withoutABarLinesPassThroughUnchanged() {
        let terminal = FakeTerminal()
        let console = ProgressConsole(writer: terminal)
        console.printLines("level=info target=a push=ok\n", to: .standardOutput)
        console.printLines("level=warn msg=slow", to: .standardError)
        console.finishBar()
        #expect(terminal.received(on: .standardOutput) == "level=info target=a push=ok\n")
        #expect(terminal.received(on: .standardError) == "level=warn msg=slow\n")
        #expect(!terminal.writes.withLock { $0.contains { $0.1.contains("\u{1B}") } })
    }

    /// Threads logging while the bar is redrawn still give whole lines, each once, and one bar at the end.
    @Test func concurrentLogLinesStayWhole() async {
        let terminal = FakeTerminal()
        let console = ProgressConsole(writer: terminal)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for step in 0..<25 {
                        console.printLines("level=warn worker=\(worker) step=\(step)\n", to: .standardError)
                        console.drawBar(Self.bar.render(completed: 1, failed: 0, elapsed: .zero))
                    }
                }
            }
        }
        console.finishBar()
        let screen = terminal.screen
        let logLines = screen.filter { $0.hasPrefix("level=warn") }
        #expect(logLines.count == 200)
        #expect(Set(logLines).count == 200)
        #expect(screen.allSatisfy { $0.isEmpty || $0.hasPrefix("level=warn worker=") || $0.hasPrefix("[##") })
        #expect(screen.filter { $0.hasPrefix("[") } == ["[##------] 1/4 ok=1 failed=0 0.000s"])
    }
}
