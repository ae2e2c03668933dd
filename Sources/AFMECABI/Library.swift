// C ABI: library group (version, errors). See include/afme.h.
import AFMECore

@_cdecl("afme_version")
public func afme_version() -> UnsafePointer<CChar> { AFMEVersion.cString }
