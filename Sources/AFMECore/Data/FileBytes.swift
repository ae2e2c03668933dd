// Whole-file reads and atomic writes on Glibc, so the core does not need Foundation.
//
// Reads are bounded: only regular files (unless the caller asks otherwise), the size taken from fstat
// and never more than a stated maximum, so a path to /dev/zero, a FIFO or a link to either is refused
// instead of read until memory runs out.
//
// Writes are atomic and safe under concurrency: a uniquely named temporary file in the target's
// directory, created with O_CREAT|O_EXCL|O_NOFOLLOW (a planted file or link at that name is never
// followed or reused), fsync of the file, rename over the target, fsync of the directory. Concurrent
// saves to one path from threads or processes all succeed (the last rename wins) and a reader always
// opens a complete old or new file. A temporary file left by a killed save carries its writer's pid in
// its name: it is never read as a model, and the next save to the same path removes it once that
// process is gone.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum FileBytes {
    /// Largest file `read` accepts by default: 16 GiB, above any checkpoint or data file that fits the
    /// 24 GB machines this library targets next to its working memory.
    public static let defaultMaxBytes = 1 << 34

    /// Reads a whole file. Errors name the path and the OS reason.
    /// - Parameters:
    ///   - maxBytes: files larger than this are refused before anything is read.
    ///   - allowNonRegular: read a pipe, FIFO or device too (up to `maxBytes`); off for every ABI input.
    public static func read(
        _ path: String, maxBytes: Int = defaultMaxBytes, allowNonRegular: Bool = false
    ) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO without a writer would otherwise block before fstat can refuse it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw DataError(.io, "cannot open: \(errnoString())", path: path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw DataError(.io, "cannot stat: \(errnoString())", path: path) }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw DataError(.io, "is a directory", path: path) }
        let regular = type == S_IFREG
        if !regular && !allowNonRegular {
            throw DataError(
                .io, "is not a regular file (\(fileTypeName(type))); only regular files are read", path: path)
        }
        if regular {
            let size = Int(st.st_size)
            if size > maxBytes {
                throw DataError(.io, "is \(size) bytes, above the limit of \(maxBytes) bytes", path: path)
            }
            // Read exactly the size fstat gave: a file that grows meanwhile is not read past it.
            var out = [UInt8](repeating: 0, count: size)
            var done = 0
            while done < size {
                let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw DataError(.io, "read failed: \(errnoString())", path: path)
                }
                if n == 0 { out.removeLast(size - done); break }  // truncated while reading: what is there
                done += n
            }
            return out
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(.io, "read failed: \(errnoString())", path: path)
            }
            if n == 0 { break }
            if out.count + n > maxBytes {
                throw DataError(.io, "holds more than the limit of \(maxBytes) bytes", path: path)
            }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The prefix of every temporary file of a save to `path`: ".<name>.afme-tmp-".
    static func temporaryPrefix(_ path: String) -> (directory: String, prefix: String) {
        let dir = directoryOf(path)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        return (dir, "." + name + ".afme-tmp-")
    }

    /// Writes `bytes` to `path` atomically (see the file comment). A crash at any point leaves either the
    /// old file or the new one, never a mix; on failure the previous file is unchanged.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        if path.isEmpty { throw DataError(.io, "cannot write: the path is empty") }
        if path.hasSuffix("/") { throw DataError(.io, "cannot write: the path names a directory", path: path) }
        let (dir, prefix) = temporaryPrefix(path)
        removeStaleTemporaries(directory: dir, prefix: prefix)
        var rng = SystemRandomNumberGenerator()
        var tmp = "", fd: Int32 = -1
        for _ in 0..<16 {
            let tag = String(rng.next() as UInt64, radix: 36)
            tmp = joinPath(dir, prefix + "\(getpid())-" + tag)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        if fd < 0 { throw DataError(.io, "cannot create a temporary file beside it: \(errnoString())", path: path) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errnoString(); close(fd)
                throw DataError(.io, "write failed: \(reason)", path: path)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let reason = errnoString(); close(fd); throw DataError(.io, "fsync failed: \(reason)", path: path)
        }
        if close(fd) != 0 { throw DataError(.io, "close failed: \(errnoString())", path: path) }
        if rename(tmp, path) != 0 { throw DataError(.io, "rename failed: \(errnoString())", path: path) }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Removes temporary files of earlier saves to the same path whose writing process no longer exists
    /// (a save killed before its rename). Files of live processes, and names not of our form, are left.
    static func removeStaleTemporaries(directory: String, prefix: String) {
        guard let d = opendir(directory) else { return }
        defer { closedir(d) }
        let me = getpid()
        while let entry = readdir(d) {
            // Read d_name in place up to its NUL: a dirent record may be shorter than the declared array,
            // so copying the whole field would read past the record (valgrind catches it).
            let name = withUnsafeMutablePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
            }
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0, pid != me else {
                continue
            }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }  // alive, or not ours to judge
            unlink(joinPath(directory, name))
        }
    }

    static func fileTypeName(_ type: mode_t) -> String {
        switch type {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO or pipe"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
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
