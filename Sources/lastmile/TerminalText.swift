import Delivery
import Pipeline
import Store

/// Text from an input file made safe to print on a terminal: control characters (C0, DEL, C1 — the start of
/// escape sequences that can recolour, retitle or rewrite a terminal) and the invisible bidirectional controls
/// that reorder what is shown (U+200E/F, U+202A–E, U+2066–9) become visible `\u{…}` escapes. Everything else is
/// left as it is. The same rule as the text log's (`LineText`). For console tables only; JSON output escapes by
/// its own rules.
func terminalSafe(_ text: String) -> String {
    LineText.escaped(text)
}
