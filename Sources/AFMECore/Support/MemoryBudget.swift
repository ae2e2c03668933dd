// The memory a request may use, checked before anything is allocated: a training run that cannot fit is
// refused with its estimate and what the machine has, instead of being killed by the kernel half way.
#if canImport(Glibc)
import Glibc
#endif

public enum MemoryBudget {
    /// Bytes the system can give this process now: MemAvailable of /proc/meminfo (free memory plus what
    /// the page cache can give back), or the physical memory where that file cannot be read. The
    /// environment variable AFME_MEMORY_LIMIT_BYTES lowers it (a container's limit, or a test).
    public static func availableBytes() -> Double {
        var available =
            meminfoAvailable() ?? Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        if let raw = getenv("AFME_MEMORY_LIMIT_BYTES"), let limit = Double(String(cString: raw)), limit > 0 {
            available = min(available, limit)
        }
        return available
    }

    /// Refuses `bytes` (what `what` needs) when above the available memory.
    public static func check(_ bytes: Double, for what: String) throws {
        let available = availableBytes()
        guard bytes > available else { return }
        throw DataError(
            .invalidArgument,
            "\(what) needs about \(gigabytes(bytes)) GB; \(gigabytes(available)) GB of memory is available")
    }

    static func gigabytes(_ b: Double) -> String {
        let tenths = (b / 1e8).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }

    static func meminfoAvailable() -> Double? {
        guard let f = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            guard text.hasPrefix("MemAvailable:") else { continue }
            let digits = text.dropFirst("MemAvailable:".count).filter { $0.isNumber }
            if let kb = Double(String(digits)) { return kb * 1024 }
        }
        return nil
    }
}
