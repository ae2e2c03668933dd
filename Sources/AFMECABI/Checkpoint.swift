// C ABI, Checkpoint group. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_model_save")
public func cabi_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> afme_status {
    abiCall("afme_model_save") {
        let m = try Handles.get(model, ModelBox.self, "model")
        try FileBytes.writeAtomically(m.encode(), to: try string(path, "path"))
        return AFME_OK
    }
}

@_cdecl("afme_model_load")
public func cabi_model_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> afme_status
{
    abiCall("afme_model_load") {
        let out = try nonNull(out, "out")
        let m = try Checkpoint.loadFile(from: try string(path, "path"))
        out.pointee = Handles.register(ModelBox(m))
        return AFME_OK
    }
}

@_cdecl("afme_model_serialized_size")
public func cabi_model_serialized_size(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> afme_status {
    abiCall("afme_model_serialized_size") {
        let m = try Handles.get(model, ModelBox.self, "model")
        let out = try nonNull(out, "out")
        out.pointee = m.encode().count
        return AFME_OK
    }
}

@_cdecl("afme_model_save_to_buffer")
public func cabi_model_save_to_buffer(
    _ model: OpaquePointer?, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int,
    _ written: UnsafeMutablePointer<Int>?
) -> afme_status {
    abiCall("afme_model_save_to_buffer") {
        let m = try Handles.get(model, ModelBox.self, "model")
        let written = try nonNull(written, "written")
        let bytes = m.encode()
        guard size >= bytes.count else {
            throw ABIError(AFME_ERR_SHAPE, "buffer holds \(size) bytes, the model needs \(bytes.count)")
        }
        let buffer = try nonNull(buffer, "buffer")
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: bytes.count) }
        written.pointee = bytes.count
        return AFME_OK
    }
}

@_cdecl("afme_model_load_from_buffer")
public func cabi_model_load_from_buffer(
    _ data: UnsafePointer<UInt8>?, _ size: Int,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_load_from_buffer") {
        let out = try nonNull(out, "out")
        guard size >= 0 && Int64(size) <= maxElements else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "size \(size) is out of range")
        }
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: try nonNull(data, "data"), count: size))
        out.pointee = Handles.register(ModelBox(try Checkpoint.decodeFile(bytes)))
        return AFME_OK
    }
}
