import NIOConcurrencyHelpers

/// The two output streams of a terminal session.
public enum TerminalStream: Sendable, Hashable {
    case standardOutput
    case standardError
}

/// Where a ``ProgressConsole`` writes; the program's writes to file descriptors 1 and 2, or a recorder in tests.
public protocol TerminalWriter: Sendable {
    /// Writes `text` at once (unbuffered), so that writes to the two streams reach the terminal in call order.
    func write(_ text: String, to stream: TerminalStream)
}

/// Shares one terminal between a progress bar redrawn in place on standard output and whole lines printed
/// above it: per-target failures on standard output and log messages on standard error.
///
/// Every line printed while the bar is on screen first erases the bar's line (carriage return and
/// `ESC [2K`, erase in line), then writes the line, then draws the bar again below it, all under one lock,
/// so a log line never lands in the middle of the bar and the bar never ends up above the logs. When no bar
/// is drawn (output is not a terminal) lines pass through unchanged.
public final class ProgressConsole: Sendable {
    /// Back to column 0 and erase the whole line (ECMA-48 EL with parameter 2).
    public static let eraseLine = "\r\u{1B}[2K"

    private let writer: any TerminalWriter
    /// The bar's text while it is on screen.
    private let bar = NIOLockedValueBox<String?>(nil)

    public init(writer: any TerminalWriter) {
        self.writer = writer
    }

    /// Draws the bar, replacing the one on screen.
    public func drawBar(_ text: String) {
        bar.withLockedValue { shown in
            writer.write(Self.eraseLine + text, to: .standardOutput)
            shown = text
        }
    }

    /// Prints `text` (one or more lines, each ending in a newline) above the bar.
    public func printLines(_ text: String, to stream: TerminalStream) {
        guard !text.isEmpty else { return }
        let complete = text.hasSuffix("\n") ? text : text + "\n"
        bar.withLockedValue { shown in
            guard let shown else {
                writer.write(complete, to: stream)
                return
            }
            writer.write(Self.eraseLine, to: .standardOutput)
            writer.write(complete, to: stream)
            writer.write(shown, to: .standardOutput)
        }
    }

    /// Leaves the bar's last state on screen and moves below it; later lines are printed under it.
    public func finishBar() {
        bar.withLockedValue { shown in
            if shown != nil { writer.write("\n", to: .standardOutput) }
            shown = nil
        }
    }
}
