// C ABI, Model group: embeddings out. See include/afme.h.
import AFMECore
import CAFMEHeader

/// The body shared by the embedding getters: `table` gives the rows (or throws for a kind without them);
/// the column count is written first, then the rows if `out` is given and large enough.
func embeddings(
    _ function: String, _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?, _ table: @escaping (TrainedModel) throws -> (values: [Float], width: Int)
) -> afme_status {
    abiCall(function) {
        let m = try Handles.get(model, ModelBox.self, "model")
        let columns = try nonNull(columns, "n_columns")
        let cap = try count(capacity, "capacity")
        let t = try table(m.trained)
        columns.pointee = Int64(t.width)
        guard let out else { return AFME_OK }
        guard cap >= t.values.count else {
            throw ABIError(
                AFME_ERR_SHAPE, "capacity \(cap) < \(t.values.count / max(t.width, 1)) rows × \(t.width) columns")
        }
        t.values.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: t.values.count) }
        return AFME_OK
    }
}

@_cdecl("afme_model_entity_embeddings")
public func cabi_model_entity_embeddings(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_entity_embeddings", model, out, capacity, columns) { $0.entityEmbeddings }
}

@_cdecl("afme_model_relation_embeddings")
public func cabi_model_relation_embeddings(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_relation_embeddings", model, out, capacity, columns) { $0.relationEmbeddings }
}

@_cdecl("afme_model_joint_embeddings")
public func cabi_model_joint_embeddings(
    _ model: OpaquePointer?, _ relation: Int64, _ out: UnsafeMutablePointer<Float>?,
    _ capacity: Int64, _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_joint_embeddings", model, out, capacity, columns) { m in
        let r = try id(relation, below: m.relationCount, "relation")
        guard let t = m.jointEmbeddings(relation: r) else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT,
                "a \(m.kindName) model has no relation-dependent entity rows: use afme_model_entity_embeddings")
        }
        return t
    }
}

@_cdecl("afme_model_modality_embeddings")
public func cabi_model_modality_embeddings(
    _ model: OpaquePointer?, _ modality: UnsafePointer<CChar>?, _ relation: Int64,
    _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64, _ columns: UnsafeMutablePointer<Int64>?,
    _ completed: UnsafeMutablePointer<UInt8>?, _ completedCapacity: Int64
) -> afme_status {
    embeddings("afme_model_modality_embeddings", model, out, capacity, columns) { m in
        let name = try string(modality, "modality")
        let flagsCapacity = try count(completedCapacity, "completed_capacity")
        let r = try id(relation, below: m.relationCount, "relation")
        let names = m.modalityNames
        guard !names.isEmpty else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "a \(m.kindName) model reads no feature modality")
        }
        guard let index = names.firstIndex(of: name) else {
            throw ABIError(
                AFME_ERR_NOT_FOUND,
                "the model has no modality \(quoted(name)); its modalities: \(names.joined(separator: ", "))")
        }
        if completed != nil && flagsCapacity < m.entityCount {
            throw ABIError(AFME_ERR_SHAPE, "completed_capacity \(flagsCapacity) < \(m.entityCount) entities")
        }
        guard let t = m.completedModality(index, relation: r) else {
            throw ABIError(AFME_ERR_INTERNAL, "modality \(quoted(name)) has no vectors")
        }
        // The flags are written only once the rows are known to fit (a refused call writes nothing).
        if let completed, out == nil || capacity >= Int64(t.values.count) {
            for (i, c) in t.completed.enumerated() { completed[i] = c ? 1 : 0 }
        }
        return (t.values, t.width)
    }
}
