// Typed load errors: every failure names the file, the line (where there is one) and the reason.

public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Int, Sendable {
        case io = 1  // cannot open or read the file
        case emptyFile  // no content where content is required
        case badToken  // a field is not a number of the expected kind
        case wrongFieldCount  // a line has too few or too many fields
        case countMismatch  // the count header disagrees with the number of records
        case idOutOfRange  // an entity or relation id outside 0..<count, or a repeated id
        case shapeMismatch  // feature rows or columns do not fit the graph
        case nonFinite  // NaN or ±Inf in features
        case badFormat  // a malformed .npy header or magic
        case unsupportedDType  // .npy dtype other than float32/float16 little-endian
        case fortranOrder  // .npy stored column-major
        case truncated  // the file ends before its header says it should
        case invalidArgument  // a parameter outside its domain
        case unsupportedVersion  // a checkpoint written by an incompatible format version
        case checksumMismatch  // a checkpoint whose bytes do not match its checksum
    }

    public var kind: Kind
    public var path: String?
    public var line: Int?
    public var reason: String

    public init(_ kind: Kind, _ reason: String, path: String? = nil, line: Int? = nil) {
        self.kind = kind; self.reason = reason; self.path = path; self.line = line
    }

    public var description: String {
        var s = ""
        if let path { s += path }
        if let line { s += ":\(line)" }
        return s.isEmpty ? reason : "\(s): \(reason)"
    }
}
