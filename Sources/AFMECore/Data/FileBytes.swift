// Whole-file reads and atomic writes on Glibc, so the core does not need Foundation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum FileBytes {
    /// Reads a whole file. Errors name the path and the OS reason.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw DataError(.io, "cannot open: \(errnoString())", path: path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw DataError(.io, "cannot stat: \(errnoString())", path: path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw DataError(.io, "is a directory", path: path) }
        var out: [UInt8] = []
        out.reserveCapacity(max(Int(st.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(.io, "read failed: \(errnoString())", path: path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename, fsync of the directory.
    /// A crash at any point leaves either the old file or the new one, never a mix.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw DataError(.io, "cannot create: \(errnoString())", path: tmp) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errnoString(); close(fd)
                throw DataError(.io, "write failed: \(reason)", path: tmp)
            }
            written += n
        }
        if fsync(fd) != 0 { let reason = errnoString(); close(fd); throw DataError(.io, "fsync failed: \(reason)", path: tmp) }
        if close(fd) != 0 { throw DataError(.io, "close failed: \(errnoString())", path: tmp) }
        if rename(tmp, path) != 0 { throw DataError(.io, "rename failed: \(errnoString())", path: path) }
        ok = true
        let dir = directoryOf(path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    static func errnoString() -> String { String(cString: strerror(errno)) }
}

/// Joins path components with single slashes.
public func joinPath(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
