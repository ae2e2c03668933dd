// Data-parallel training from C: the caller's all-reduce becomes the core's Collective.

import AFMECore
import CAFMEHeader

/// The caller's afme_collective: a sum over ranks through its function pointer.
final class CallerCollective: Collective {
    let rank: Int
    let size: Int
    let sum: afme_allreduce_fn
    let user: UnsafeMutableRawPointer?
    init(rank: Int, size: Int, sum: afme_allreduce_fn, user: UnsafeMutableRawPointer?) {
        self.rank = rank; self.size = size; self.sum = sum; self.user = user
    }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let base = values.baseAddress else { return true }
        return sum(base, Int64(values.count), user) == 0
    }
}

/// Reads and checks an afme_collective (a newer caller's larger struct is accepted when the fields this
/// library does not know are zero, as afme_params_set_common does).
func collective(_ pointer: UnsafeRawPointer?) throws -> CollectiveHandle {
    let raw = try nonNull(pointer, "collective")
    let size = raw.loadUnaligned(as: UInt64.self)
    let known = MemoryLayout<afme_collective>.size
    guard size >= UInt64(known), size <= 1 << 20 else {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT, "collective->struct_size = \(size): set it to sizeof(afme_collective) (\(known))"
        )
    }
    for i in known..<Int(size) where raw.load(fromByteOffset: i, as: UInt8.self) != 0 {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT,
            "collective holds nonzero fields past byte \(known) that this library (\(AFMEVersion.string)) does not know"
        )
    }
    let c = raw.loadUnaligned(as: afme_collective.self)
    guard c.world_size >= 1, c.world_size <= 1 << 20 else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "collective->world_size = \(c.world_size): must be in 1...1048576")
    }
    guard c.rank >= 0, c.rank < c.world_size else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "collective->rank = \(c.rank): must be in 0..<\(c.world_size)")
    }
    guard let sum = c.allreduce_sum else {
        throw ABIError(AFME_ERR_NULL_POINTER, "collective->allreduce_sum is NULL")
    }
    return CollectiveHandle(
        CallerCollective(rank: Int(c.rank), size: Int(c.world_size), sum: sum, user: c.user_data))
}

@_cdecl("afme_model_train_distributed")
public func cabi_model_train_distributed(
    _ dataset: OpaquePointer?, _ params: OpaquePointer?, _ group: UnsafeRawPointer?, _ progress: afme_progress_fn?,
    _ user: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_train_distributed") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = try nonNull(out, "out")
        var r =
            params == nil ? try ModelRequest(kind: "rotate") : try Handles.get(params, ParamsBox.self, "params").request
        r.training.collective = try collective(group)
        return try train(box, r, progress, user, out, "afme_model_train_distributed")
    }
}

@_cdecl("afme_model_resume_distributed")
public func cabi_model_resume_distributed(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ epochs: Int64, _ group: UnsafeRawPointer?,
    _ progress: afme_progress_fn?, _ user: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_resume_distributed") {
        try resume(model, dataset, epochs, progress, user, out, try collective(group), "afme_model_resume_distributed")
    }
}
