/// The library version; include/afme.h repeats it as AFME_VERSION_* macros.
public enum AFMEVersion {
    public static let major = 0, minor = 3, patch = 0
    public static let string = "\(major).\(minor).\(patch)"
    /// A NUL-terminated copy with static lifetime, for the C ABI.
    public static let cString: UnsafePointer<CChar> = {
        let bytes = Array(string.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(p)
    }()
}
