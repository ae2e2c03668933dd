// Shared by the fuzz targets (each is compiled into one module with AFMECore's sources; see scripts/fuzz.sh).
import Glibc

/// Seeds are written once, on the first run, into the corpus directory the script passes in FUZZ_SEEDS.
func writeSeeds(_ seeds: [(String, [UInt8])]) {
    guard let dir = getenv("FUZZ_SEEDS").map({ String(cString: $0) }) else { return }
    for (name, bytes) in seeds {
        let path = joinPath(dir, name)
        if FileBytes.exists(path) { continue }
        do { try FileBytes.writeAtomically(bytes, to: path) } catch {
            fatalError("cannot write seed \(path): \(error)")
        }
    }
}

/// Aborts the run (libFuzzer then saves the input) when a property of accepted input does not hold.
func require(_ ok: Bool, _ what: @autoclosure () -> String) {
    if !ok { fatalError("fuzz property violated: \(what())") }
}

func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A fresh scratch directory under /tmp for targets that parse files.
func scratchFolder(_ prefix: String) -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    return String(cString: p)
}
