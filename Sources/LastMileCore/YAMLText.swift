/// Line numbers of YAML configuration texts, for messages.
public enum YAMLText {
    /// The number of the last line of a YAML text (1 for an empty one).
    ///
    /// libyaml reports an error, or places an empty node, at the end of the text on the line after the last —
    /// a line the file does not have — so messages name this line instead. Every line break libyaml counts
    /// is counted (LF, CR, CRLF, NEL, LS, PS).
    public static func lastLine(of text: String) -> Int {
        var lines = 1
        var endsWithBreak = false
        for c in text {
            endsWithBreak = c.isNewline
            if endsWithBreak { lines += 1 }
        }
        return endsWithBreak ? lines - 1 : lines
    }
}
