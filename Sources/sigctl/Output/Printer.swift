import Foundation

/// Renders results: text for people, JSON for programs. Results on stdout, diagnostics on stderr.
struct Printer: Sendable {
    var format: OutputFormat
    var quiet: Bool
    var color: Bool

    static var terminalWantsColor: Bool {
        isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// A whole result: one JSON document, or its text rendering.
    func result<T: Encodable>(_ value: T, text: (T) -> String) {
        switch format {
        case .json: write(Self.json(value, pretty: true))
        case .text:
            let rendered = text(value)
            if !rendered.isEmpty { write(rendered) }
        }
    }

    /// One element of a stream: one JSON object per line, or one text line.
    func streamLine(json: String, text: String) {
        write(format == .json ? json : text)
    }

    /// Progress and summaries, which `--quiet` and JSON output leave out; on stderr for JSON so
    /// that stdout stays parseable.
    func note(_ message: String) {
        guard !quiet else { return }
        if format == .json {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        } else {
            write(message)
        }
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func paint(_ text: String, _ style: Style) -> String {
        color ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    enum Style: String {
        case red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36", dim = "2", bold = "1"
    }

    static func json<T: Encodable>(_ value: T, pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Lays out rows in aligned columns, measuring visible width (colors excluded).
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    func render() -> String {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], visibleWidth(cell)) }
        }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - visibleWidth(cell))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private func visibleWidth(_ s: String) -> Int {
        var count = 0
        var inEscape = false
        for ch in s.unicodeScalars {
            if inEscape { if ch == "m" { inEscape = false }; continue }
            if ch == "\u{1B}" { inEscape = true; continue }
            count += 1
        }
        return count
    }
}
