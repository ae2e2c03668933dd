// C ABI, Library group: version and last error. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_version")
public func cabi_version() -> UnsafePointer<CChar> { AFMEVersion.cString }

@_cdecl("afme_last_error")
public func cabi_last_error() -> UnsafePointer<CChar> { LastError.current }

@_cdecl("afme_tune_heap")
public func cabi_tune_heap() -> afme_status {
    abiCall("afme_tune_heap") {
        HeapTuning.reuseLargeBlocks()
        return AFME_OK
    }
}
