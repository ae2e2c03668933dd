// Text files as pipelines write them: lines split on bytes, so "\n" and "\r\n" endings read alike
// (Swift's String treats "\r\n" as one character, which a split on "\n" never finds), a UTF-8 byte-order
// mark at the start of the file is skipped, and invalid UTF-8 is reported with its line number.

public enum TextLines {
    /// The lines of `bytes`, numbered from 1, without their "\n" or "\r\n". A final line break does not
    /// start another line. Throws `badToken` naming the first line that is not valid UTF-8.
    public static func split(_ bytes: [UInt8], path: String?) throws -> [(line: Int, text: Substring)] {
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        var out: [(line: Int, text: Substring)] = []
        var line = 1
        var i = start
        while i < bytes.count || (i == bytes.count && i > start && bytes[i - 1] != 0x0A) {
            var end = i
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > i && bytes[stop - 1] == 0x0D { stop -= 1 }
            guard let text = String(validating: bytes[i..<stop], as: UTF8.self) else {
                throw DataError(
                    .badToken, "line is not valid UTF-8 (byte \(firstInvalidByte(bytes[i..<stop]) + 1) of the line)",
                    path: path, line: line)
            }
            out.append((line, Substring(text)))
            line += 1
            i = end + 1
            if end == bytes.count { break }
        }
        return out
    }

    /// Offset of the first byte at which `bytes` stops being valid UTF-8.
    static func firstInvalidByte(_ bytes: ArraySlice<UInt8>) -> Int {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput, .error: return offset
            }
        }
    }
}

/// A token as an error message quotes it: at most 80 characters (longer ones are cut, with their full
/// length in bytes), control and invisible characters (a BOM, a tab, a NUL) shown as \u{…} escapes.
public func quoted<S: StringProtocol>(_ token: S, limit: Int = 80) -> String {
    var out = "'"
    var shown = 0
    for scalar in token.unicodeScalars {
        if shown == limit {
            out += "…' (\(token.utf8.count) bytes)"
            return out
        }
        let v = scalar.value
        if v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || v == 0xFEFF || (0x200B...0x200F).contains(v)
            || (0x2028...0x202E).contains(v)
        {
            out += "\\u{" + String(v, radix: 16) + "}"
        } else {
            out.unicodeScalars.append(scalar)
        }
        shown += 1
    }
    return out + "'"
}
