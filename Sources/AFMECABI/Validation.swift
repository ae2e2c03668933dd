// Argument checks shared by the exported functions: pointers, lengths, ids, strings, numbers.
import AFMECore
import CAFMEHeader

/// Largest element count accepted for any array argument: far above real use, far below overflow.
let maxElements: Int64 = 1 << 40

func nonNull<T>(_ p: T?, _ name: String) throws -> T {
    guard let p else { throw ABIError(AFME_ERR_NULL_POINTER, "\(name) is NULL") }
    return p
}

func count(_ n: Int64, _ name: String, max: Int64 = maxElements) throws -> Int {
    guard n >= 0 && n <= max else { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "\(name) = \(n) is outside 0...\(max)") }
    return Int(n)
}

func id(_ v: Int64, below bound: Int, _ name: String) throws -> Int {
    guard v >= 0 && v < Int64(bound) else {
        throw ABIError(AFME_ERR_OUT_OF_RANGE, "\(name) = \(v) is outside 0..<\(bound)")
    }
    return Int(v)
}

/// A NUL-terminated UTF-8 string argument.
func string(_ p: UnsafePointer<CChar>?, _ name: String) throws -> String {
    let p = try nonNull(p, name)
    guard let s = String(validatingCString: p) else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "\(name) is not valid UTF-8")
    }
    return s
}

func split(_ s: afme_split) throws -> Int {
    let v = Int(s.rawValue)
    guard (0...2).contains(v) else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "split \(s.rawValue) is not TRAIN, VALID or TEST")
    }
    return v
}

func ties(_ t: afme_ties) throws -> TieHandling {
    guard let v = TieHandling(rawValue: Int(t.rawValue)) else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "ties \(t.rawValue) is not an afme_ties value")
    }
    return v
}

/// Writes a Swift string into a caller buffer (truncated, always NUL-terminated when size > 0).
/// `size` is a C size_t imported as Int: a value above Int.max arrives negative and means "huge".
func copyString(
    _ s: String, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ needed: UnsafeMutablePointer<Int>?
) throws {
    let bytes = Array(s.utf8)
    needed?.pointee = bytes.count + 1
    if size == 0 { return }
    let buffer = try nonNull(buffer, "buffer")
    let n = size < 0 ? bytes.count : min(bytes.count, size - 1)
    for i in 0..<n { buffer[i] = CChar(bitPattern: bytes[i]) }
    buffer[n] = 0
}

/// The body of every count getter: look up a live handle, write one count.
func countGetter<T: AnyObject>(
    _ function: String, _ handle: OpaquePointer?, _ type: T.Type, _ name: String,
    _ out: UnsafeMutablePointer<Int64>?, _ value: (T) throws -> Int
) -> afme_status {
    abiCall(function) {
        let object = try Handles.get(handle, type, name)
        let out = try nonNull(out, "out")
        out.pointee = Int64(try value(object))
        return AFME_OK
    }
}
