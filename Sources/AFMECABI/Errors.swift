// Status codes and the thread-local last-error message. Every exported function runs its body
// through `abiCall`, which turns thrown errors into a status plus message. Swift traps cannot be
// caught, so every argument is validated before use (see Validation.swift).
import AFMECore
import CAFMEHeader
#if canImport(Glibc)
import Glibc
#endif

/// A refusal at the boundary: the status to return and the message for afme_last_error().
struct ABIError: Error {
    let status: afme_status
    let message: String
    init(_ status: afme_status, _ message: String) { self.status = status; self.message = message }
}

enum LastError {
    /// Per-thread malloc'ed C string; the key's destructor frees it when the thread exits.
    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { free($0) }
        return k
    }()
    static let empty: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    /// Longest message kept, in bytes: messages quote at most ~80 characters of a bad token, so this only
    /// bounds what a caller-supplied string (a path, a name) could otherwise blow up.
    static let maxBytes = 1024

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        let copy = strdup(capped(message))
        pthread_setspecific(key, copy)
        free(old)
    }

    /// `message` cut at a UTF-8 character boundary to at most `maxBytes` bytes, marked with "…" when cut.
    static func capped(_ message: String) -> String {
        if message.utf8.count <= maxBytes { return message }
        var out = "", size = 0
        for scalar in message.unicodeScalars {
            let w = UTF8.width(scalar)
            if size + w > maxBytes - 20 { break }
            out.unicodeScalars.append(scalar); size += w
        }
        return out + "… (message cut)"
    }

    static var current: UnsafePointer<CChar> {
        guard let p = pthread_getspecific(key) else { return empty }
        return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
    }
}

func status(for error: Error) -> (afme_status, String) {
    switch error {
    case let e as ABIError: return (e.status, e.message)
    case let e as DataError:
        let s: afme_status
        switch e.kind {
        case .io: s = AFME_ERR_IO
        case .emptyFile, .badToken, .wrongFieldCount, .countMismatch: s = AFME_ERR_PARSE
        case .idOutOfRange: s = AFME_ERR_OUT_OF_RANGE
        case .shapeMismatch: s = AFME_ERR_SHAPE
        case .nonFinite: s = AFME_ERR_NON_FINITE
        case .badFormat, .unsupportedDType, .fortranOrder, .truncated, .unsupportedVersion, .checksumMismatch:
            s = AFME_ERR_FORMAT
        case .invalidArgument: s = AFME_ERR_INVALID_ARGUMENT
        }
        return (s, e.description)
    default: return (AFME_ERR_INTERNAL, "internal error: \(error)")
    }
}

/// Runs an exported function's body; maps errors to a status and records the message.
@inline(__always)
func abiCall(_ function: String, _ body: () throws -> afme_status) -> afme_status {
    do {
        return try body()
    } catch {
        let (s, message) = status(for: error)
        LastError.set("\(function): \(message)")
        return s
    }
}
